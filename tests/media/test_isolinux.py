"""The isolinux configuration: the default label found, an install label added, the rest kept."""

from __future__ import annotations

import pytest

from hostiso.media.isolinux import ConfigError, add_install_label, read_config

# flatcar/scripts build_library/vm_image_util.sh, _write_iso_disk
FLATCAR = {
    "/isolinux/isolinux.cfg": "INCLUDE /syslinux/syslinux.cfg\n",
    "/syslinux/syslinux.cfg": (
        "default flatcar\n"
        "prompt 1\n"
        "timeout 15\n"
        "\n"
        "label flatcar\n"
        "  menu default\n"
        "  kernel /flatcar/vmlinuz\n"
        "  append initrd=/flatcar/cpio.gz flatcar.autologin\n"
    ),
}
ARGS = "systemd.run=\"/bin/sh -c 'true'\""


def rewrite(files: dict[str, str], args: str = ARGS, say: str = "hi") -> dict[str, str]:
    return add_install_label(read_config(files.get), args, say)


def test_flatcar() -> None:
    config = read_config(FLATCAR.get)
    assert (config.label, config.path) == ("flatcar", "/syslinux/syslinux.cfg")
    assert add_install_label(config, ARGS, "hi") == {
        "/syslinux/syslinux.cfg": (
            "default install\n"
            "say hi\n"
            "prompt 1\n"
            "timeout 15\n"
            "\n"
            "label install\n"
            "  menu default\n"
            "  kernel /flatcar/vmlinuz\n"
            f"  append initrd=/flatcar/cpio.gz flatcar.autologin {ARGS}\n"
            "\n"
            "label manual\n"
            "  kernel /flatcar/vmlinuz\n"
            "  append initrd=/flatcar/cpio.gz flatcar.autologin\n"
        )
    }


def test_container_linux_upper_case_and_console_kept() -> None:
    files = {
        "/isolinux/isolinux.cfg": (
            "DEFAULT coreos\nPROMPT 1\nTIMEOUT 50\n"
            "LABEL coreos\n  KERNEL /coreos/vmlinuz\n"
            "  APPEND initrd=/coreos/cpio.gz coreos.autologin console=ttyS0,115200n8\n"
            "LABEL other\n  KERNEL /x\n"
        )
    }
    (text,) = rewrite(files).values()
    assert text.splitlines() == [
        "DEFAULT install",
        "say hi",
        "PROMPT 1",
        "TIMEOUT 50",
        "LABEL install",
        "  KERNEL /coreos/vmlinuz",
        f"  APPEND initrd=/coreos/cpio.gz coreos.autologin console=ttyS0,115200n8 {ARGS}",
        "",
        "LABEL manual",
        "  KERNEL /coreos/vmlinuz",
        "  APPEND initrd=/coreos/cpio.gz coreos.autologin console=ttyS0,115200n8",
        "LABEL other",
        "  KERNEL /x",
    ]


def test_menu_default_without_default_line() -> None:
    files = {
        "/isolinux/isolinux.cfg": (
            "UI menu.c32\nlabel a\n  kernel /a\n  append initrd=/a.gz\n"
            "label b\n  menu default\n  kernel /b\n  append initrd=/b.gz x=1\n"
        )
    }
    config = read_config(files.get)
    assert config.label == "b"
    (text,) = add_install_label(config, "y=2", "hi").values()
    assert text.startswith("default install\nsay hi\nUI menu.c32\nlabel a\n")
    assert "label install\n  menu default\n  kernel /b\n  append initrd=/b.gz x=1 y=2\n" in text
    assert text.endswith("label manual\n  kernel /b\n  append initrd=/b.gz x=1\n")


def test_default_in_one_file_label_in_an_included_one() -> None:
    files = {
        "/boot/isolinux/isolinux.cfg": "default live\ntimeout 20\ninclude live.cfg\n",
        "/boot/isolinux/live.cfg": "label live\n  linux /k\n  append initrd=/i quiet\n",
    }
    changed = rewrite(files)
    assert (
        changed["/boot/isolinux/isolinux.cfg"] == "default install\ntimeout 20\ninclude live.cfg\n"
    )
    assert changed["/boot/isolinux/live.cfg"].startswith("say hi\nlabel install\n")
    assert (
        "label manual\n  linux /k\n  append initrd=/i quiet\n" in changed["/boot/isolinux/live.cfg"]
    )


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "no isolinux configuration"),
        ({"/isolinux/isolinux.cfg": "include /nope.cfg\n"}, "includes /nope.cfg"),
        ({"/isolinux/isolinux.cfg": "default x\nprompt 0\n"}, "no label in /isolinux/isolinux.cfg"),
        (
            {"/isolinux/isolinux.cfg": "label x\n  kernel /k\n  append quiet\n"},
            "label 'x' in /isolinux/isolinux.cfg has no 'append' line with initrd=",
        ),
        (
            {"/isolinux/isolinux.cfg": "label x\n  kernel /k\n  initrd /i\n"},
            "has no 'append' line with initrd=",
        ),
        (
            {"/isolinux/isolinux.cfg": "label x\n  append initrd=/i\nlabel manual\n  kernel /k\n"},
            "already has a label 'manual'",
        ),
        (
            {"/isolinux/isolinux.cfg": "include /isolinux/isolinux.cfg\n"},
            "more than 8 INCLUDEs",
        ),
    ],
)
def test_unusable_configurations(files: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        rewrite(files)


def test_an_append_line_too_long_for_the_kernel() -> None:
    with pytest.raises(ConfigError, match="would be 2042 bytes"):
        rewrite(FLATCAR, "x" * 2000)

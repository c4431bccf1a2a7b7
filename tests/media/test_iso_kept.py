"""ISO templates kept in the build cache: the next run's images are the same bytes."""

from __future__ import annotations

import marshal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from hostiso.media import iso

FILES = {"config.json": b'{"ignition": {"version": "2.3.0"}}'}


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    """As in a new process: no template built or kept."""
    iso._KEPT.clear()
    iso._layout_template.cache_clear()
    yield
    iso._KEPT.clear()
    iso._layout_template.cache_clear()


def _kept() -> Any:
    iso.build_iso(FILES, "WEB_01", 1_700_000_000)
    raw = iso.kept_templates()
    iso._KEPT.clear()
    iso._layout_template.cache_clear()
    return raw


def test_kept_templates_give_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    iso.keep_templates(_kept())
    assert iso._KEPT
    real, built = iso._pycdlib_image, []

    def counted(*args: Any) -> Any:
        built.append(args)
        return real(*args)

    monkeypatch.setattr(iso, "_pycdlib_image", counted)
    images = [
        iso.build_iso(f, "DB_2", 1_700_000_000) for f in (FILES, {"config.json": b"x" * 5000})
    ]
    assert len(built) == 1  # only the new layout was built
    monkeypatch.undo()
    for files, image in zip((FILES, {"config.json": b"x" * 5000}), images, strict=True):
        assert image == iso.build_iso_direct(files, "DB_2", 1_700_000_000)


def test_a_run_with_kept_templates_does_not_import_pycdlib() -> None:
    raw = marshal.dumps(_kept())  # as the build cache keeps them
    code = (
        "import marshal, sys; from hostiso.media import iso; "
        "iso.keep_templates(marshal.loads(sys.stdin.buffer.read())); "
        f"sys.stdout.buffer.write(iso.build_iso({FILES!r}, 'WEB_01', 1_700_000_000)); "
        "assert 'pycdlib' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], input=raw, capture_output=True, check=True)
    assert done.stdout == iso.build_iso_direct(FILES, "WEB_01", 1_700_000_000)


def _damaged(raw: Any, part: int, value: Any) -> Any:
    stamp, templates = raw
    item = list(templates[0])
    item[part] = value
    return (stamp, (tuple(item),))


@pytest.mark.parametrize(
    ("part", "value"),
    [
        (2, b"\1" * 65536),  # another image
        (2, "not bytes"),
        (3, (1, 2, 3)),  # label offsets
        (4, ()),  # extents
        (5, ((10, 20),)),  # length fields that do not hold the lengths
        (1, [("config.json", 1)]),  # a layout that is no tuple
    ],
)
def test_damaged_templates_are_ignored(part: int, value: Any) -> None:
    iso.keep_templates(_damaged(_kept(), part, value))
    assert not iso._KEPT
    image = iso.build_iso(FILES, "WEB_01", 1_700_000_000)
    assert image == iso.build_iso_direct(FILES, "WEB_01", 1_700_000_000)


@pytest.mark.parametrize("raw", [None, (), ("other pycdlib",), (("x",), ()), "junk", 7])
def test_templates_of_another_pycdlib_or_no_templates_are_ignored(raw: Any) -> None:
    iso.keep_templates(raw)
    assert not iso._KEPT


def test_another_pycdlib_is_ignored() -> None:
    _stamp, templates = _kept()
    iso.keep_templates((("/elsewhere/pycdlib/__init__.py", 1, 2, 3), templates))
    assert not iso._KEPT

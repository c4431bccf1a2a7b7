"""``hostiso transpile`` against ct for the base sections, byte for byte.

The cases follow the TestParse / TestConvert tables of ct
(flatcar/container-linux-config-transpiler ``config/config_test.go``) and the
converters in its ``config/types/*.go``: the input YAML goes in, and the output
must be the exact JSON ct writes (compact, no trailing newline, Go's key order
and ``omitempty`` rules).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hostiso import cli

SKELETON = '{"config":{},"security":{"tls":{}},"timeouts":{},"version":"2.3.0"}'
SHA = "0" * 128
TEST1 = "[Service]\\nType=oneshot\\nExecStart=/usr/bin/echo test 1\\n\\n[Install]\\n"
TEST2 = TEST1.replace("test 1", "test 2")
TEST4 = "[Unit]\\nDescription=x\\n[Service]\\nExecStart=/bin/true\\n[Install]\\n"
WANTED = "WantedBy=multi-user.target\\n"


def transpile(yaml_text: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = cli.main(["transpile", *argv], stdin=io.StringIO(yaml_text), stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


def config(
    *,
    ignition: str = SKELETON,
    networkd: str = "{}",
    passwd: str = "{}",
    storage: str = "{}",
    systemd: str = "{}",
) -> str:
    return (
        f'{{"ignition":{ignition},"networkd":{networkd},"passwd":{passwd},'
        f'"storage":{storage},"systemd":{systemd}}}'
    )


def ok(yaml_text: str, *argv: str) -> str:
    rc, out, err = transpile(yaml_text, *argv)
    assert rc == 0, err
    return out


# (id, CLC, expected output)
CASES: list[tuple[str, str, str]] = [
    ("empty", "", config()),
    (
        "timeouts",
        "ignition:\n  timeouts:\n    http_response_headers: 30\n    http_total: 31\n",
        config(
            ignition='{"config":{},"security":{"tls":{}},'
            '"timeouts":{"httpResponseHeaders":30,"httpTotal":31},"version":"2.3.0"}'
        ),
    ),
    (
        "zero-timeouts-are-kept",
        "ignition:\n  timeouts:\n    http_response_headers: 0\n    http_total: 0\n",
        config(
            ignition='{"config":{},"security":{"tls":{}},'
            '"timeouts":{"httpResponseHeaders":0,"httpTotal":0},"version":"2.3.0"}'
        ),
    ),
    (
        "certificate-authorities",
        f"""\
ignition:
  security:
    tls:
      certificate_authorities:
        - source: "https://blahblah.com/blah.ca"
          verification:
            hash:
              function: sha512
              sum: "{SHA}"
        - source: "https://example.com/foo.ca"
""",
        config(
            ignition='{"config":{},"security":{"tls":{"certificateAuthorities":['
            f'{{"source":"https://blahblah.com/blah.ca","verification":{{"hash":"sha512-{SHA}"}}}},'
            '{"source":"https://example.com/foo.ca","verification":{}}]}},'
            '"timeouts":{},"version":"2.3.0"}'
        ),
    ),
    (
        "config-append-replace",
        f"""\
ignition:
  config:
    append:
      - source: http://example.com/test1
        verification:
          hash:
            function: sha512
            sum: "{SHA}"
      - source: http://example.com/test2
      - source: s3://example.com/test4
      - source: tftp://example.com/test5
    replace:
      source: http://example.com/test6
""",
        config(
            ignition='{"config":{"append":['
            f'{{"source":"http://example.com/test1","verification":{{"hash":"sha512-{SHA}"}}}},'
            '{"source":"http://example.com/test2","verification":{}},'
            '{"source":"s3://example.com/test4","verification":{}},'
            '{"source":"tftp://example.com/test5","verification":{}}],'
            '"replace":{"source":"http://example.com/test6","verification":{}}},'
            '"security":{"tls":{}},"timeouts":{},"version":"2.3.0"}'
        ),
    ),
    (
        "hash-needs-function-and-sum",
        "ignition:\n  config:\n    append:\n      - source: http://example.com/a\n"
        "        verification:\n          hash:\n            function: sha512\n",
        config(
            ignition='{"config":{"append":[{"source":"http://example.com/a","verification":{}}]},'
            '"security":{"tls":{}},"timeouts":{},"version":"2.3.0"}'
        ),
    ),
    (
        "version-zero",
        "version: 0\n",
        config(),
    ),
    # storage (ct's TestConvert storage table)
    (
        "disks-and-partitions",
        """\
storage:
  disks:
    - device: /dev/sda
      wipe_table: true
      partitions:
        - label: ROOT
          number: 7
          size: 100MB
          start: 50MB
          guid: 22222222-2222-2222-2222-222222222222
          type_guid: 11111111-1111-1111-1111-111111111111
        - label: DATA
          number: 12
          size: 1GB
          start: 300MB
          guid: 33333333-3333-3333-3333-333333333333
          type_guid: 00000000-0000-0000-0000-000000000000
        - label: NOTHING
        - label: ROOT_ON_RAID
          type_guid: raid_containing_root
          number: 13
        - label: SWAP
          number: 14
          type_guid: swap_partition
        - label: RAID
          number: 15
          type_guid: raid_partition
        - label: LINUX_FS
          number: 16
          type_guid: linux_filesystem_data
    - device: /dev/sdb
      wipe_table: true
""",
        config(
            storage='{"disks":[{"device":"/dev/sda","partitions":['
            '{"guid":"22222222-2222-2222-2222-222222222222","label":"ROOT","number":7,'
            '"sizeMiB":100,"startMiB":50,"typeGuid":"11111111-1111-1111-1111-111111111111"},'
            '{"guid":"33333333-3333-3333-3333-333333333333","label":"DATA","number":12,'
            '"sizeMiB":1024,"startMiB":300,"typeGuid":"00000000-0000-0000-0000-000000000000"},'
            '{"label":"NOTHING"},'
            '{"label":"ROOT_ON_RAID","number":13,"typeGuid":"be9067b9-ea49-4f15-b4f6-f36f8c9e1818"},'
            '{"label":"SWAP","number":14,"typeGuid":"0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"},'
            '{"label":"RAID","number":15,"typeGuid":"a19d880f-05fc-4d3b-a006-743f0f84911e"},'
            '{"label":"LINUX_FS","number":16,"typeGuid":"0fc63daf-8483-4772-8e79-3d69d8477de4"}],'
            '"wipeTable":true},{"device":"/dev/sdb","wipeTable":true}]}'
        ),
    ),
    (
        "partition-size-zero-fills-the-disk",
        "storage:\n  disks:\n    - device: /dev/sdb\n      partitions:\n"
        "        - label: DATA\n          size: 0\n          start: 0\n",
        config(
            storage='{"disks":[{"device":"/dev/sdb","partitions":'
            '[{"label":"DATA","sizeMiB":0,"startMiB":0}]}]}'
        ),
    ),
    (
        "partition-size-units-as-alecthomas-units-reads-them",
        """\
storage:
  disks:
    - device: /dev/sdb
      partitions:
        - {number: 1, size: 1.5GiB}
        - {number: 2, size: 1GiB512MiB}
        - {number: 3, size: 2048KiB}
        - {number: 4, size: 2TB}
        - {number: 5, size: 0.5GB}
        - {number: 6, size: 1048576B}
""",
        config(
            storage='{"disks":[{"device":"/dev/sdb","partitions":['
            '{"number":1,"sizeMiB":1536},{"number":2,"sizeMiB":1536},'
            '{"number":3,"sizeMiB":2},{"number":4,"sizeMiB":2097152},'
            '{"number":5,"sizeMiB":512},{"number":6,"sizeMiB":1}]}]}'
        ),
    ),
    (
        "raid",
        """\
storage:
  raid:
    - name: fast
      level: raid0
      devices:
        - /dev/sdc
        - /dev/sdd
    - name: durable
      level: raid1
      devices: [/dev/sde, /dev/sdf, /dev/sdg]
      spares: 1
      options:
        - -catch-fire
""",
        config(
            storage='{"raid":[{"devices":["/dev/sdc","/dev/sdd"],"level":"raid0","name":"fast"},'
            '{"devices":["/dev/sde","/dev/sdf","/dev/sdg"],"level":"raid1","name":"durable",'
            '"options":["-catch-fire"],"spares":1}]}'
        ),
    ),
    (
        "filesystems",
        """\
storage:
  filesystems:
    - name: filesystem2
      mount:
        device: /dev/disk/by-partlabel/DATA
        format: ext4
    - name: filesystem3
      path: /sysroot
    - name: filesystem4
      mount:
        device: /dev/disk/by-partlabel/DATA2
        format: xfs
        wipe_filesystem: true
        label: data2
        uuid: a51034e6-26b3-48df-beed-220562ac7ad1
        options:
          - "i'm an option"
          - "me too"
    - name: filesystem5
      mount:
        device: /dev/disk/by-partlabel/DATA3
        format: vfat
    - name: filesystem6
      mount:
        device: /dev/disk/by-partlabel/DATA4
        format: swap
""",
        config(
            storage='{"filesystems":['
            '{"mount":{"device":"/dev/disk/by-partlabel/DATA","format":"ext4"},"name":"filesystem2"},'
            '{"name":"filesystem3","path":"/sysroot"},'
            '{"mount":{"device":"/dev/disk/by-partlabel/DATA2","format":"xfs","label":"data2",'
            '"options":["i\'m an option","me too"],"uuid":"a51034e6-26b3-48df-beed-220562ac7ad1",'
            '"wipeFilesystem":true},"name":"filesystem4"},'
            '{"mount":{"device":"/dev/disk/by-partlabel/DATA3","format":"vfat"},"name":"filesystem5"},'
            '{"mount":{"device":"/dev/disk/by-partlabel/DATA4","format":"swap"},"name":"filesystem6"}]}'
        ),
    ),
    (
        # Flatcar's "reformat the root filesystem" example has no name.
        "filesystem-without-name",
        """\
storage:
  filesystems:
    - mount:
        device: /dev/disk/by-label/ROOT
        format: btrfs
        wipe_filesystem: true
        label: ROOT
""",
        config(
            storage='{"filesystems":[{"mount":{"device":"/dev/disk/by-label/ROOT",'
            '"format":"btrfs","label":"ROOT","wipeFilesystem":true}}]}'
        ),
    ),
    (
        "files",
        f"""\
storage:
  files:
    - path: /opt/file1
      contents:
        inline: file1
      mode: 0644
      user:
        id: 500
      group:
        id: 501
      overwrite: true
    - path: /opt/file2
      filesystem: filesystem1
      contents:
        remote:
          url: http://example.com/file2
          compression: gzip
          verification:
            hash:
              function: sha512
              sum: "{SHA}"
      mode: 0644
      user:
        id: 502
      group:
        id: 503
      overwrite: false
    - path: /opt/file3
      filesystem: filesystem2
      contents:
        remote:
          url: http://example.com/file3
          compression: gzip
      mode: 0400
      user:
        id: 1000
      group:
        id: 1001
      append: true
    - path: /opt/file4
      filesystem: filesystem2
      mode: 0400
    - path: /opt/file8
      mode: 0600
      contents:
        remote:
          url: data:,hello-world
""",
        config(
            storage='{"files":['
            '{"filesystem":"root","group":{"id":501},"overwrite":true,"path":"/opt/file1",'
            '"user":{"id":500},"contents":{"source":"data:,file1","verification":{}},"mode":420},'
            '{"filesystem":"filesystem1","group":{"id":503},"overwrite":false,"path":"/opt/file2",'
            '"user":{"id":502},"contents":{"compression":"gzip","source":"http://example.com/file2",'
            f'"verification":{{"hash":"sha512-{SHA}"}}}},"mode":420}},'
            '{"filesystem":"filesystem2","group":{"id":1001},"path":"/opt/file3","user":{"id":1000},'
            '"append":true,"contents":{"compression":"gzip","source":"http://example.com/file3",'
            '"verification":{}},"mode":256},'
            '{"filesystem":"filesystem2","path":"/opt/file4","contents":{"source":"data:,",'
            '"verification":{}},"mode":256},'
            '{"filesystem":"root","path":"/opt/file8","contents":{"source":"data:,hello-world",'
            '"verification":{}},"mode":384}]}'
        ),
    ),
    (
        "empty-inline-is-no-source",
        "storage:\n  files:\n    - path: /etc/x\n      mode: 0644\n      contents:\n"
        '        inline: ""\n        remote:\n          url: http://example.com/x\n',
        config(
            storage='{"files":[{"filesystem":"root","path":"/etc/x","contents":'
            '{"source":"http://example.com/x","verification":{}},"mode":420}]}'
        ),
    ),
    (
        "inline-escaping",
        "storage:\n  files:\n    - path: /etc/x\n      mode: 0755\n      contents:\n"
        '        inline: |\n          #!/bin/sh -e\n          echo "a=b&c<d>" 100% é !*\'()~\n',
        config(
            storage='{"files":[{"filesystem":"root","path":"/etc/x","contents":{"source":'
            '"data:,%23!%2Fbin%2Fsh%20-e%0Aecho%20%22a%3Db%26c%3Cd%3E%22%20100%25%20%C3%A9%20'
            '!*\'()~%0A","verification":{}},"mode":493}]}'
        ),
    ),
    (
        "directories-and-links",
        """\
storage:
  directories:
    - path: /opt/dir1
      filesystem: filesystem1
      mode: 0755
      user:
        name: core
      group:
        name: core
    - path: /opt/dir2
      user: {name: core}
      group: {name: core}
  links:
    - path: /opt/link1
      user:
        name: noone
      group:
        name: systemd-journald
      hard: false
      target: /opt/file2
    - path: /opt/link2
      filesystem: filesystem2
      hard: true
      target: /opt/file3
      overwrite: true
""",
        config(
            storage='{"directories":['
            '{"filesystem":"filesystem1","group":{"name":"core"},"path":"/opt/dir1",'
            '"user":{"name":"core"},"mode":493},'
            '{"filesystem":"root","group":{"name":"core"},"path":"/opt/dir2",'
            '"user":{"name":"core"},"mode":493}],'
            '"links":['
            '{"filesystem":"root","group":{"name":"systemd-journald"},"path":"/opt/link1",'
            '"user":{"name":"noone"},"target":"/opt/file2"},'
            '{"filesystem":"filesystem2","overwrite":true,"path":"/opt/link2","hard":true,'
            '"target":"/opt/file3"}]}'
        ),
    ),
    # systemd / networkd
    (
        "systemd",
        f"""\
systemd:
  units:
    - name: test1.service
      enable: true
      contents: "{TEST1}{WANTED}"
      dropins:
        - name: conf1.conf
          contents: "[Service]\\nExecStart="
        - name: conf2.conf
          contents: "[Service]\\nExecStart="
    - name: test2.service
      mask: true
      contents: "{TEST2}{WANTED}"
    - name: test3.service
      enabled: false
    - name: test4.service
      enabled: true
      mask: false
      contents: "{TEST4}{WANTED}"
""",
        config(
            systemd='{"units":['
            '{"contents":"[Service]\\nType=oneshot\\nExecStart=/usr/bin/echo test 1\\n\\n[Install]'
            '\\nWantedBy=multi-user.target\\n","dropins":['
            '{"contents":"[Service]\\nExecStart=","name":"conf1.conf"},'
            '{"contents":"[Service]\\nExecStart=","name":"conf2.conf"}],'
            '"enable":true,"name":"test1.service"},'
            '{"contents":"[Service]\\nType=oneshot\\nExecStart=/usr/bin/echo test 2\\n\\n[Install]'
            '\\nWantedBy=multi-user.target\\n","mask":true,"name":"test2.service"},'
            '{"enabled":false,"name":"test3.service"},'
            '{"contents":"[Unit]\\nDescription=x\\n[Service]\\nExecStart=/bin/true\\n[Install]'
            '\\nWantedBy=multi-user.target\\n","enabled":true,"name":"test4.service"}]}'
        ),
    ),
    (
        "networkd",
        """\
networkd:
  units:
    - name: test.network
      contents: "[Match]\\nName=en*\\n[Network]\\nDHCP=yes"
    - name: empty.netdev
    - name: foo.network
      dropins:
        - name: test.conf
          contents: "[Network]\\nDNS=1.1.1.1\\n"
""",
        config(
            networkd='{"units":['
            '{"contents":"[Match]\\nName=en*\\n[Network]\\nDHCP=yes","name":"test.network"},'
            '{"name":"empty.netdev"},'
            '{"dropins":[{"contents":"[Network]\\nDNS=1.1.1.1\\n","name":"test.conf"}],'
            '"name":"foo.network"}]}'
        ),
    ),
    # passwd (ct's TestConvert passwd table)
    (
        "passwd",
        """\
passwd:
  users:
    - name: user 1
      password_hash: password 1
      ssh_authorized_keys:
        - key1
        - key2
    - name: user 2
      password_hash: password 2
      ssh_authorized_keys: [key3, key4]
      create:
        uid: 123
        gecos: gecos
        home_dir: /home/user 2
        no_create_home: true
        primary_group: wheel
        groups:
          - wheel
          - plugdev
        no_user_group: true
        system: true
        no_log_init: true
        shell: /bin/zsh
    - name: user 3
      password_hash: password 3
      ssh_authorized_keys: [key5, key6]
      create: {}
    - name: user 4
      password_hash: password 4
      ssh_authorized_keys: [key7, key8]
      uid: 456
      gecos: gecos
      home_dir: /home/user 4
      no_create_home: true
      primary_group: wheel
      groups:
        - wheel
        - plugdev
      no_user_group: true
      system: true
      no_log_init: true
      shell: /bin/tcsh
  groups:
    - name: group 1
      gid: 1000
      password_hash: password 1
      system: true
    - name: group 2
      password_hash: password 2
""",
        config(
            passwd='{"groups":['
            '{"gid":1000,"name":"group 1","passwordHash":"password 1","system":true},'
            '{"name":"group 2","passwordHash":"password 2"}],'
            '"users":['
            '{"name":"user 1","passwordHash":"password 1","sshAuthorizedKeys":["key1","key2"]},'
            '{"create":{"gecos":"gecos","groups":["wheel","plugdev"],"homeDir":"/home/user 2",'
            '"noCreateHome":true,"noLogInit":true,"noUserGroup":true,"primaryGroup":"wheel",'
            '"shell":"/bin/zsh","system":true,"uid":123},"name":"user 2",'
            '"passwordHash":"password 2","sshAuthorizedKeys":["key3","key4"]},'
            '{"create":{},"name":"user 3","passwordHash":"password 3",'
            '"sshAuthorizedKeys":["key5","key6"]},'
            '{"gecos":"gecos","groups":["wheel","plugdev"],"homeDir":"/home/user 4",'
            '"name":"user 4","noCreateHome":true,"noLogInit":true,"noUserGroup":true,'
            '"passwordHash":"password 4","primaryGroup":"wheel",'
            '"sshAuthorizedKeys":["key7","key8"],"shell":"/bin/tcsh","system":true,"uid":456}]}'
        ),
    ),
    (
        "empty-password-hashes",
        'passwd:\n  users:\n    - name: core\n      password_hash: ""\n'
        '  groups:\n    - name: g\n      password_hash: ""\n',
        config(passwd='{"groups":[{"name":"g"}],"users":[{"name":"core","passwordHash":""}]}'),
    ),
    (
        "uid-and-gid-zero",
        "passwd:\n  users:\n    - name: u\n      uid: 0\n  groups:\n    - name: g\n      gid: 0\n",
        config(passwd='{"groups":[{"gid":0,"name":"g"}],"users":[{"name":"u","uid":0}]}'),
    ),
    # ct reads the source text of an unquoted number or boolean into a string field
    (
        "number-and-boolean-text-in-string-fields",
        "passwd:\n  users:\n    - name: core\n      gecos: yes\n      home_dir: /home/0x1F\n"
        "storage:\n  files:\n    - path: /a\n      contents:\n        inline: 0644\n"
        "    - path: /b\n      contents:\n        inline: 1.50\n",
        config(
            passwd='{"users":[{"gecos":"yes","homeDir":"/home/0x1F","name":"core"}]}',
            storage='{"files":['
            '{"filesystem":"root","path":"/a","contents":{"source":"data:,0644",'
            '"verification":{}},"mode":420},'
            '{"filesystem":"root","path":"/b","contents":{"source":"data:,1.50",'
            '"verification":{}},"mode":420}]}',
        ),
    ),
]


@pytest.mark.parametrize(("clc", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_matches_ct(clc: str, expected: str) -> None:
    assert ok(clc) == expected


@pytest.mark.parametrize(("clc", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_pretty_is_go_marshal_indent(clc: str, expected: str) -> None:
    assert ok(clc, "-pretty") == json.dumps(json.loads(expected), indent=2) + "\n"


def test_files_dir_local_contents(tmp_path: Path) -> None:
    (tmp_path / "motd").write_bytes(b"hello world\n")
    clc = "storage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n      contents:\n"
    clc += "        local: motd\n"
    assert ok(clc, "-files-dir", str(tmp_path)) == config(
        storage='{"files":[{"filesystem":"root","path":"/etc/motd","contents":'
        '{"source":"data:,hello%20world%0A","verification":{}},"mode":420}]}'
    )


def test_go_escapes_in_unit_contents() -> None:
    clc = (
        "systemd:\n  units:\n    - name: a.service\n      contents: "
        '"[Service]\\nExecStart=/bin/sh -c \\"a && b > c\\"\\b\\f\\n"\n'
    )
    assert ok(clc) == config(
        systemd='{"units":[{"contents":"[Service]\\nExecStart=/bin/sh -c \\"a \\u0026\\u0026 b '
        '\\u003e c\\"\\u0008\\u000c\\n","name":"a.service"}]}'
    )


# Remote URLs go through Go's url.Parse and url.URL.String.
URLS = [
    ("http://example.com/file", "http://example.com/file"),
    ("https://example.com", "https://example.com"),
    ("HTTPS://Example.com/A", "https://Example.com/A"),
    ("http://example.com/a b", "http://example.com/a%20b"),
    ("http://example.com/a%20b?x=1&y=2#frag", "http://example.com/a%20b?x=1&y=2#frag"),
    ("http://example.com/caf\u00e9", "http://example.com/caf%C3%A9"),
    ("http://example.com/p?q=a b", "http://example.com/p?q=a b"),
    ("http://example.com/p#", "http://example.com/p"),
    ("http://user:pw@example.com:8080/x", "http://user:pw@example.com:8080/x"),
    ("s3://bucket/key/name", "s3://bucket/key/name"),
    ("data:,hello%20world", "data:,hello%20world"),
    ("data:text/plain;base64,aGVsbG8=", "data:text/plain;base64,aGVsbG8="),
    ("tftp://10.0.0.1/pxe/x", "tftp://10.0.0.1/pxe/x"),
]


@pytest.mark.parametrize(("url", "source"), URLS)
def test_remote_url_is_reserialised_like_go(url: str, source: str) -> None:
    clc = "storage:\n  files:\n    - path: /x\n      mode: 0644\n      contents:\n"
    clc += f"        remote:\n          url: {json.dumps(url)}\n"
    quoted = json.dumps(source, ensure_ascii=False).replace("&", "\\u0026")
    expected = config(
        storage='{"files":[{"filesystem":"root","path":"/x","contents":'
        f'{{"source":{quoted},"verification":{{}}}},"mode":420}}]}}'
    )
    assert ok(clc) == expected


@pytest.mark.parametrize(
    ("clc", "head"),
    [
        (
            "storage:\n  disks:\n    - device: /dev/sdb\n      partitions:\n"
            "        - size: 100kb\n",
            "<stdin>:5:17: error: ",
        ),
        (
            "storage:\n  disks:\n    - device: /dev/sdb\n      partitions:\n"
            "        - size: 1536KiB\n",
            "<stdin>:5:17: error: invalid dimension (finest granularity is 1MiB)",
        ),
        (
            "storage:\n  disks:\n    - device: /dev/sdb\n      partitions:\n"
            "        - size: -1GiB\n",
            '<stdin>:5:17: error: invalid dimension (negative): "-1GiB"',
        ),
        ("version: 1\n", "<stdin>:1:10: error: Invalid version. Only version 0 is supported"),
        ("storage:\n  filez: []\n", "<stdin>:2:3: error: unknown key 'filez'"),
        ("passwd:\n  users:\n    - name: core\n      uid: abc\n", "<stdin>:4:12: error: "),
    ],
    ids=["unit-case", "granularity", "negative", "version", "unknown-key", "wrong-type"],
)
def test_errors_are_placed(clc: str, head: str) -> None:
    rc, out, err = transpile(clc)
    assert (rc, out) == (1, "")
    assert err.splitlines()[0].startswith(head), err


@pytest.mark.parametrize(
    "clc",
    [
        "storage:\n  files:\n    - path: /x\n      contents:\n        inline: a\n"
        "        remote:\n          url: http://example.com/x\n",
    ],
)
def test_too_many_sources(clc: str) -> None:
    rc, out, err = transpile(clc)
    assert (rc, out) == (1, "")
    assert "only one of" in err


def test_unknown_key_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "in.yaml"
    path.write_text("systemd:\n  units:\n    - name: a.service\n      enabeld: true\n")
    rc, out, err = transpile("", "-in-file", str(path))
    assert (rc, out) == (1, "")
    assert err.splitlines()[0].startswith(f"{path}:4:7: error: unknown key 'enabeld'"), err


def test_generated_units_and_files_follow_ct_converter_order() -> None:
    """docker, etcd, flannel units first, then the config's own; generated files last.

    Where ct appends a second entry for a unit its section generated (the
    config's own ``docker.service`` drop-in), hostiso emits one entry with
    ct's drop-in first: the same machine, and valid where duplicates are not.
    """
    clc = """\
systemd:
  units:
    - name: a.service
      enabled: true
    - name: docker.service
      dropins:
        - name: 10-x.conf
          contents: "[Service]\\nEnvironment=A=1\\n"
docker:
  flags: [--log-level=warn]
update:
  group: stable
storage:
  files:
    - path: /etc/a
      mode: 0644
"""
    rc, out_text, err = transpile(clc)
    assert (rc, err) == (0, "")
    out = json.loads(out_text)
    units = out["systemd"]["units"]
    assert [u["name"] for u in units] == ["docker.service", "a.service"]
    assert units[0] == {
        "dropins": [
            {
                "contents": '[Service]\nEnvironment="DOCKER_OPTS=--log-level=warn"',
                "name": "20-clct-docker.conf",
            },
            {"contents": "[Service]\nEnvironment=A=1\n", "name": "10-x.conf"},
        ],
        "enable": True,
        "name": "docker.service",
    }
    assert [f["path"] for f in out["storage"]["files"]] == ["/etc/a", "/etc/coreos/update.conf"]


def test_own_dropin_with_cts_name_replaces_cts() -> None:
    clc = (
        "flannel: ~\n"
        "systemd:\n  units:\n    - name: flanneld.service\n      dropins:\n"
        "        - name: 20-clct-flannel.conf\n"
        '          contents: "[Service]\\nExecStart=\\nExecStart=/bin/true\\n"\n'
    )
    units = json.loads(ok(clc))["systemd"]["units"]
    assert units == [
        {
            "dropins": [
                {
                    "contents": "[Service]\nExecStart=\nExecStart=/bin/true\n",
                    "name": "20-clct-flannel.conf",
                }
            ],
            "enable": True,
            "name": "flanneld.service",
        }
    ]


def test_section_options_keep_their_written_text() -> None:
    """`reboot_strategy: off` is the text "off" to ct, not YAML 1.1's false."""
    files = json.loads(ok("locksmith:\n  reboot_strategy: off\n"))["storage"]["files"]
    assert files[0]["contents"]["source"] == "data:,%0AREBOOT_STRATEGY%3D%22off%22"


def test_section_errors_are_placed_at_their_value() -> None:
    rc, _out, err = transpile('flannel:\n  network_config: "{bad"\n')
    assert rc == 1
    assert err.splitlines()[0].startswith(
        "<stdin>:2:19: error: flannel network config is not valid JSON"
    )


LIFECYCLE = (
    "storage:\n  disks:\n    - device: /dev/sdb\n      partitions:\n"
    "        - number: 2\n          should_exist: false\n"
    "        - number: 3\n          wipe_partition_entry: true\n"
)


def test_partition_lifecycle_is_written_for_2_3() -> None:
    disks = json.loads(ok(LIFECYCLE))["storage"]["disks"]
    assert disks == [
        {
            "device": "/dev/sdb",
            "partitions": [
                {"number": 2, "shouldExist": False},
                {"number": 3, "wipePartitionEntry": True},
            ],
        }
    ]


def test_partition_lifecycle_is_an_error_for_2_2_never_dropped() -> None:
    """Dropped, `should_exist: false` would create the partition it meant to delete."""
    rc, out, err = transpile(LIFECYCLE, "-spec", "2.2.0")
    assert (rc, out) == (1, "")
    assert [line for line in err.splitlines() if "error:" in line] == [
        "<stdin>:6:25: error: 'should_exist' needs Ignition spec 2.3.0 [unsupported-by-spec]",
        "<stdin>:8:33: error: 'wipe_partition_entry' needs Ignition spec 2.3.0 "
        "[unsupported-by-spec]",
    ]


def test_spec_2_2_has_networkd_dropins_and_raid_options() -> None:
    clc = (
        "storage:\n  raid:\n    - name: md0\n      level: raid1\n"
        "      devices: [/dev/sdc, /dev/sdd]\n      options: [--metadata=1.0]\n"
        "networkd:\n  units:\n    - name: 10-eth0.network\n      dropins:\n"
        '        - name: 10-mtu.conf\n          contents: "[Link]\\nMTUBytes=9000\\n"\n'
    )
    out = json.loads(ok(clc, "-spec", "2.2.0"))
    assert out["ignition"]["version"] == "2.2.0"
    assert out["storage"]["raid"][0]["options"] == ["--metadata=1.0"]
    assert out["networkd"]["units"][0]["dropins"] == [
        {"contents": "[Link]\nMTUBytes=9000\n", "name": "10-mtu.conf"}
    ]


def test_yaml_merge_keys_expand_as_ct_reads_them() -> None:
    """ct's YAML reader expands ``<<``; the mapping's own keys win, then the first source."""
    clc = (
        "systemd:\n  units:\n"
        "    - &svc\n      name: a.service\n      mask: true\n      enabled: true\n"
        "    - <<: *svc\n      name: b.service\n"
        "    - <<: [{name: x.service, enabled: false}, *svc]\n      name: c.service\n"
    )
    units = json.loads(ok(clc))["systemd"]["units"]
    assert units == [
        {"enabled": True, "mask": True, "name": "a.service"},
        {"enabled": True, "mask": True, "name": "b.service"},
        {"enabled": False, "mask": True, "name": "c.service"},
    ]


def test_a_merge_key_needs_mappings() -> None:
    rc, _out, err = transpile("systemd:\n  <<: 5\n")
    assert rc == 1
    assert err.splitlines()[0] == (
        "<stdin>:2:3: error: a merge key (<<) takes a mapping or a list of mappings "
        "[yaml-merge-key]"
    )

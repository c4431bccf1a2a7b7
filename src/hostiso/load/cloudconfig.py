"""Keys that come from other formats, with what to write in a Container Linux Config.

Configs moved from a cloud-config (coreos-cloudinit) or from Ignition's own
JSON keep some of their keys.  ct warns that it does not know them and drops
them, so the machine silently misses what they asked for; hostiso refuses an
unknown key, and for these names it says where the setting went.
"""

from __future__ import annotations

_ENABLE = "in a Container Linux Config write `enable: true` (and an [Install] section)"

UNIT_NOTES = {
    "command": f"`command: start` is cloud-config; {_ENABLE} and the unit starts at boot",
    "runtime": "`runtime` is cloud-config; Container Linux Config units are always persistent",
    "drop-ins": "`drop-ins` is cloud-config; write `dropins`",
    "drop_ins": "write `dropins`",
}
"""``systemd.units[]``"""

FILE_NOTES = {
    "permissions": "`permissions` is cloud-config; write `mode` (octal, like 0644)",
    "owner": "`owner` is cloud-config; write `user: {name: ...}` and `group: {name: ...}`",
    "content": "`content` is cloud-config; write `contents: {inline: ...}`",
    "encoding": "`encoding` is cloud-config; inline text needs none "
    "(`contents.remote.compression` for gzip)",
}
"""``storage.files[]``"""

TOP_NOTES = {
    "coreos": "`coreos:` is cloud-config: its units go under `systemd.units`, etcd2 and flannel "
    "under `etcd` and `flannel`, update and locksmith under `update` and `locksmith`",
    "write_files": "`write_files` is cloud-config; write `storage.files`",
    "ssh_authorized_keys": "`ssh_authorized_keys` belongs to a user: "
    "`passwd.users[].ssh_authorized_keys`",
    "users": "`users` is cloud-config; write `passwd.users`",
    "ignition_version": "`ignition_version` is Ignition's spec 1 syntax; leave it out "
    "(hostiso writes the spec version)",
}
"""the top of a host file"""

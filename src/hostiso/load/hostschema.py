"""The host file: hostiso's shorthands plus every Container Linux Config section.

Field names and nesting follow ct's Container Linux Config.  Section bodies
for etcd, flannel, docker, update and locksmith are checked by their own
translators (their options depend on the version), so here they are only
required to be mappings; their JSON Schema, for editors, lists the options
of the sections' tables (every version's, so it never flags what some
version accepts).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from hostiso.diagnostics import Diagnostic, Path
from hostiso.load import attachschema, cloudconfig
from hostiso.load.formats import (
    check_abs_path,
    check_dropin_name,
    check_etcd_tls_days,
    check_hostname,
    check_interface,
    check_interface_cidr,
    check_ip,
    check_mac,
    check_network,
    check_networkd_name,
    check_unit_name,
)
from hostiso.load.installschema import INSTALL
from hostiso.load.inventoryschema import INVENTORY
from hostiso.load.schema import ListOf, MapOf, Nullable, Obj, Scalar, Type, keep_text
from hostiso.load.schema3 import KERNEL_ARGUMENTS, LUKS
from hostiso.load.specs import SPECS
from hostiso.load.yamlload import Node
from hostiso.media.iso import validate_label
from hostiso.sections import (
    DEFAULT_ETCD_VERSION,
    DEFAULT_FLANNEL_VERSION,
    ETCD_OPTIONS,
    FLANNEL_OPTIONS,
    LOCKSMITH_OPTIONS,
    UPDATE_OPTIONS,
    Option,
    docker,
    etcd,
    flannel,
    update,
)
from hostiso.sections.update import REBOOT_STRATEGIES, UPDATE_GROUPS


def _s(doc: str = "", **kw: Any) -> Scalar:
    return Scalar(kind="string", doc=doc, **kw)


_INT = Scalar(kind="integer")
_BOOL = Scalar(kind="boolean")
_STRS = ListOf(item=_s())
_PATH = _s("absolute path", check=check_abs_path, code="relative-path", blocking=False)
_MODE = Scalar(kind="integer", doc="file mode; write it in octal, like 0644")

_VERIFICATION = Obj(fields={"hash": Obj(fields={"function": _s(enum=("sha512",)), "sum": _s()})})
_SOURCE = Obj(fields={"source": _s(), "verification": _VERIFICATION})
_OWNER = Obj(fields={"id": _INT, "name": _s()})

_CONTENTS = Obj(
    fields={
        "inline": _s("the file's text"),
        "local": _s("a file under the files directory"),
        "template": _s("a jinja2 template under the files directory"),
        "remote": Obj(
            fields={
                "url": _s(),
                "compression": _s(enum=("gzip",)),
                "verification": _VERIFICATION,
            }
        ),
    }
)
_NODE_FIELDS: dict[str, Type] = {
    "filesystem": _s(),
    "path": _PATH,
    "user": _OWNER,
    "group": _OWNER,
    "overwrite": _BOOL,
}
_FILE = Obj(
    fields={**_NODE_FIELDS, "contents": _CONTENTS, "mode": _MODE, "append": _BOOL},
    required=("path",),
    notes=cloudconfig.FILE_NOTES,
)
_DIRECTORY = Obj(fields={**_NODE_FIELDS, "mode": _MODE}, required=("path",))
_LINK = Obj(fields={**_NODE_FIELDS, "target": _s(), "hard": _BOOL}, required=("path", "target"))

_FILESYSTEM = Obj(
    fields={
        "name": _s(),
        "mount": Obj(
            fields={
                "device": _PATH,
                "format": _s(enum=("ext4", "btrfs", "xfs", "vfat", "swap")),
                "wipe_filesystem": _BOOL,
                "label": _s(),
                "uuid": _s(),
                "options": _STRS,
                "create": Obj(fields={"force": _BOOL, "options": _STRS}),
            },
            required=("device", "format"),
        ),
        "path": _PATH,
    },
)
_PARTITION = Obj(
    fields={
        "label": _s(),
        "number": _INT,
        "size": Scalar(kind="any"),
        "start": Scalar(kind="any"),
        "type_guid": _s(),
        "guid": _s(),
        "wipe_partition_entry": _BOOL,
        "should_exist": _BOOL,
    }
)
_DISK = Obj(
    fields={"device": _PATH, "wipe_table": _BOOL, "partitions": ListOf(item=_PARTITION)},
    required=("device",),
)
_RAID = Obj(
    fields={
        "name": _s(),
        "level": _s(),
        "devices": ListOf(item=_PATH),
        "spares": _INT,
        "options": _STRS,
    },
    required=("name", "level", "devices"),
)

_DROPIN = Obj(
    fields={
        "name": _s(check=check_dropin_name, code="bad-unit-name", blocking=False),
        "contents": _s(),
    },
    required=("name",),
)
_UNIT = Obj(
    fields={
        "name": _s(check=check_unit_name, code="bad-unit-name", blocking=False),
        "enable": _BOOL,
        "enabled": _BOOL,
        "mask": _BOOL,
        "contents": _s(),
        "dropins": ListOf(item=_DROPIN),
    },
    required=("name",),
    notes=cloudconfig.UNIT_NOTES,
)
_NETWORKD_UNIT = Obj(
    fields={
        "name": _s(check=check_networkd_name, code="bad-unit-name", blocking=False),
        "contents": _s(),
        "dropins": ListOf(item=_DROPIN),
    },
    required=("name",),
)

_USER_CREATE = Obj(
    fields={
        "uid": _INT,
        "gecos": _s(),
        "home_dir": _s(),
        "no_create_home": _BOOL,
        "primary_group": _s(),
        "groups": _STRS,
        "no_user_group": _BOOL,
        "system": _BOOL,
        "no_log_init": _BOOL,
        "shell": _s(),
    }
)
_USER = Obj(
    fields={
        "name": _s(),
        "password_hash": _s(),
        "password_file": _s("a file under secrets/"),
        "password": _s("never allowed: plaintext in git"),
        "ssh_authorized_keys": _STRS,
        "uid": _INT,
        "gecos": _s(),
        "home_dir": _s(),
        "no_create_home": _BOOL,
        "primary_group": _s(),
        "groups": _STRS,
        "no_user_group": _BOOL,
        "system": _BOOL,
        "no_log_init": _BOOL,
        "shell": _s(),
        "create": _USER_CREATE,
    },
    required=("name",),
)
_GROUP = Obj(
    fields={"name": _s(), "gid": _INT, "password_hash": _s(), "system": _BOOL}, required=("name",)
)

_IGNITION = Obj(
    fields={
        "config": Obj(fields={"append": ListOf(item=_SOURCE), "replace": _SOURCE}),
        "timeouts": Obj(fields={"http_response_headers": _INT, "http_total": _INT}),
        "security": Obj(
            fields={"tls": Obj(fields={"certificate_authorities": ListOf(item=_SOURCE)})}
        ),
        "proxy": Obj(fields={"http_proxy": _s(), "https_proxy": _s(), "no_proxy": _STRS}),
        "version": _s(
            "the Ignition spec to write (the --spec flag wins); pin it once in overlays/all.yaml",
            enum=SPECS,
            code="bad-spec",
            blocking=False,
        ),
    }
)

_ROUTE = Obj(
    fields={
        "destination": _s(check=check_network, code="bad-network"),
        "gateway": _s(check=check_ip, code="bad-address"),
    },
    required=("destination", "gateway"),
)
NETWORK = Obj(
    doc="shorthand for the networkd unit 10-static.network",
    fields={
        "interface": _s(check=check_interface, code="bad-interface"),
        "mac": _s(check=check_mac, code="bad-mac"),
        "addresses": ListOf(item=_s(check=check_interface_cidr, code="bad-address")),
        "gateway": _s(check=check_ip, code="bad-address"),
        "dns": ListOf(item=_s(check=check_ip, code="bad-address")),
        "domains": _STRS,
        "routes": ListOf(item=_ROUTE),
    },
)


@dataclass(frozen=True)
class _Editor(Type):
    """A fixed JSON Schema: a section option, in the editor schema only."""

    schema: Mapping[str, Any] = field(default_factory=dict)

    def json_schema(self) -> dict[str, Any]:
        return dict(self.schema)


@dataclass(frozen=True)
class _Section(MapOf):
    """A ct section: only a mapping here (its translator checks the options,
    per version); its JSON Schema is ``editor``'s, listing the options."""

    editor: Obj = field(default_factory=Obj)
    text_keys: Callable[[Mapping[str, Any]], Collection[str]] | None = None
    """The keys whose values are text for this body's version (see keep_text)."""

    def validate(self, node: Node, path: Path, out: list[Diagnostic]) -> None:
        super().validate(node, path, out)
        if self.text_keys is None or not isinstance(node.value, dict):
            return
        body = {key: child.value for key, child in node.value.items()}
        for key in self.text_keys(body):
            child = node.value.get(key)
            items = child.value if child is not None and isinstance(child.value, list) else [child]
            for item in items:
                if isinstance(item, Node):
                    keep_text(item)

    def json_schema(self) -> dict[str, Any]:
        return self.editor.json_schema()


_JSON_KINDS = {"string": "string", "int": "integer", "bool": "boolean"}
_VERSION = r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"


def _option_fields(
    tables: Mapping[str, Mapping[str, Option]], what: str, shown: str = "--{flag}"
) -> dict[str, Type]:
    """Every option of every table, typed; the description names the flag, and
    the versions that have the option when not all do."""
    seen: dict[str, list[tuple[str, Option]]] = {}
    for version, table in tables.items():
        for name, option in table.items():
            seen.setdefault(name, []).append((version, option))
    out: dict[str, Type] = {}
    for name, entries in seen.items():
        options = [o for _, o in entries]
        kinds = list(dict.fromkeys(_JSON_KINDS[o.kind] for o in options))
        doc = shown.format(flag=options[0].flag)
        if len(tables) > 1 and len(entries) < len(tables):
            doc += f"; {what} {', '.join(v for v, _ in entries)} only"
        schema: dict[str, Any] = {"type": kinds[0] if len(kinds) == 1 else kinds}
        patterns = {o.pattern for o in options}
        if len(patterns) == 1 and None not in patterns:
            schema["pattern"] = patterns.pop()
        if options[0].deprecated:
            doc += f"; deprecated: {options[0].deprecated}"
            schema["deprecated"] = True
        out[name] = _Editor(schema={**schema, "description": doc})
    return out


def _version(what: str, default: str) -> _Editor:
    doc = f"{what} version, a dotted triple like {default} (the default); quote it"
    return _Editor(schema={"type": "string", "pattern": _VERSION, "description": doc})


def _with_examples(fields: dict[str, Type], examples: Mapping[str, tuple[str, ...]]) -> None:
    for name, values in examples.items():
        spec = fields[name]
        assert isinstance(spec, _Editor)
        fields[name] = _Editor(schema={**spec.schema, "examples": list(values)})


_ETCD_FIELDS: dict[str, Type] = {
    "version": _version("etcd", DEFAULT_ETCD_VERSION),
    **_option_fields(ETCD_OPTIONS, "etcd"),
}
_FLANNEL_FIELDS: dict[str, Type] = {
    "version": _version("flannel", DEFAULT_FLANNEL_VERSION),
    "network_config": _s('flannel\'s network config JSON, like {"Network": "10.1.0.0/16"}'),
    **_option_fields(FLANNEL_OPTIONS, "flannel"),
}
_UPDATE_FIELDS = _option_fields({"": UPDATE_OPTIONS}, "", "{flag}= in /etc/coreos/update.conf")
_LOCKSMITH_FIELDS = _option_fields(
    {"": LOCKSMITH_OPTIONS}, "", "{flag}= in /etc/coreos/update.conf"
)
_with_examples(_UPDATE_FIELDS, {"group": UPDATE_GROUPS})
_with_examples(_LOCKSMITH_FIELDS, {"reboot_strategy": REBOOT_STRATEGIES})


def _section(
    doc: str, fields: dict[str, Type], text_keys: Callable[[Mapping[str, Any]], Collection[str]]
) -> Nullable:
    editor = Obj(doc=doc, fields=fields)
    return Nullable(inner=_Section(editor=editor, text_keys=text_keys))


ETCD = _section(
    "etcd-member.service options (ct's table for the version)", _ETCD_FIELDS, etcd.text_keys
)
FLANNEL = _section(
    "flanneld.service options; flannel: ~ enables the defaults",
    _FLANNEL_FIELDS,
    flannel.text_keys,
)
DOCKER = _section(
    "docker.service options",
    {"flags": ListOf(item=_s(), doc="dockerd flags, joined with spaces into DOCKER_OPTS")},
    docker.text_keys,
)
UPDATE = _section(
    "update settings for /etc/coreos/update.conf", _UPDATE_FIELDS, update.update_text_keys
)
LOCKSMITH = _section(
    "locksmith settings for /etc/coreos/update.conf", _LOCKSMITH_FIELDS, update.locksmith_text_keys
)


def check_clc_version(value: int) -> str | None:
    return None if value == 0 else "Invalid version. Only version 0 is supported"


HOST = Obj(
    doc="A hostiso host file or overlay",
    fields={
        "version": Scalar(
            kind="integer",
            check=check_clc_version,
            code="bad-version",
            doc="the Container Linux Config version; only 0 exists",
        ),
        "hostname": _s("writes /etc/hostname", check=check_hostname, code="bad-hostname"),
        "groups": ListOf(item=_s(), doc="overlays/<group>.yaml applied in order"),
        "vars": MapOf(doc="values for templates"),
        "inventory": INVENTORY,
        "network": NETWORK,
        "iso_label": _s(
            check=validate_label,
            code="bad-iso-label",
            doc="ISO volume label; default from the hostname",
        ),
        "etcd_tls": _BOOL,
        "etcd_tls_key": _s("etcd certificate key type", enum=("ecdsa", "rsa")),
        "etcd_tls_days": Scalar(
            kind="integer",
            check=check_etcd_tls_days,
            doc="etcd certificate validity in days, 60 to 3650",
        ),
        "etcd_sans": ListOf(item=_s(), doc="extra DNS names or IPs in etcd certificates"),
        "install": INSTALL,
        "ignition": _IGNITION,
        "kernel_arguments": KERNEL_ARGUMENTS,
        "storage": Obj(
            fields={
                "disks": ListOf(item=_DISK),
                "raid": ListOf(item=_RAID),
                "filesystems": ListOf(item=_FILESYSTEM),
                "files": ListOf(item=_FILE),
                "directories": ListOf(item=_DIRECTORY),
                "links": ListOf(item=_LINK),
                "luks": ListOf(item=LUKS),
            }
        ),
        "systemd": Obj(fields={"units": ListOf(item=_UNIT)}),
        "networkd": Obj(fields={"units": ListOf(item=_NETWORKD_UNIT)}),
        "passwd": Obj(fields={"users": ListOf(item=_USER), "groups": ListOf(item=_GROUP)}),
        "etcd": ETCD,
        "flannel": FLANNEL,
        "docker": DOCKER,
        "update": UPDATE,
        "locksmith": LOCKSMITH,
        "bmc": attachschema.BMC,
        "libvirt": attachschema.LIBVIRT,
    },
    notes=cloudconfig.TOP_NOTES,
)

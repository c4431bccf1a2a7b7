"""The CLC ``etcd:`` section: a drop-in for ``etcd-member.service``.

The option tables mirror the Flatcar ct's ``Etcd2`` and ``Etcd3_0`` ..
``Etcd3_5`` structs (flatcar/container-linux-config-transpiler,
config/types/etcd.go), field for field and in the same order, because that
order is the order of the flags in the drop-in (see docs/ct-sections.md).
etcd 3.4 removed ``--ca-file`` and ``--peer-ca-file``, and etcd does not
start with them: hostiso refuses them there (ct drops them with a warning).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hostiso.diagnostics import Diagnostic, error, warning
from hostiso.sections.options import (
    Option,
    OptionTable,
    Version,
    as_section,
    assemble_dropin,
    check_options,
    parse_table,
    parse_version,
    render_args,
    string_keys,
)
from hostiso.sections.platform import template_values

UNIT = "etcd-member.service"
DROPIN = "20-clct-etcd-member.conf"
EXEC_START = "/usr/lib/coreos/etcd-wrapper $ETCD_OPTS"
DEFAULT_ETCD_VERSION = "3.5.0"
OLDEST_ETCD_VERSION = "2.3.0"

_DEPRECATED = {
    "ca_file": Option(
        "ca-file", "string", deprecated="ca_file obsoleted by trusted_ca_file and client_cert_auth"
    ),
    "peer_ca_file": Option(
        "peer-ca-file",
        "string",
        deprecated="peer_ca_file obsoleted peer_trusted_ca_file and peer_client_cert_auth",
    ),
}
_ETCD2_EXTRAS = {**_DEPRECATED, "proxy": Option("proxy", "string", pattern="^(on|off|readonly)$")}

_ETCD2 = """
advertise_client_urls:s ca_file:s cert_file:s client_cert_auth:b cors:s data_dir:s debug:b
discovery:s discovery_fallback:s discovery_srv:s discovery_proxy:s election_timeout:i
enable_pprof:b force_new_cluster:b heartbeat_interval:i initial_advertise_peer_urls:s
initial_cluster:s initial_cluster_state:s initial_cluster_token:s key_file:s
listen_client_urls:s listen_peer_urls:s log_package_levels:s max_snapshots:i max_wals:i
name:s peer_ca_file:s peer_cert_file:s peer_key_file:s peer_client_cert_auth:b
peer_trusted_ca_file:s proxy:s proxy_dial_timeout:i proxy_failure_wait:i proxy_read_timeout:i
proxy_refresh_interval:i proxy_write_timeout:i snapshot_count:i strict_reconfig_check:b
trusted_ca_file:s wal_dir:s
"""

_ETCD3_0 = """
name:s data_dir:s wal_dir:s snapshot_count:i heartbeat_interval:i election_timeout:i
enable_pprof:b listen_peer_urls:s listen_client_urls:s max_snapshots:i max_wals:i cors:s
initial_advertise_peer_urls:s initial_cluster:s initial_cluster_state:s
initial_cluster_token:s advertise_client_urls:s discovery:s discovery_srv:s
discovery_fallback:s discovery_proxy:s strict_reconfig_check:b auto_compaction_retention:i
proxy:s proxy_failure_wait:i proxy_refresh_interval:i proxy_dial_timeout:i
proxy_write_timeout:i proxy_read_timeout:i ca_file:s cert_file:s key_file:s
client_cert_auth:b trusted_ca_file:s auto_tls:b peer_ca_file:s peer_cert_file:s
peer_key_file:s peer_client_cert_auth:b peer_trusted_ca_file:s peer_auto_tls:b debug:b
log_package_levels:s force_new_cluster:b
"""

_ETCD3_1 = _ETCD3_0 + " metrics:s log_output:s"

_ETCD3_2 = """
name:s data_dir:s wal_dir:s snapshot_count:i heartbeat_interval:i election_timeout:i
enable_pprof:b enable_v2:b listen_peer_urls:s listen_client_urls:s max_snapshots:i max_wals:i
cors:s initial_advertise_peer_urls:s initial_cluster:s initial_cluster_state:s
initial_cluster_token:s advertise_client_urls:s discovery:s discovery_srv:s
discovery_fallback:s discovery_proxy:s strict_reconfig_check:b auto_compaction_retention:i
proxy:s proxy_failure_wait:i proxy_refresh_interval:i proxy_dial_timeout:i
proxy_write_timeout:i proxy_read_timeout:i ca_file:s cert_file:s key_file:s
client_cert_auth:b trusted_ca_file:s auto_tls:b peer_ca_file:s peer_cert_file:s
peer_key_file:s peer_client_cert_auth:b peer_trusted_ca_file:s peer_auto_tls:b auth_token:s
debug:b log_package_levels:s force_new_cluster:b metrics:s log_output:s
"""

_ETCD3_3 = """
name:s data_dir:s wal_dir:s snapshot_count:i heartbeat_interval:i election_timeout:i
enable_pprof:b enable_v2:b listen_peer_urls:s listen_client_urls:s max_snapshots:i max_wals:i
cors:s quota_backend_bytes:i max_txn_ops:i max_request_bytes:i grpc_keepalive_min_time:s
grpc_keepalive_interval:s grpc_keepalive_timeout:s initial_advertise_peer_urls:s
initial_cluster:s initial_cluster_state:s initial_cluster_token:s advertise_client_urls:s
discovery:s discovery_srv:s discovery_fallback:s discovery_proxy:s strict_reconfig_check:b
auto_compaction_retention:s auto_compaction_mode:s proxy:s proxy_failure_wait:i
proxy_refresh_interval:i proxy_dial_timeout:i proxy_write_timeout:i proxy_read_timeout:i
ca_file:s cert_file:s key_file:s client_cert_auth:b client_crl_file:s trusted_ca_file:s
auto_tls:b peer_ca_file:s peer_cert_file:s peer_key_file:s peer_client_cert_auth:b
peer_crl_file:s peer_trusted_ca_file:s peer_auto_tls:b peer_cert_allowed_cn:s auth_token:s
debug:b log_package_levels:s force_new_cluster:b metrics:s log_output:s listen_metrics_urls:s
experimental_initial_corrupt_check:b experimental_corrupt_check_time:s
experimental_enable_v2v3:s
"""

_ETCD3_4 = """
name:s data_dir:s wal_dir:s snapshot_count:i heartbeat_interval:i election_timeout:i
initial_election_tick_advance:b listen_peer_urls:s listen_client_urls:s max_snapshots:i
max_wals:i quota_backend_bytes:i backend_batch_interval:s backend_batch_limit:i max_txn_ops:i
max_request_bytes:i grpc_keepalive_min_time:s grpc_keepalive_interval:s
grpc_keepalive_timeout:s initial_advertise_peer_urls:s initial_cluster:s
initial_cluster_state:s initial_cluster_token:s advertise_client_urls:s discovery:s
discovery_fallback:s discovery_proxy:s discovery_srv:s discovery_srv_name:s
strict_reconfig_check:b pre_vote:b auto_compaction_retention:s auto_compaction_mode:s
enable_v2:b cert_file:s key_file:s client_cert_auth:b client_crl_file:s
client_cert_allowed_hostname:s trusted_ca_file:s auto_tls:b peer_cert_file:s peer_key_file:s
peer_client_cert_auth:b peer_trusted_ca_file:s peer_cert_allowed_cn:s
peer_cert_allowed_hostname:s peer_auto_tls:b peer_crl_file:s cipher_suites:s cors:s
host_whitelist:s auth_token:s bcrypt_cost:i auth_token_ttl:i enable_pprof:b metrics:s
listen_metrics_urls:s logger:s log_outputs:s log_level:s proxy:s proxy_failure_wait:i
proxy_refresh_interval:i proxy_dial_timeout:i proxy_write_timeout:i proxy_read_timeout:i
experimental_initial_corrupt_check:b experimental_corrupt_check_time:s
experimental_enable_v2v3:s experimental_backend_bbolt_freelist_type:s
experimental_enable_lease_checkpoint:b experimental_compaction_batch_limit:i
experimental_watch_progress_notify_interval:s experimental_warning_apply_duration:s
force_new_cluster:b debug:b log_package_levels:s
"""

_ETCD3_5 = """
name:s data_dir:s wal_dir:s snapshot_count:i heartbeat_interval:i election_timeout:i
initial_election_tick_advance:b listen_peer_urls:s listen_client_urls:s max_snapshots:i
max_wals:i quota_backend_bytes:i backend_bbolt_freelist_type:s backend_batch_interval:s
backend_batch_limit:i max_txn_ops:i max_request_bytes:i grpc_keepalive_min_time:s
grpc_keepalive_interval:s grpc_keepalive_timeout:s socket_reuse_port:b socket_reuse_address:b
initial_advertise_peer_urls:s initial_cluster:s initial_cluster_state:s
initial_cluster_token:s advertise_client_urls:s discovery:s discovery_fallback:s
discovery_proxy:s discovery_srv:s discovery_srv_name:s strict_reconfig_check:b pre_vote:b
auto_compaction_retention:s auto_compaction_mode:s enable_v2:b v2_deprecation:s cert_file:s
key_file:s client_cert_auth:b client_crl_file:s client_cert_allowed_hostname:s
trusted_ca_file:s auto_tls:b peer_cert_file:s peer_key_file:s peer_client_cert_auth:b
peer_trusted_ca_file:s peer_cert_allowed_cn:s peer_cert_allowed_hostname:s peer_auto_tls:b
self_signed_cert_validity:i peer_crl_file:s cipher_suites:s cors:s host_whitelist:s
auth_token:s bcrypt_cost:i auth_token_ttl:i enable_pprof:b metrics:s listen_metrics_urls:s
logger:s log_outputs:s log_level:s enable_log_rotation:b log_rotation_config_json:s
experimental_enable_distributed_tracing:b experimental_distributed_tracing_address:s
experimental_distributed_tracing_service_name:s experimental_distributed_tracing_instance_id:s
proxy:s proxy_failure_wait:i proxy_refresh_interval:i proxy_dial_timeout:i
proxy_write_timeout:i proxy_read_timeout:i experimental_initial_corrupt_check:b
experimental_corrupt_check_time:s experimental_enable_v2v3:s
experimental_enable_lease_checkpoint:b experimental_compaction_batch_limit:i
experimental_watch_progress_notify_interval:s experimental_warning_apply_duration:s
experimental_txn_mode_write_with_shared_buffer:b force_new_cluster:b unsafe_no_fsync:b
"""

#: Options etcd removed, from the first version without them: that version and
#: what replaces the option.  etcd does not start with an unknown flag.
REMOVED: dict[str, tuple[str, str]] = {
    "ca_file": ("3.4", "trusted_ca_file plus client_cert_auth: true"),
    "peer_ca_file": ("3.4", "peer_trusted_ca_file plus peer_client_cert_auth: true"),
}

#: Which ct struct each hostiso table reproduces.
ETCD_VERSIONS: dict[str, str] = {
    "2.3": "Etcd2",
    "3.0": "Etcd3_0",
    "3.1": "Etcd3_1",
    "3.2": "Etcd3_2",
    "3.3": "Etcd3_3",
    "3.4": "Etcd3_4",
    "3.5": "Etcd3_5",
}

#: Per version (``MAJOR.MINOR``): option name -> flag and type, in ct's order.
ETCD_OPTIONS: dict[str, OptionTable] = {
    "2.3": parse_table(_ETCD2, extras=_ETCD2_EXTRAS),
    "3.0": parse_table(_ETCD3_0, extras=_DEPRECATED),
    "3.1": parse_table(_ETCD3_1, extras=_DEPRECATED),
    "3.2": parse_table(_ETCD3_2, extras=_DEPRECATED),
    "3.3": parse_table(_ETCD3_3, extras=_DEPRECATED),
    "3.4": parse_table(_ETCD3_4),
    "3.5": parse_table(_ETCD3_5),
}


def etcd_table_key(version: Version) -> str | None:
    """The table a version uses: its own minor, else the newest of its major."""
    if version.minor_key in ETCD_OPTIONS:
        return version.minor_key
    same_major = [k for k in ETCD_OPTIONS if k.split(".")[0] == str(version.major)]
    return max(same_major, key=lambda k: int(k.split(".")[1]), default=None)


def etcd_option_names(version: str) -> frozenset[str]:
    """The options valid for *version* (``3.3.1``, or a table key ``3.3``)."""
    key = version if version in ETCD_OPTIONS else None
    if key is None:
        parsed, _ = parse_version(version, ())
        key = etcd_table_key(parsed) if parsed else None
    return frozenset(ETCD_OPTIONS[key]) if key else frozenset()


def text_keys(body: Mapping[str, Any]) -> frozenset[str]:
    """The keys of ``etcd:`` whose values ct reads as text, for its version."""
    _, key, _ = _resolve_version(body)
    return string_keys(ETCD_OPTIONS[key]) if key is not None else frozenset()


def translate_etcd(
    section: Mapping[str, Any] | None, platform: str | None = None
) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    """Translate ``etcd:``; ``None`` (``etcd: ~``) is ignored, as ct ignores it."""
    if section is None:
        return [], []
    body, diags = as_section(section, ("etcd",))
    if body is None:
        return [], diags
    version, key, found = _resolve_version(body)
    diags += found
    if key is None:
        return [], diags
    removed = _removed(body, key, version)
    values, found = check_options(
        body,
        ETCD_OPTIONS[key],
        ("etcd",),
        skip=("version", *removed),
        elsewhere=_elsewhere(key, version),
    )
    diags += [_removed_error(n, version) for n in removed if body[n] is not None]
    values, metadata, templating = template_values(values, ("etcd",), platform)
    diags += found + templating
    if any(d.is_error for d in diags):
        return [], diags
    env = [f"ETCD_IMAGE_TAG=v{version}"] if body.get("version") is not None else []
    contents = assemble_dropin(EXEC_START, render_args(ETCD_OPTIONS[key], values), env, metadata)
    unit = {
        "kind": "unit",
        "name": UNIT,
        "enable": True,
        "dropins": [{"name": DROPIN, "contents": contents}],
    }
    return [unit], diags


def _resolve_version(
    body: Mapping[str, Any],
) -> tuple[Version | None, str | None, list[Diagnostic]]:
    path = ("etcd", "version")
    raw = body.get("version")
    raw = DEFAULT_ETCD_VERSION if raw is None else raw
    version, diags = parse_version(raw, path)
    if version is None:
        return None, None, diags
    if version < Version(2, 3, 0):
        return (
            version,
            None,
            [
                error(
                    "unsupported-version",
                    f"etcd {version} is too old; "
                    f"the oldest version ct supports is {OLDEST_ETCD_VERSION}",
                    path,
                )
            ],
        )
    key = etcd_table_key(version)
    if key is None:
        return (
            version,
            None,
            [error("unsupported-version", f"etcd {version} is not valid (too new)", path)],
        )
    if key != version.minor_key:
        diags.append(
            warning(
                "version-too-new",
                f"etcd {version} is newer than any known option table; only the "
                f"options of etcd {key} are accepted",
                path,
            )
        )
    return version, key, diags


def _elsewhere(key: str, version: Version | None) -> dict[str, str]:
    """For each option another version has: the versions that do have it."""
    notes: dict[str, list[str]] = {}
    for other, table in ETCD_OPTIONS.items():
        for name in table:
            if name not in ETCD_OPTIONS[key]:
                notes.setdefault(name, []).append(other)
    return {
        name: f"etcd {version} (it exists in etcd {', '.join(keys)})"
        for name, keys in notes.items()
    }


def _removed(body: Mapping[str, Any], key: str, version: Version | None) -> list[str]:
    """The options etcd *version* no longer has (see :data:`REMOVED`)."""
    return [n for n in REMOVED if n in body and n not in ETCD_OPTIONS[key]]


def _removed_error(name: str, version: Version | None) -> Diagnostic:
    since, instead = REMOVED[name]
    flag = "--" + name.replace("_", "-")
    message = (
        f"etcd {version} has no {flag} flag (etcd {since} removed it, and etcd does not "
        f"start with it): {instead} replace it"
    )
    return error("removed-option", message, ("etcd", name), blocking=False, at_key=True)

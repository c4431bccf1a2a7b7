"""ct's service sections: etcd, flannel, docker, update and locksmith.

Each translator takes the section as a plain mapping (``None`` for a YAML
null section) and returns CLC-shaped additions -- units with drop-ins, or
files -- plus diagnostics whose paths are relative to the CLC root.  Call a
translator only when its key is present in the config.
"""

from __future__ import annotations

from hostiso.sections.docker import translate_docker
from hostiso.sections.etcd import (
    DEFAULT_ETCD_VERSION,
    ETCD_OPTIONS,
    ETCD_VERSIONS,
    etcd_option_names,
    translate_etcd,
)
from hostiso.sections.flannel import (
    DEFAULT_FLANNEL_VERSION,
    FLANNEL_OPTIONS,
    FLANNEL_VERSIONS,
    translate_flannel,
    validate_network_config,
)
from hostiso.sections.options import Option
from hostiso.sections.update import LOCKSMITH_OPTIONS, UPDATE_OPTIONS, translate_update

__all__ = [
    "DEFAULT_ETCD_VERSION",
    "DEFAULT_FLANNEL_VERSION",
    "ETCD_OPTIONS",
    "ETCD_VERSIONS",
    "FLANNEL_OPTIONS",
    "FLANNEL_VERSIONS",
    "LOCKSMITH_OPTIONS",
    "UPDATE_OPTIONS",
    "Option",
    "etcd_option_names",
    "translate_docker",
    "translate_etcd",
    "translate_flannel",
    "translate_update",
    "validate_network_config",
]

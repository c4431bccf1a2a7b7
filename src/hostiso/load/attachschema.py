"""The host file's ``bmc:`` and ``libvirt:`` sections: where ``hostiso attach`` puts the ISO.

Both merge through overlays like everything else (the usual split: the
username, password file and CA in an overlay, the address in the host
file).  Neither reaches the Ignition config.

```yaml
bmc:
  redfish: https://10.0.0.5        # the BMC's address
  username: admin
  password_file: secrets/bmc/ctl-1 # first line is the password; mode 0600
  ca_file: secrets/bmc-ca.pem      # the CA that signed the BMC's certificate
  system: System.Embedded.1        # optional: which ComputerSystem (default: the only one)
```

```yaml
libvirt:
  uri: qemu:///system
  domain: ctl-1
  device: sdb                      # optional: the CD drive's target (default: the first)
```
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from hostiso.load.schema import Check, Obj, Scalar

_TARGET_DEV = re.compile(r"^(hd|sd|vd|xvd)[a-z]{1,3}$")
_DOMAIN = re.compile(r"^[^\s/]{1,200}$")
_URI_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")


def check_redfish_url(value: str) -> str | None:
    """The BMC's base URL: ``https://host[:port]`` (or ``http://``), nothing more."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        return f"'{value}' is not a URL like https://10.0.0.5"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"'{value}' is not a BMC address like https://10.0.0.5 (https:// or http://)"
    if parts.username is not None or parts.password is not None:
        return "no credentials in the URL: set bmc.username and bmc.password_file"
    if parts.path.strip("/") or parts.query or parts.fragment:
        return f"give the BMC's address only, like {parts.scheme}://{parts.netloc}"
    return None


def check_target_dev(value: str) -> str | None:
    if not _TARGET_DEV.match(value):
        return f"'{value}' is not a disk target like sdb, hdc or vdb"
    return None


def check_domain(value: str) -> str | None:
    if not _DOMAIN.match(value):
        return f"'{value}' is not a libvirt domain name"
    return None


def check_libvirt_uri(value: str) -> str | None:
    if not _URI_SCHEME.match(value) or any(c.isspace() for c in value):
        return f"'{value}' is not a libvirt URI like qemu:///system"
    return None


def _s(doc: str, check: Check | None = None, code: str = "bad-value") -> Scalar:
    return Scalar(kind="string", doc=doc, check=check, code=code)


BMC = Obj(
    doc="the host's BMC, for `hostiso attach` (Redfish virtual media)",
    fields={
        "redfish": _s(
            "the BMC's address, like https://10.0.0.5",
            check=check_redfish_url,
            code="bad-bmc-address",
        ),
        "username": _s("the BMC user"),
        "password_file": _s("a file under secrets/ (mode 0600); its first line is the password"),
        "verify_tls": Scalar(kind="boolean", doc="check the BMC's certificate (default true)"),
        "ca_file": _s("PEM file of the CA that signed the BMC's certificate"),
        "system": _s("which ComputerSystem: its Id or path (default: the only one)"),
    },
    required=("redfish", "username", "password_file"),
)

LIBVIRT = Obj(
    doc="the host's libvirt domain, for `hostiso attach`",
    fields={
        "uri": _s(
            "the libvirt URI, like qemu:///system", check=check_libvirt_uri, code="bad-libvirt-uri"
        ),
        "domain": _s("the domain's name", check=check_domain, code="bad-libvirt-domain"),
        "device": _s(
            "the CD drive's target, like sdb (default: the first CD drive)",
            check=check_target_dev,
            code="bad-libvirt-device",
        ),
    },
    required=("uri", "domain"),
)

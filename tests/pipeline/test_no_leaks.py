"""No CA key, fleet secret or plaintext password anywhere under build/ or out/.

The search is over raw bytes, ISOs included (ISO 9660 stores file data uncompressed), for
each secret in every form it could take on the way: raw, PEM body, base64 lines, JSON
string, and the data-URL escaping of Ignition's inline contents.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from conftest import run, tls_fleet, write_fleet
from hostiso.emit.v2.common import data_url

PLAINTEXT = "Tr0ub4dor&3 /+=%"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tls_fleet(tmp_path_factory.mktemp("fleet"))
    all_yaml = (root / "overlays" / "all.yaml").read_text()
    password = "      password_file: secrets/core.password\n"
    write_fleet(
        root,
        {
            "overlays/all.yaml": all_yaml.replace(
                "    - name: core\n", "    - name: core\n" + password
            ),
            "secrets/core.password": PLAINTEXT + "\n",
        },
    )
    rc, out, err = run(["build"], root)
    assert (rc, err) == (0, "")
    return root, out + err


def outputs(root: Path) -> list[Path]:
    return sorted(p for d in ("build", "out") for p in (root / d).rglob("*") if p.is_file())


def forms(secret: bytes) -> list[bytes]:
    """The ways *secret* could appear in an output."""
    text = secret.decode("latin-1")
    return [
        secret,
        json.dumps(text)[1:-1].encode(),
        data_url(secret)[len("data:,") :].encode(),
    ]


def pem_forms(pem: bytes) -> list[bytes]:
    lines = [line for line in pem.splitlines() if line and not line.startswith(b"-----")]
    body = b"".join(lines)
    der = base64.b64decode(body)
    found = [*forms(pem), body, der, *lines]
    return found + [f for line in lines for f in forms(line)]


def ca_key_forms(root: Path) -> list[bytes]:
    pem = (root / "secrets" / "pki" / "ca.key").read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    other = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return pem_forms(pem) + pem_forms(other)


def test_every_output_is_private(fleet: tuple[Path, str]) -> None:
    root, _log = fleet
    files = outputs(root)
    assert {p.suffix for p in files} >= {".ign", ".iso", ".d"}
    assert {p.name: p.stat().st_mode & 0o777 for p in files} == {p.name: 0o600 for p in files}


def test_no_plaintext_password(fleet: tuple[Path, str]) -> None:
    root, log = fleet
    needles = forms(PLAINTEXT.encode())
    for path in outputs(root):
        data = path.read_bytes()
        assert not [n for n in needles if n in data], path
    assert PLAINTEXT not in log


def test_no_ca_key_nor_fleet_secret(fleet: tuple[Path, str]) -> None:
    root, _log = fleet
    fleet_key = (root / "secrets" / "fleet.key").read_text().strip()
    needles = ca_key_forms(root) + forms(fleet_key.encode()) + [bytes.fromhex(fleet_key)]
    for path in outputs(root):
        data = path.read_bytes()
        assert not [n for n in needles if n in data], path


def test_the_search_finds_what_is_there(fleet: tuple[Path, str]) -> None:
    """Each ISO does carry its own host key (so the search above can fail), no one else's."""
    root, _log = fleet
    pki_dir = root / "secrets" / "pki"
    iso = (root / "out" / "ctl-1.iso").read_bytes()
    own = forms((pki_dir / "ctl-1-server.key").read_bytes())[2]
    assert own in iso
    for other in ("ctl-2-server.key", "w-1-client.key"):
        assert not [n for n in pem_forms((pki_dir / other).read_bytes()) if n in iso]

"""The OS image an installer ISO carries: its SHA-512, Flatcar's DIGESTS, its signature.

The SHA-512 goes on the ISO and the install script checks the image against
it before writing anything.  Hashing 500 MB takes about a second (SHA-512
runs at 300-600 MB/s on one core), longer than copying it, so the digest is
kept in a small cache next to the build outputs, keyed by the file's device,
inode, size, mtime and ctime: a rebuilt installer with the same image only
copies it.  A wrong cache entry cannot install a wrong image: the target
checks the bytes it reads.

When ``IMAGE.DIGESTS`` (Flatcar publishes one per image, Gentoo's format:
``# SHA512 HASH`` then ``HEX  NAME``) sits next to the image, its SHA-512 must
match.  With a detached signature (``IMAGE.sig``) and a keyring, ``gpgv``
checks the signature, reading the image while it is hashed; an ASCII-armored
key (Flatcar ships ``Flatcar_Image_Signing_Key.asc``) is de-armored first,
since gpgv reads binary keyrings only.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hostiso.media.errors import MediaError

CHUNK = 1 << 20
CACHE_ENTRIES = 8
MAX_DIGESTS_FILE = 1 << 20
MAX_KEYRING = 16 << 20
MAX_CACHE = 1 << 16
_ARMOR_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
_ARMOR_END = "-----END PGP PUBLIC KEY BLOCK-----"


def stat_key(path: Path) -> str:
    st = path.stat()
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def image_sha512(path: Path, cache: Path | None = None) -> str:
    """The image's SHA-512 (hex), from the cache when the file is unchanged."""
    key = stat_key(path)
    entries = _read_cache(cache)
    hit = entries.get(str(path.resolve()))
    if hit is not None and hit[0] == key:
        return hit[1]
    digest = sha512_file(path)
    if stat_key(path) != key:
        raise MediaError("image-changed", str(path), "the image changed while it was read")
    _write_cache(cache, entries, str(path.resolve()), key, digest)
    return digest


def sha512_file(path: Path) -> str:
    h = hashlib.sha512()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _read_cache(cache: Path | None) -> dict[str, list[str]]:
    if cache is None:
        return {}
    try:
        with cache.open("rb") as f:
            data = json.loads(f.read(MAX_CACHE))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        k: v
        for k, v in data.items()
        if isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v)
    }


def _write_cache(
    cache: Path | None, entries: dict[str, list[str]], name: str, key: str, digest: str
) -> None:
    if cache is None:
        return
    entries.pop(name, None)
    kept = dict(list(entries.items())[-(CACHE_ENTRIES - 1) :])
    kept[name] = [key, digest]
    with contextlib.suppress(OSError):  # a cache that cannot be written is only slower
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(kept, f, indent=1)
        os.replace(tmp, cache)


# --- Flatcar's DIGESTS -------------------------------------------------------


def check_digests_file(image: Path, digest: str) -> str | None:
    """Compare with ``IMAGE.DIGESTS`` when there is one; return its name if it was used."""
    digests = image.with_name(image.name + ".DIGESTS")
    if not digests.is_file():
        return None
    expected = _sha512_in_digests(digests, image.name)
    if expected is None:
        raise MediaError(
            "image-digest", str(digests), f"no SHA512 HASH line for {image.name} in it"
        )
    if expected.lower() != digest:
        raise MediaError(
            "image-digest",
            str(image),
            f"SHA-512 {digest[:16]}... does not match {digests.name} ({expected[:16].lower()}...)",
        )
    return digests.name


def _sha512_in_digests(digests: Path, name: str) -> str | None:
    with digests.open("rb") as f:
        text = f.read(MAX_DIGESTS_FILE).decode("utf-8", "replace")
    section = ""
    for line in text.splitlines():
        if line.startswith("#"):
            section = line.strip("# ").upper()
            continue
        words = line.split()
        if section == "SHA512 HASH" and len(words) == 2 and words[1].lstrip("*") == name:
            return words[0]
    return None


# --- signatures --------------------------------------------------------------


@contextlib.contextmanager
def signature_check(image: Path, signature: Path, keyring: Path) -> Iterator[None]:
    """Run ``gpgv`` on the image while the body runs (it hashes the image too);
    raise MediaError at the end when the signature is not good."""
    gpgv = shutil.which("gpgv")
    if gpgv is None:
        raise MediaError("image-signature", str(signature), "gpgv is not installed")
    with tempfile.TemporaryDirectory(prefix="hostiso-gpgv-") as home:
        ring = _binary_keyring(keyring, Path(home))
        argv = [gpgv, "--homedir", home, "--keyring", str(ring), str(signature), str(image)]
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            yield
        finally:
            out, _ = proc.communicate()
    if proc.returncode != 0:
        said = " ".join(out.decode("utf-8", "replace").split())[-400:]
        raise MediaError("image-signature", str(signature), f"gpgv rejects the signature: {said}")


def _binary_keyring(keyring: Path, home: Path) -> Path:
    try:
        with keyring.open("rb") as f:
            data = f.read(MAX_KEYRING)
    except OSError as exc:
        raise MediaError("image-key", str(keyring), f"cannot read: {exc.strerror}") from None
    if _ARMOR_BEGIN.encode() not in data:
        return keyring
    ring = home / "keyring.gpg"
    ring.write_bytes(dearmor(data.decode("ascii", "replace"), str(keyring)))
    return ring


def dearmor(text: str, name: str) -> bytes:
    """The packets of every ASCII-armored public key block in ``text`` (RFC 4880 6.2)."""
    out = b""
    for block in text.split(_ARMOR_BEGIN)[1:]:
        body = block.split(_ARMOR_END)[0]
        lines = [ln.strip() for ln in body.strip().splitlines()]
        data_start = lines.index("") + 1 if "" in lines else 0
        payload = "".join(ln for ln in lines[data_start:] if not ln.startswith("="))
        try:
            out += base64.b64decode(payload, validate=True)
        except ValueError:
            raise MediaError("image-key", name, "not a valid ASCII-armored key") from None
    return out

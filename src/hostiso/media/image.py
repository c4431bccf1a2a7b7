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
checks the signature (:class:`Gpgv`, in the background while the image is
hashed and copied); an ASCII-armored key (Flatcar ships
``Flatcar_Image_Signing_Key.asc``) is de-armored first, since gpgv reads
binary keyrings only.
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
import threading
from pathlib import Path

from hostiso.media.errors import MediaError

DIGEST_CACHE = ".installer-image-digests"
"""The digest cache's name in the build directory."""
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
    hit = cached_sha512(path, cache)
    if hit is not None:
        return hit
    key, digest = fresh_sha512(path)
    remember(cache, path, key, digest)
    return digest


def cached_sha512(path: Path, cache: Path | None) -> str | None:
    """The digest the cache holds for the file as it is now, if any."""
    hit = _read_cache(cache).get(str(path.resolve()))
    return hit[1] if hit is not None and hit[0] == stat_key(path) else None


def fresh_sha512(path: Path, stop: threading.Event | None = None) -> tuple[str, str]:
    """(:func:`stat_key`, SHA-512) read from the file; MediaError when it changed meanwhile."""
    key = stat_key(path)
    digest = sha512_file(path, stop)
    if stat_key(path) != key:
        raise MediaError("image-changed", str(path), "the image changed while it was read")
    return key, digest


def sha512_file(path: Path, stop: threading.Event | None = None) -> str:
    """The file's SHA-512 (hashlib lets other threads run while it hashes);
    a stopped hash is ``""``."""
    h = hashlib.sha512()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            if stop is not None and stop.is_set():
                return ""
            h.update(chunk)
    return h.hexdigest()


def remember(cache: Path | None, path: Path, key: str, digest: str) -> None:
    """Keep the digest for the next build (the last CACHE_ENTRIES images)."""
    _write_cache(cache, _read_cache(cache), str(path.resolve()), key, digest)


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


class Gpgv:
    """``gpgv`` checking the image's detached signature in the background."""

    def __init__(self, image: Path, signature: Path, keyring: Path) -> None:
        gpgv = shutil.which("gpgv")
        if gpgv is None:
            raise MediaError("image-signature", str(signature), "gpgv is not installed")
        self.signature = signature
        self._home = tempfile.TemporaryDirectory(prefix="hostiso-gpgv-")
        home = self._home.name
        try:
            ring = _binary_keyring(keyring, Path(home))
        except BaseException:
            self._home.cleanup()
            raise
        argv = [gpgv, "--homedir", home, "--keyring", str(ring), str(signature), str(image)]
        self._proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )

    def finish(self) -> None:
        """Wait for gpgv; MediaError when the signature is not good."""
        try:
            out, _ = self._proc.communicate()
        finally:
            self._home.cleanup()
        if self._proc.returncode != 0:
            said = " ".join(out.decode("utf-8", "replace").split())[-400:]
            raise MediaError(
                "image-signature", str(self.signature), f"gpgv rejects the signature: {said}"
            )

    def stop(self) -> None:
        """No answer is wanted any more."""
        self._proc.kill()
        self._proc.communicate()
        self._home.cleanup()


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

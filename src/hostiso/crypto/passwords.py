"""Password hashes: make them (sha512-crypt, as ``mkpasswd -m sha-512``) and check them.

Container Linux (Ignition spec 2.x) verifies passwords with glibc ``crypt``, which knows
sha512-crypt (``$6$``) and sha256-crypt (``$5$``) but not yescrypt (``$y$``, Debian's
``mkpasswd`` default) nor bcrypt.  Flatcar (spec 3.x) uses libxcrypt and accepts yescrypt.
MD5-crypt and DES-crypt are refused everywhere because they are weak.

Messages never echo the value: it may be a plaintext password pasted by mistake.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from hostiso.diagnostics import Diagnostic, error
from hostiso.util import fsutil

CODE = "bad-password-hash"
CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SALT_LENGTH = 16
FLEET_SECRET_FILE = "fleet.key"
FLEET_SECRET_BYTES = 32

_FIX = "make one with `mkpasswd -m sha-512` or `hostiso passwd`"
_C = "[./0-9A-Za-z]"
# $id$[rounds=N$]salt$hash, with the hash length of each scheme.
_SHA_CRYPT = re.compile(
    r"^\$(?P<id>[56])\$(?:rounds=(?P<rounds>[0-9]+)\$)?(?P<salt>[^$]*)\$(?P<hash>[^$]*)$"
)
_SHA_HASH_LENGTH = {"6": 86, "5": 43}
_SHA_NAME = {"6": "sha512-crypt", "5": "sha256-crypt"}
_YESCRYPT = re.compile(rf"^\$y\${_C}+\${_C}+\${_C}{{43}}$")
_DES = re.compile(rf"^{_C}{{13}}$")
_MIN_ROUNDS, _MAX_ROUNDS = 1000, 999_999_999


MAX_PASSWORD_BYTES = 4096
"""The longest password hashed (in UTF-8), as passlib and glibc's crypt allow."""


def plaintext_problem(plaintext: str) -> str | None:
    """Why *plaintext* cannot be hashed (never quoting it), or None."""
    if "\0" in plaintext:
        return "the password holds a NUL byte, which crypt(3) cannot hash"
    try:
        size = len(plaintext.encode("utf-8"))
    except UnicodeEncodeError:
        return "the password is not UTF-8 text"
    if size > MAX_PASSWORD_BYTES:
        return f"the password is longer than {MAX_PASSWORD_BYTES:,} bytes"
    return None


class FleetSecretError(ValueError):
    """``fleet.key`` exists but does not hold a fleet secret (a broken file, not a config error)."""


def hash_password(plaintext: str, *, rounds: int = 5000, salt: str | None = None) -> str:
    """sha512-crypt of *plaintext*; rounds=5000 gives the short ``$6$salt$hash`` form.

    Byte for byte what ``mkpasswd -m sha-512 -S SALT [-R ROUNDS]`` prints for the same salt.
    Without *salt* a random 16-character salt is used.  Check the password with
    :func:`plaintext_problem` first: a NUL byte or an over-long one raises ValueError.
    """
    from passlib.hash import sha512_crypt  # here: only hashing needs it, checking does not

    problem = plaintext_problem(plaintext)
    if problem is not None:
        raise ValueError(problem)
    if salt is None:
        salt = "".join(secrets.choice(CRYPT_ALPHABET) for _ in range(SALT_LENGTH))
    return str(sha512_crypt.using(salt=salt, rounds=rounds).hash(plaintext))


def derived_salt(fleet_secret: bytes, host: str, user: str) -> str:
    """A deterministic 16-character crypt salt: HMAC-SHA256(fleet_secret, host NUL user).

    Re-rendering a host then yields the same hash for the same password, so its ISO does not
    change needlessly, while two hosts (or users) with one password still get different hashes.
    """
    digest = hmac.new(fleet_secret, f"{host}\0{user}".encode(), hashlib.sha256).digest()
    return "".join(CRYPT_ALPHABET[b % 64] for b in digest[:SALT_LENGTH])


def check_password_hash(value: str, *, spec_major: int) -> list[Diagnostic]:
    """Problems with *value* as a crypt(3) password hash for an Ignition spec *spec_major*."""
    return list(_check_hash(value, spec_major))


@functools.lru_cache(maxsize=1024)
def _check_hash(value: str, spec_major: int) -> tuple[Diagnostic, ...]:
    """Once per distinct hash: a fleet's overlays give most hosts the same one."""
    return tuple(_problems(value, spec_major))


def _problems(value: str, spec_major: int) -> list[Diagnostic]:
    if value != value.strip():
        return [error(CODE, f"password hash has leading or trailing whitespace; {_FIX}")]
    if value.startswith(("$5$", "$6$")):
        return _check_sha_crypt(value)
    if value.startswith("$y$"):
        return _check_yescrypt(value, spec_major)
    return [error(CODE, _unsupported_reason(value))]


def _check_sha_crypt(value: str) -> list[Diagnostic]:
    match = _SHA_CRYPT.match(value)
    if match is None:
        return [error(CODE, f"malformed crypt hash: expected $id$[rounds=N$]salt$hash; {_FIX}")]
    name = _SHA_NAME[match["id"]]
    rounds, salt, digest = match["rounds"], match["salt"], match["hash"]
    if rounds is not None and not _rounds_ok(rounds):
        return [
            error(
                CODE,
                f"malformed {name} hash: rounds must be {_MIN_ROUNDS}..{_MAX_ROUNDS} "
                f"without leading zeros; {_FIX}",
            )
        ]
    if not re.fullmatch(f"{_C}{{1,16}}", salt):
        return [
            error(
                CODE,
                f"malformed {name} hash: the salt must be 1 to 16 characters "
                f"of [./0-9A-Za-z]; {_FIX}",
            )
        ]
    want = _SHA_HASH_LENGTH[match["id"]]
    if not re.fullmatch(f"{_C}{{{want}}}", digest):
        return [
            error(
                CODE,
                f"malformed {name} hash: the hash part must be {want} characters "
                f"of [./0-9A-Za-z], got {len(digest)}; {_FIX}",
            )
        ]
    return []


def _rounds_ok(rounds: str) -> bool:
    return not rounds.startswith("0") and _MIN_ROUNDS <= int(rounds) <= _MAX_ROUNDS


def _check_yescrypt(value: str, spec_major: int) -> list[Diagnostic]:
    if spec_major < 3:
        return [
            error(
                CODE,
                "yescrypt hashes ($y$, the default of Debian's plain `mkpasswd`) "
                "cannot be verified by Container Linux; use `mkpasswd -m sha-512` "
                "or `hostiso passwd`",
            )
        ]
    if _YESCRYPT.match(value) is None:
        return [error(CODE, f"malformed yescrypt hash: expected $y$params$salt$hash; {_FIX}")]
    return []


def _unsupported_reason(value: str) -> str:
    if value == "":
        return "password hash is empty; omit password_hash to disable password login"
    if value in ("*", "!", "!!") or value.startswith("!"):
        return (
            "password hash is a lock marker, not a hash; omit password_hash "
            "to disable password login"
        )
    if value.startswith("$1$"):
        return f"MD5-crypt hashes ($1$) are weak and not accepted; {_FIX}"
    if value.startswith(("$2a$", "$2b$", "$2x$", "$2y$")):
        return f"bcrypt hashes ($2?$) are not supported by Container Linux's crypt; {_FIX}"
    if value.startswith("$"):
        scheme = value.split("$")[1] if value.count("$") >= 2 else ""
        if not scheme:
            return f"malformed crypt hash: expected $id$salt$hash; {_FIX}"
        if not re.fullmatch("[a-z0-9]{1,8}", scheme):
            return f"unsupported crypt scheme; {_FIX}"  # do not echo what may be a password
        return f"unsupported crypt scheme ${scheme}$; {_FIX}"
    if _DES.match(value):
        return f"traditional DES-crypt hashes (13 characters) are weak and not accepted; {_FIX}"
    return f"this is not a crypt hash (a plaintext password?); {_FIX}"


GetPass = Callable[[str, TextIO], str]


def read_password_interactive(
    stdin: TextIO, stderr: TextIO, tty: bool, *, getpass_fn: GetPass = getpass.getpass
) -> str | None:
    """The password for ``hostiso passwd``, or None after telling *stderr* why not.

    On a tty: asks twice without echo and insists both match.  Otherwise: one line from
    *stdin* with its line ending (``\\n`` or ``\\r\\n``) removed and nothing else.
    """
    if tty:
        try:
            first = getpass_fn("Password: ", stderr)
            second = getpass_fn("Retype password: ", stderr)
        except EOFError:
            stderr.write("\nno password entered\n")
            return None
        except UnicodeDecodeError:
            stderr.write("\nthe password is not UTF-8 text\n")
            return None
        if first != second:
            stderr.write("passwords do not match\n")
            return None
        password = first
    else:
        line = _read_line(stdin)
        if line is None:
            stderr.write("the password on stdin is not UTF-8 text\n")
            return None
        password = _strip_line_ending(line)
    return _checked(password, stderr)


def _checked(password: str, stderr: TextIO) -> str | None:
    problem = "empty password refused" if password == "" else plaintext_problem(password)
    if problem is not None:
        stderr.write(f"{problem}\n")
        return None
    return password


def _read_line(stdin: TextIO) -> str | None:
    """The first line of stdin, at most a little more than a password may hold;
    read as bytes when stdin has them, so invalid UTF-8 is found, never replaced."""
    limit = MAX_PASSWORD_BYTES + 3  # one byte too many, and a line ending
    raw = getattr(stdin, "buffer", None)
    try:
        if raw is None:
            return stdin.readline(limit)
        data: bytes = raw.readline(limit)
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _strip_line_ending(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    return line.removesuffix("\n")


def load_or_create_fleet_secret(secrets_dir: Path) -> bytes:
    """The 32-byte fleet secret in ``secrets_dir/fleet.key`` (hex text), made if missing.

    The directory is made (or narrowed to) 0700 and the file 0600; creation is atomic (write
    a temporary file, then hard-link it into place) so concurrent runs agree on one secret.
    Raises FleetSecretError if the file exists but is not 64 hex digits.
    """
    path = secrets_dir / FLEET_SECRET_FILE
    fsutil.private_dir(secrets_dir)  # also tightens a secrets/ that was made 0755
    if not path.exists():
        _create_fleet_secret(secrets_dir, path)
    data = fsutil.read_regular(path, FLEET_SECRET_BYTES * 4)  # a FIFO there is an OSError
    text = data.decode("ascii", errors="replace").strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != FLEET_SECRET_BYTES:
        raise FleetSecretError(f"{path}: expected {FLEET_SECRET_BYTES * 2} hex digits")
    return secret


def _create_fleet_secret(secrets_dir: Path, path: Path) -> None:
    secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = secrets_dir / f".{FLEET_SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(FLEET_SECRET_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another run won the race: use its secret
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

"""Golden cases: build each small fleet under tests/golden/ and keep the outputs.

A case is a directory ``tests/golden/<case>/`` holding a fleet (``configs/``,
``overlays/``, maybe ``files/`` and ``secrets/``) and ``expected/``, what
``hostiso build --format parsable`` made of it with SOURCE_DATE_EPOCH fixed:

* ``<host>.ign``: the Ignition config, pretty-printed (2-space JSON, keys in
  the build's order) so that diffs are readable;
* ``<host>.d``: the make depfile, as written;
* ``diagnostics.txt``: the exact stderr; ``exit-code``: the exit status.

ISOs are not kept (large; their bytes are tested elsewhere).

An optional ``case.toml`` changes where the fleet comes from and how it is built::

    fleet = "../../.."                  # the fleet root, relative to the case
    args = ["--spec", "3.3.0"]          # more arguments for `hostiso build`
    [append]                            # text appended to copied files
    "overlays/all.yaml" = "etcd_tls: false\\n"

Appending keeps every existing line where it was, so diagnostics still point
at the real lines.  ``etcd_tls: false`` is how a case keeps its outputs
stable while etcd TLS issues fresh certificates on every build; a TLS case
can instead ship a ``secrets/pki/`` whose certificates the build reuses.

``python tests/golden_regen.py`` (``make golden``) rewrites every
``expected/``; tests/emit/test_golden.py rebuilds each case and fails on any
difference.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import os
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

from hostiso import cli

GOLDEN = Path(__file__).resolve().parent / "golden"
EPOCH = "1700000000"
FLEET_DIRS = ("configs", "overlays", "files", "secrets")
ENV_SCRUBBED = ("GITHUB_ACTIONS", "NO_COLOR", "SOURCE_DATE_EPOCH")
KEPT_SUFFIXES = (".ign", ".d")


def case_dirs(root: Path = GOLDEN) -> list[Path]:
    """Every case under ``root``: a directory with ``configs/`` or ``case.toml``."""
    if not root.is_dir():
        return []
    return sorted(
        p for p in root.iterdir() if (p / "configs").is_dir() or (p / "case.toml").is_file()
    )


def _settings(case: Path) -> dict[str, object]:
    path = case / "case.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def prepare(case: Path, work: Path) -> None:
    """Copy the case's fleet into ``work`` and apply its appends."""
    settings = _settings(case)
    source = (case / str(settings.get("fleet", "."))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    for name in FLEET_DIRS:
        if (source / name).is_dir():
            shutil.copytree(source / name, work / name)
    appends = settings.get("append", {})
    assert isinstance(appends, dict), f"{case}/case.toml: [append] must be a table"
    for rel, text in appends.items():
        with (work / rel).open("a", encoding="utf-8") as fh:
            fh.write(str(text))


@contextlib.contextmanager
def _in_fleet(work: Path) -> Iterator[None]:
    saved = dict(os.environ)
    try:
        for name in ENV_SCRUBBED:
            os.environ.pop(name, None)
        os.environ["SOURCE_DATE_EPOCH"] = EPOCH
        with contextlib.chdir(work):
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def build_case(case: Path, work: Path) -> dict[str, str]:
    """Build a case's fleet in ``work``: ``{expected file name: text}``."""
    prepare(case, work)
    out, err = io.StringIO(), io.StringIO()
    args = _settings(case).get("args", [])
    assert isinstance(args, list), f"{case}/case.toml: args must be a list"
    with _in_fleet(work):
        argv = ["build", "--format", "parsable", *map(str, args)]
        rc = cli.main(argv, stdout=out, stderr=err)
    results = {"diagnostics.txt": err.getvalue(), "exit-code": f"{rc}\n"}
    build_dir = work / "build"
    for path in sorted(build_dir.iterdir()) if build_dir.is_dir() else []:
        if path.suffix in KEPT_SUFFIXES:
            results[path.name] = _normal(path)
    return results


def _normal(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ign":
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    return text


def read_expected(case: Path) -> dict[str, str] | None:
    expected = case / "expected"
    if not expected.is_dir():
        return None
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(expected.iterdir())}


def compare(case: Path, work: Path) -> list[str]:
    """What differs between a fresh build of ``case`` and its ``expected/``."""
    expected = read_expected(case)
    if expected is None:
        return [f"{case.name}: no expected/ directory; run `make golden`"]
    actual = build_case(case, work)
    problems = [f"{case.name}: expected/{n} was not produced" for n in expected if n not in actual]
    problems += [
        f"{case.name}: {n} is produced but not in expected/" for n in actual if n not in expected
    ]
    for name in sorted(set(actual) & set(expected)):
        if actual[name] != expected[name]:
            diff = difflib.unified_diff(
                expected[name].splitlines(keepends=True),
                actual[name].splitlines(keepends=True),
                f"expected/{name}",
                f"built/{name}",
            )
            problems.append(f"{case.name}: {name} differs:\n" + "".join(diff))
    return problems


def regenerate(case: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = build_case(case, Path(tmp) / "fleet")
    expected = case / "expected"
    shutil.rmtree(expected, ignore_errors=True)
    expected.mkdir()
    for name, text in results.items():
        (expected / name).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    names = set(sys.argv[1:] if argv is None else argv)
    for case in case_dirs():
        if not names or case.name in names:
            regenerate(case)
            print(f"regenerated {case.relative_to(GOLDEN.parent.parent)}/expected")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

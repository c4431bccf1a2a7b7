"""One host's effective config -> Ignition, with every problem placed in its file."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path as FsPath
from typing import Any

from hostiso.diagnostics import Diagnostic, Path
from hostiso.emit.ignition.validate import validate_ignition
from hostiso.emit.v2.common import DEFAULT_SPEC, Context, LocalReader
from hostiso.emit.v2.convert import transpile
from hostiso.load import templates
from hostiso.load.fleet import Host, Layout, place_at
from hostiso.load.localfiles import read_confined


@dataclass
class Compiled:
    ignition: dict[str, Any] | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


def local_reader(files_dir: FsPath | None) -> LocalReader | None:
    if files_dir is None:
        return None
    return lambda name, path: read_confined(files_dir, name, path)


def compile_clc(
    clc: dict[str, Any], spec: str = DEFAULT_SPEC, files_dir: FsPath | None = None
) -> Compiled:
    """Transpile a checked CLC; diagnostics carry logical input paths."""
    return compile_with(clc, Context(spec=spec, read_local=local_reader(files_dir)))


def compile_with(clc: dict[str, Any], ctx: Context) -> Compiled:
    out = Compiled(None, ctx.diagnostics)
    ignition = transpile(clc, ctx)
    for problem in validate_ignition(ignition):
        out.diagnostics.append(replace(problem, path=input_path(problem.path, ctx.origins)))
    if not any(d.is_error for d in out.diagnostics):
        out.ignition = ignition
    return out


def input_path(output: Path, origins: dict[Path, Path]) -> Path:
    """The input path an output path came from (the nearest mapped parent)."""
    for n in range(len(output), 0, -1):
        found = origins.get(output[:n])
        if found is not None:
            return found
    return output[:1]


def compile_host(host: Host, spec: str, layout: Layout) -> Compiled:
    """Compile one host; every local file it reads joins its make inputs."""

    def read(name: str, path: Path) -> bytes | Diagnostic:
        host.inputs.append(layout.display(layout.files / name))
        found = read_confined(layout.files, name, path)
        if isinstance(found, Diagnostic) and name.startswith("files/"):
            hint = f"; names are relative to files/, so write '{name[6:]}'"
            found = replace(found, message=found.message + hint)
        return found

    def render(data: bytes, name: str, path: Path) -> bytes | Diagnostic:
        return templates.render_file(host, data, layout.display(layout.files / name), path)

    ctx = Context(spec=spec, read_local=read, render_template=render)
    compiled = compile_with(host.plain(), ctx)
    compiled.diagnostics = [place(d, host) for d in compiled.diagnostics]
    return compiled


def place(diagnostic: Diagnostic, host: Host) -> Diagnostic:
    d = diagnostic if diagnostic.host else diagnostic.for_host(host.name)
    return place_at(host.tree if host.tree is not None else host.user, d)

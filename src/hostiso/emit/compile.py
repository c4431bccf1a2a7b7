"""One host's effective config -> Ignition, with every problem placed in its file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path as FsPath
from typing import Any

from hostiso.diagnostics import Diagnostic, Mark, Path
from hostiso.emit.features import gate
from hostiso.emit.targets import TARGETS
from hostiso.emit.v2.common import Context, LocalReader
from hostiso.load import specs, templates
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
    clc: dict[str, Any],
    spec: str | None = None,
    files_dir: FsPath | None = None,
    locate: Callable[[Path], Mark | None] | None = None,
) -> Compiled:
    """Transpile a checked CLC for ``spec`` (None: the CLC's own
    ``ignition.version``, else the default); diagnostics carry input paths
    (``locate`` finds where a path was set, for messages citing a second place)."""
    ctx = Context(spec=specs.choose(spec, clc), read_local=local_reader(files_dir), locate=locate)
    return compile_with(clc, ctx)


def compile_with(clc: dict[str, Any], ctx: Context) -> Compiled:
    """The emitter registered for ``ctx.spec``, after the gate on what it lacks."""
    out = Compiled(None, ctx.diagnostics)
    out.diagnostics.extend(gate(clc, ctx.spec))
    if _has_error(out.diagnostics):
        return out
    ignition = TARGETS[ctx.spec](clc, ctx)
    if ignition is not None and not _has_error(out.diagnostics):
        out.ignition = ignition
    return out


def _has_error(diagnostics: list[Diagnostic]) -> bool:
    return bool(diagnostics) and any(d.is_error for d in diagnostics)


def compile_host(host: Host, spec: str | None, layout: Layout) -> Compiled:
    """Compile one host for ``spec`` (None: the host's pin, else the default);
    every local file it reads joins its make inputs."""

    def read(name: str, path: Path) -> bytes | Diagnostic:
        host.inputs.append(layout.display(layout.files / name))
        found = read_confined(layout.files, name, path)
        if isinstance(found, Diagnostic) and name.startswith("files/"):
            hint = f"; names are relative to files/, so write '{name[6:]}'"
            found = replace(found, message=found.message + hint)
        return found

    def render(data: bytes, name: str, path: Path) -> bytes | Diagnostic:
        return templates.render_file(host, data, layout.display(layout.files / name), path)

    plain = host.plain()
    ctx = Context(
        spec=specs.choose(spec, plain), read_local=read, render_template=render, locate=host.locate
    )
    compiled = compile_with(plain, ctx)
    compiled.diagnostics = [place(d, host) for d in compiled.diagnostics]
    return compiled


def place(diagnostic: Diagnostic, host: Host) -> Diagnostic:
    d = diagnostic if diagnostic.host else diagnostic.for_host(host.name)
    return place_at(host.tree if host.tree is not None else host.user, d)

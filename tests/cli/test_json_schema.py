"""``hostiso schema``: what editors check must agree with hostiso.

No JSON Schema library is a dependency, so a small checker below covers the
keywords the schema uses, and refuses any other keyword (a keyword it does
not know would be silently ignored otherwise).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_docs_examples import BASE, examples

from conftest import REPO, run, write_fleet
from hostiso.sections import ETCD_OPTIONS, FLANNEL_OPTIONS, LOCKSMITH_OPTIONS, UPDATE_OPTIONS

ANNOTATIONS = {"$schema", "$id", "title", "description", "deprecated", "examples"}
TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "null": type(None),
    "boolean": bool,
}


def _is(value: Any, kind: str) -> bool:
    if kind in ("integer", "number"):
        ok = isinstance(value, int) or (kind == "number" and isinstance(value, float))
        return ok and not isinstance(value, bool)
    return isinstance(value, TYPES[kind])


def _typed(schema: dict[str, Any], value: Any) -> bool:
    kinds = schema.get("type")
    return kinds is not None and any(
        _is(value, k) for k in ([kinds] if isinstance(kinds, str) else kinds)
    )


def errors(schema: dict[str, Any], value: Any, at: str = "") -> list[str]:
    """Where ``value`` breaks ``schema``: a JSON-Schema subset, enough for hostiso's."""
    unknown = set(schema) - ANNOTATIONS - {
        "type", "enum", "pattern", "anyOf", "items", "properties",
        "additionalProperties", "required",
    }  # fmt: skip
    assert not unknown, f"{at}: keywords the test checker does not know: {unknown}"
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, k) for k in kinds):
            return [f"{at}: {value!r} is not {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{at}: {value!r} not in {schema['enum']}"]
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        return [f"{at}: {value!r} does not match {schema['pattern']}"]
    if "anyOf" in schema:
        found = [errors(s, value, at) for s in schema["anyOf"]]
        if all(found):  # the alternative of the value's own type says why
            typed = [f for s, f in zip(schema["anyOf"], found, strict=True) if _typed(s, value)]
            return typed[0] if typed else [f"{at}: {value!r} matches no alternative"]
    out: list[str] = []
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            out += errors(schema["items"], item, f"{at}[{i}]")
    if isinstance(value, dict):
        out += _object_errors(schema, value, at)
    return out


def _object_errors(schema: dict[str, Any], value: dict[str, Any], at: str) -> list[str]:
    out = [f"{at}: '{k}' is required" for k in schema.get("required", []) if k not in value]
    props = schema.get("properties", {})
    extra = schema.get("additionalProperties", {})
    for key, item in value.items():
        sub = props.get(key, extra)
        if sub is False:
            out.append(f"{at}: unknown key '{key}'")
        elif sub is not True:
            out += errors(sub, item, f"{at}.{key}")
    return out


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    rc, out, err = run(["schema"], tmp_path_factory.mktemp("schema"))
    assert (rc, err) == (0, "")
    document: dict[str, Any] = json.loads(out)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return document


FLEET_FILES = sorted((REPO / "configs").glob("*.yaml")) + sorted((REPO / "overlays").glob("*.yaml"))


@pytest.mark.parametrize("path", FLEET_FILES, ids=[p.name for p in FLEET_FILES])
def test_example_fleet_validates(schema: dict[str, Any], path: Path) -> None:
    assert errors(schema, yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def test_readme_examples_validate(schema: dict[str, Any]) -> None:
    for text in [BASE, *examples()]:
        assert errors(schema, yaml.safe_load(text)) == [], text


RESETS = [
    "storage: {files: null, directories: null, links: null}",
    "storage: null",
    "systemd: {units: null}",
    "systemd: {units: [{name: a.service, dropins: null, enabled: null}]}",
    "networkd: {units: null}",
    "passwd: {users: [{name: core, ssh_authorized_keys: null, password_hash: null}]}",
    "network: {routes: null, gateway: null, dns: null}",
    "etcd_tls_key: null",
    "vars: {domain: null}",
    "etcd: null",
    "etcd: {initial_cluster_token: null, version: null}",
    "flannel: {network_config: null}",
    "docker: {flags: null}",
    "update: {group: null}",
    "locksmith: {reboot_strategy: null}",
]


@pytest.mark.parametrize("text", RESETS)
def test_null_resets_validate(schema: dict[str, Any], text: str) -> None:
    assert errors(schema, yaml.safe_load(text)) == []


SECTION_EXAMPLES = [
    "etcd: {version: 3.3.1, quota_backend_bytes: 1024, enable_v2: true, auth_token: simple}",
    "etcd: {version: 2.3.8, proxy: readonly, auto_compaction_retention: 1}",
    "etcd: {auto_compaction_retention: 1h}",
    "flannel: {version: 0.7.1, kube_subnet_mgr: false, interface: eth0}",
    "docker: {flags: [--bip=10.99.0.1/24, --mtu=1400]}",
    "update: {group: stable, server: 'https://example.com/update'}",
    "locksmith: {reboot_strategy: etcd-lock, window_start: 'thu 04:00', window_length: 1h}",
]


@pytest.mark.parametrize("text", SECTION_EXAMPLES)
def test_section_options_validate(schema: dict[str, Any], text: str) -> None:
    assert errors(schema, yaml.safe_load(text)) == []


REJECTED = [
    ("etcd: {initial_cluster_tokn: x}", ".etcd: unknown key 'initial_cluster_tokn'"),
    ("etcd: {snapshot_count: many}", ".etcd.snapshot_count: 'many' is not ['integer', 'null']"),
    ("etcd: {version: 3.5}", ".etcd.version: 3.5 is not ['string', 'null']"),
    ("flannel: {kube_subnet_mgr: maybe}", ".flannel.kube_subnet_mgr: 'maybe' is not"),
    ("flannel: {etcd_prefx: /x}", ".flannel: unknown key 'etcd_prefx'"),
    ("docker: {flag: [--mtu=1400]}", ".docker: unknown key 'flag'"),
    ("update: {grup: stable}", ".update: unknown key 'grup'"),
    ("locksmith: {window: 1h}", ".locksmith: unknown key 'window'"),
    ("storage: {files: {path: /x}}", ".storage.files: {'path': '/x'} is not ['array', 'null']"),
]


@pytest.mark.parametrize(("text", "problem"), REJECTED, ids=[t for t, _ in REJECTED])
def test_editor_rejects_what_hostiso_rejects(
    schema: dict[str, Any], tmp_path: Path, text: str, problem: str
) -> None:
    [found] = errors(schema, yaml.safe_load(text))
    assert found.startswith(problem)
    write_fleet(tmp_path, {"overlays/all.yaml": BASE, "configs/a.yaml": text + "\n"})
    rc, _, err = run(["lint", "--format", "parsable"], tmp_path)
    assert rc == 1, err


@pytest.mark.parametrize(
    ("section", "tables"),
    [
        ("etcd", [*ETCD_OPTIONS.values(), {"version": None}]),
        ("flannel", [*FLANNEL_OPTIONS.values(), {"version": None, "network_config": None}]),
        ("docker", [{"flags": None}]),
        ("update", [UPDATE_OPTIONS]),
        ("locksmith", [LOCKSMITH_OPTIONS]),
    ],
)
def test_sections_list_their_options(
    schema: dict[str, Any], section: str, tables: list[dict[str, Any]]
) -> None:
    [body, null] = schema["properties"][section]["anyOf"]
    assert null == {"type": "null"}
    assert body["additionalProperties"] is False
    assert set(body["properties"]) == {name for table in tables for name in table}


def test_option_types_and_versions(schema: dict[str, Any]) -> None:
    etcd = schema["properties"]["etcd"]["anyOf"][0]["properties"]
    assert etcd["auto_compaction_retention"]["type"] == ["integer", "string", "null"]
    assert etcd["enable_v2"] == {
        "type": ["boolean", "null"],
        "description": "--enable-v2; etcd 3.2, 3.3, 3.4, 3.5 only",
    }
    assert etcd["ca_file"]["deprecated"] is True

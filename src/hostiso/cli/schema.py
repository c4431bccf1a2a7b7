"""``hostiso schema``: the host file's JSON Schema (draft 2020-12), for editors."""

from __future__ import annotations

import argparse
import json

from hostiso.cli.io import IO

HELP = "print the host file's JSON Schema"


def add_arguments(p: argparse.ArgumentParser) -> None:
    del p  # no options


def run(args: argparse.Namespace, io: IO) -> int:
    from hostiso.load.hostschema import HOST

    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://hostiso.invalid/host.schema.json",
        "title": "hostiso host file",
        **HOST.json_schema(),
    }
    io.stdout.write(json.dumps(schema, indent=2) + "\n")
    return 0

"""Ignition config output: validation of the JSON we emit."""

from __future__ import annotations

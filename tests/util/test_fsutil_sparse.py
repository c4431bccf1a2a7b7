"""util/fsutil.write_private with ``sparse``: holes where the data is zeros, the same bytes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hostiso.util.fsutil import BLOCK, write_private

CASES = [
    b"",
    bytes(10),
    bytes(BLOCK),
    bytes(2 * BLOCK) + b"x",
    b"x" + bytes(2 * BLOCK),
    bytes(BLOCK) + b"a" * (BLOCK + 7) + bytes(BLOCK) + b"b",
    bytes(range(256)) * 40,
]


@pytest.mark.parametrize("data", CASES)
def test_sparse_files_read_back_the_same_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "out.iso"
    write_private(path, data, sparse=True)
    assert path.read_bytes() == data
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.iso"]


def test_zero_blocks_take_no_space(tmp_path: Path) -> None:
    path = tmp_path / "out.iso"
    write_private(path, bytes(16 * BLOCK) + b"y" * (16 * BLOCK), sparse=True)
    used = os.stat(path).st_blocks * 512
    if used >= 32 * BLOCK:
        pytest.skip("this file system does not keep holes")
    assert used <= 17 * BLOCK

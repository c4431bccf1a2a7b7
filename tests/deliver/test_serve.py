"""``hostiso serve``: every Range form, read back with curl and http.client.

One server (a process, on 127.0.0.1 and a free port) for the module, over an
``out/`` holding a real config ISO, a symlink out of ``out/``, a directory
named like an ISO and a file that is not an ISO.
"""

from __future__ import annotations

import email.parser
import http.client
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bmc import LOCAL, Served, free_port, start_serve, stop

from conftest import LOGIN, run, write_fleet
from hostiso.deliver import ranges
from hostiso.deliver.serve import parse_bind

needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("served")
    write_fleet(root, {"overlays/all.yaml": LOGIN, "configs/web.yaml": "hostname: web\n"})
    assert run(["build"], root)[0] == 0
    out = root / "out"
    (out / "outside.iso").symlink_to("/etc/passwd")
    (out / "inside.iso").symlink_to("web.iso")
    (out / "dir.iso").mkdir()
    (out / "notes.txt").write_text("not an ISO")
    (root / "installer.iso").write_bytes(bytes(range(256)) * 40)
    return root


@pytest.fixture(scope="module")
def served(fleet: Path) -> Iterator[Served]:
    server = start_serve(fleet, "--installer", str(fleet / "installer.iso"))
    try:
        yield server
    finally:
        stop(server.proc)


@pytest.fixture(scope="module")
def image(fleet: Path) -> bytes:
    return (fleet / "out" / "web.iso").read_bytes()


def request(
    served: Served, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(LOCAL, served.port, timeout=60)
    conn.request(method, path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


# --- the parser, as a table ---------------------------------------------------

B = ranges.ByteRange
SIZE = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, ranges.WHOLE),
        ("bytes=0-499", ranges.Plan((B(0, 499),))),
        ("bytes=500-", ranges.Plan((B(500, 999),))),
        ("bytes=-500", ranges.Plan((B(500, 999),))),
        ("bytes=-5000", ranges.Plan((B(0, 999),))),
        ("bytes=900-5000", ranges.Plan((B(900, 999),))),
        ("bytes=0-0,-1", ranges.Plan((B(0, 0), B(999, 999)))),
        ("bytes=500-599, 0-99", ranges.Plan((B(500, 599), B(0, 99)))),  # the client's order
        ("bytes=0-99,50-149,150-199", ranges.Plan((B(0, 199),))),  # overlapping: merged
        ("BYTES = 1-2", ranges.Plan((B(1, 2),))),
        ("bytes=1000-", ranges.UNSATISFIABLE),
        ("bytes=-0", ranges.UNSATISFIABLE),
        ("bytes=1000-1001,2000-", ranges.UNSATISFIABLE),
        ("bytes=5-1", ranges.WHOLE),  # invalid: ignored
        ("bytes=a-b", ranges.WHOLE),
        ("bytes=", ranges.WHOLE),
        ("bytes=-", ranges.WHOLE),
        ("items=0-1", ranges.WHOLE),
        ("0-1", ranges.WHOLE),
        ("bytes=" + ",".join(f"{i}-{i}" for i in range(0, 200, 2)), ranges.WHOLE),  # too many
        ("bytes=99999999999999999999-", ranges.WHOLE),  # not a size
    ],
)
def test_range_plans(header: str | None, expected: ranges.Plan) -> None:
    assert ranges.plan(header, SIZE) == expected


def test_an_empty_file_satisfies_no_range() -> None:
    assert ranges.plan("bytes=0-", 0) == ranges.UNSATISFIABLE
    assert ranges.plan(None, 0) == ranges.WHOLE


# --- http.client ----------------------------------------------------------------


def test_whole_file(served: Served, image: bytes) -> None:
    status, headers, body = request(served, "/web.iso")
    assert (status, body) == (200, image)
    assert headers["accept-ranges"] == "bytes"
    assert headers["content-length"] == str(len(image))


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-", 0, None),
        ("bytes=-500", -500, None),
        ("bytes=100-199", 100, 199),
        ("bytes=32768-99999999", 32768, None),
    ],
)
def test_one_range(served: Served, image: bytes, header: str, first: int, last: int | None) -> None:
    status, headers, body = request(served, "/web.iso", {"Range": header})
    start = first % len(image)
    end = len(image) - 1 if last is None else last
    assert status == 206
    assert body == image[start : end + 1]
    assert headers["content-range"] == f"bytes {start}-{end}/{len(image)}"
    assert headers["content-length"] == str(end - start + 1)


def test_several_ranges_are_multipart(served: Served, image: bytes) -> None:
    status, headers, body = request(served, "/web.iso", {"Range": "bytes=0-9,-10,100-109"})
    assert status == 206
    kind = headers["content-type"]
    assert kind.startswith("multipart/byteranges; boundary=")
    assert int(headers["content-length"]) == len(body)
    message = email.parser.BytesParser().parsebytes(
        b"Content-Type: " + kind.encode() + b"\r\n\r\n" + body
    )
    parts = [(p["Content-Range"], p.get_payload(decode=True)) for p in message.get_payload()]
    size = len(image)
    assert parts == [
        (f"bytes 0-9/{size}", image[:10]),
        (f"bytes {size - 10}-{size - 1}/{size}", image[-10:]),
        (f"bytes 100-109/{size}", image[100:110]),
    ]


def test_past_the_end_is_416(served: Served, image: bytes) -> None:
    status, headers, body = request(served, "/web.iso", {"Range": f"bytes={len(image)}-"})
    assert (status, body) == (416, b"")
    assert headers["content-range"] == f"bytes */{len(image)}"


def test_head_has_the_headers_and_no_body(served: Served, image: bytes) -> None:
    status, headers, body = request(served, "/web.iso", {"Range": "bytes=0-99"}, "HEAD")
    assert (status, body) == (206, b"")
    assert headers["content-length"] == "100"


def test_if_range_with_a_stale_etag_sends_everything(served: Served, image: bytes) -> None:
    _, headers, _ = request(served, "/web.iso")
    fresh = request(served, "/web.iso", {"Range": "bytes=0-9", "If-Range": headers["etag"]})
    stale = request(served, "/web.iso", {"Range": "bytes=0-9", "If-Range": '"old"'})
    assert fresh[0] == 206 and stale[0] == 200 and stale[2] == image


def test_keep_alive_serves_several_requests(served: Served, image: bytes) -> None:
    conn = http.client.HTTPConnection(LOCAL, served.port, timeout=60)
    for first in (0, 4096, 8192):
        conn.request("GET", "/web.iso", headers={"Range": f"bytes={first}-{first + 9}"})
        response = conn.getresponse()
        assert response.read() == image[first : first + 10]
    conn.close()


def test_the_installer_is_served(served: Served, fleet: Path) -> None:
    status, _, body = request(served, "/installer.iso", {"Range": "bytes=256-511"})
    assert (status, body) == (206, bytes(range(256)))


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/outside.iso",
        "/inside.iso",
        "/dir.iso",
        "/notes.txt",
        "/../out/web.iso",
        "/%2e%2e/etc/passwd",
        "/out/web.iso",
        "/.hidden.iso",
        "/web.iso/",
    ],
)
def test_nothing_else_is_served(served: Served, path: str) -> None:
    status, _, body = request(served, path)
    assert status == 404 and b"root:" not in body


def test_other_methods_are_refused(served: Served) -> None:
    status, headers, _ = request(served, "/web.iso", method="POST")
    assert status == 405 and headers["allow"] == "GET, HEAD"


def test_one_log_line_per_request(served: Served, image: bytes) -> None:
    request(served, "/web.iso", {"Range": "bytes=10-19"})
    request(served, "/missing.iso")
    wanted = [
        r" 127\.0\.0\.1 GET /web\.iso range=bytes=10-19 206 10 bytes$",
        r" 127\.0\.0\.1 GET /missing\.iso range=- 404 0 bytes$",
    ]
    deadline = time.monotonic() + 60  # the server logs once the response is out

    def found() -> list[int]:
        lines = served.lines()
        return [sum(bool(re.search(w, line)) for line in lines) for w in wanted]

    while found() != [1, 1] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert found() == [1, 1]


# --- curl ---------------------------------------------------------------------


@needs_curl
@pytest.mark.parametrize(
    ("flag", "start", "end"), [("0-99", 0, 99), ("-100", -100, None), ("1000-", 1000, None)]
)
def test_curl_ranges(
    served: Served, image: bytes, tmp_path: Path, flag: str, start: int, end: int | None
) -> None:
    target = tmp_path / "part"
    done = subprocess.run(
        [
            "curl",
            "-sS",
            "--fail",
            "-r",
            flag,
            "-o",
            str(target),
            "-w",
            "%{http_code}",
            f"{served.url}/web.iso",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert done.stdout == "206"
    want = image[start:] if end is None else image[start : end + 1]
    assert target.read_bytes() == want


@needs_curl
def test_curl_resumes_a_download(served: Served, image: bytes, tmp_path: Path) -> None:
    target = tmp_path / "web.iso"
    target.write_bytes(image[:5000])
    subprocess.run(
        ["curl", "-sS", "--fail", "-C", "-", "-o", str(target), f"{served.url}/web.iso"],
        check=True,
        timeout=300,
    )
    assert target.read_bytes() == image


@needs_curl
def test_curl_416(served: Served, image: bytes) -> None:
    done = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            os.devnull,
            "-w",
            "%{http_code}",
            "-r",
            f"{len(image) + 5}-",
            f"{served.url}/web.iso",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stdout == "416"


# --- the command ----------------------------------------------------------------


def test_bind_parsing() -> None:
    assert parse_bind("127.0.0.1:8000") == ("127.0.0.1", 8000)
    assert parse_bind("[::1]:80") == ("::1", 80)
    assert isinstance(parse_bind("8000"), str)
    assert isinstance(parse_bind(":8000"), str)
    assert isinstance(parse_bind("host:99999"), str)


def test_default_bind_is_loopback() -> None:
    from hostiso.cli.serve import DEFAULT_BIND

    assert DEFAULT_BIND.startswith("127.0.0.1:")


def test_serve_usage_errors(tmp_path: Path) -> None:
    assert run(["serve", "--bind", "nonsense"], tmp_path)[0] == 2
    assert run(["serve", "--installer", str(tmp_path / "none.iso")], tmp_path)[0] == 2
    rc, _out, err = run(["serve", "--bind", f"{LOCAL}:{free_port()}"], tmp_path)
    assert rc == 1 and "no such directory" in err

"""The short-unit fast path of ``unitfile`` gives what the Go-faithful lexer gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hostiso.emit.ignition import unitfile


def _lexer(text: str) -> tuple[frozenset[str], str | None]:
    lexer = unitfile._UnitLexer(text.encode("utf-8"))
    try:
        lexer.run()
    except unitfile._UnitError as exc:
        return frozenset(lexer.sections), str(exc)
    return frozenset(lexer.sections), None


PIECES = st.sampled_from(
    [
        "[Unit]", "[Service]", "[Install]", "[", "]", "\n", "\r", "\r\n", " ", "\t",
        "\v", "\f", "=", "\\", " \\", "#", ";", "Name=eth0", "A=b", "x", "[S] y",
        "\n\n", "WantedBy=multi-user.target", "\x00", "\x1c",
    ]
)  # fmt: skip
UNITS = st.lists(PIECES, max_size=40).map("".join)


@settings(max_examples=2000, deadline=None)
@given(UNITS)
def test_short_units_parse_as_the_lexer_does(text: str) -> None:
    assert unitfile._parse_short(text) == _lexer(text)


def test_examples() -> None:
    for text in [
        "[Match]\nName=eth0\n\n[Network]\nAddress=10.0.0.16/8\nGateway=10.0.0.1\n",
        "garbage before [Unit]\nA=b\n",
        "[Unit] trailing\n",
        "[Unit]\nA=b \\\n  continued\n\n[Install]\nWantedBy=x",
        "[Unit]\n# comment \\\n still comment\nA\n",
        "[Unit\nA=b",
        "[Unit]\nNoEquals",
        "",
    ]:
        assert unitfile._parse_short(text) == _lexer(text), text
        assert unitfile.parse_unit(text) == _lexer(text), text


PLAIN_PIECES = st.sampled_from(
    ["[Unit]", "[Match]", "[Install]", "\n", "\n", "Name=eth0", "A=b", "=", "# c", "; c",
     "x", " ", "[", "]", "\\", "\r", "\t", "DNS=10.0.0.1"]
)  # fmt: skip
PLAIN_UNITS = st.lists(PLAIN_PIECES, max_size=30).map("".join)


@settings(max_examples=3000, deadline=None)
@given(PLAIN_UNITS)
def test_plain_units_parse_as_the_lexer_does(text: str) -> None:
    plain = unitfile._parse_simple(text)
    assert plain is None or plain == _lexer(text), text
    assert unitfile._parse_short(text) == _lexer(text), text


def test_units_hostiso_writes_are_plain() -> None:
    text = "[Match]\nName=eth0\n\n[Network]\nAddress=10.20.0.16/16\nDNS=10.20.0.2\n"
    assert unitfile._parse_simple(text) == (frozenset({"Match", "Network"}), None)
    assert unitfile._parse_simple("[Unit]\n# only a comment\n") == (frozenset(), None)
    assert unitfile._parse_simple("A=b\n[Unit]\n") is None

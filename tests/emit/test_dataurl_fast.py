"""The one-match data URL check of ``dataurl`` agrees with the full decoder."""

from __future__ import annotations

import urllib.parse

from hypothesis import given, settings
from hypothesis import strategies as st

from hostiso.emit.ignition.dataurl import decode_data_url, valid_data_url
from hostiso.emit.v2.common import data_url

PIECES = st.sampled_from(
    [
        "data:", "data:,", ",", ";", "base64", "text/plain", "a", "%", "%4", "%41", "%zz",
        "%0A", " ", "\n", "\x7f", "#", "<", "\\", "[", "]", "`", "^", "|", "{", "~", "-",
        "é", "\ud800", "=", '"', "+", "/", "!", "*", "'", "(", ")", "?", "&",
    ]
)  # fmt: skip
URLS = st.lists(PIECES, max_size=30).map("".join)


@settings(max_examples=3000, deadline=None)
@given(URLS)
def test_valid_data_url_agrees_with_the_decoder(url: str) -> None:
    assert valid_data_url(url) == (decode_data_url(url) is not None)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_every_character_after_the_plain_header(text: str) -> None:
    url = "data:," + text
    assert valid_data_url(url) == (decode_data_url(url) is not None)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64))
def test_the_emitters_data_urls_are_valid(data: bytes) -> None:
    url = data_url(data)
    assert valid_data_url(url)
    assert decode_data_url(url) == data
    assert url == "data:," + urllib.parse.quote_from_bytes(data, safe="-_.!~*'()")

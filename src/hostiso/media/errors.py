"""The one exception the image writers raise for an input they cannot use."""

from __future__ import annotations


class MediaError(ValueError):
    """``path`` (a file the user gave) cannot be used: ``code`` names why, for the report."""

    def __init__(self, code: str, path: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.path = path
        self.message = message

"""The error of a source that cannot be read at all (shared by the upload staging and the format readers)."""

from __future__ import annotations


class SourceError(ValueError):
    """The source cannot be read at all; the message says why and what to do."""

"""Feature versions as HTTP entity tags, and ``If-Match`` preconditions (RFC 9110 §13.1.1).

A feature's ETag is made of its id and its ``updated_at`` (set by ``clock_timestamp()`` on every
write, in microseconds), so it changes with every stored change and is the same for every
reader. ``If-Match`` uses the strong comparison: weak tags (``W/"…"``) never match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gis_onemap.errors import InvalidInput

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e]*)"\s*(?:,|$)')


def feature_etag(fid: int, updated_at: datetime) -> str:
    """The strong ETag of a feature version.

    >>> feature_etag(7, datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))
    '"7-6475ef6574f35"'
    """
    micros = (updated_at - _EPOCH) // timedelta(microseconds=1)
    return f'"{fid}-{micros:x}"'


@dataclass(frozen=True)
class IfMatch:
    """A parsed ``If-Match`` header: ``*`` or a list of entity tags."""

    any: bool
    tags: tuple[str, ...] = ()

    @classmethod
    def parse(cls, header: str | None) -> IfMatch | None:
        """``None`` without a header; :class:`InvalidInput` (400) when it is malformed.

        >>> IfMatch.parse('"1-a", W/"1-b"')
        IfMatch(any=False, tags=('"1-a"',))
        >>> IfMatch.parse(" * ").any
        True
        """
        if header is None:
            return None
        text = header.strip()
        if text == "*":
            return cls(any=True)
        tags: list[str] = []
        pos = 0
        while pos < len(text):
            m = _TAG.match(text, pos)
            if m is None or m.end() == pos:
                raise InvalidInput(
                    "If-Match must be '*' or a list of quoted ETags, e.g. If-Match: \"12-5f3a\""
                )
            if not m.group(1):  # weak tags never match with the strong comparison
                tags.append(f'"{m.group(2)}"')
            pos = m.end()
        if not tags and pos == 0:
            raise InvalidInput("If-Match is empty; send '*' or a quoted ETag")
        return cls(any=False, tags=tuple(tags))

    def matches(self, etag: str) -> bool:
        """Whether the current version ``etag`` satisfies the precondition.

        >>> IfMatch(False, ('"1-a"',)).matches('"1-a"'), IfMatch(False, ('"1-a"',)).matches('"1-b"')
        (True, False)
        """
        return self.any or etag in self.tags

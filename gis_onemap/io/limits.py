"""Limits of one import (rows, unzipped sizes, compression ratio, encodings), from the settings."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from typing import Any

from gis_onemap.errors import ImportTooLarge, InvalidInput
from gis_onemap.settings import Settings

#: The ``Settings`` fields an import obeys (same names as the attributes of ImportLimits).
_FIELDS = ("max_import_rows", "import_chunk_rows", "max_unzipped_member_bytes",
           "max_unzipped_bytes", "max_zip_ratio", "import_encodings")  # fmt: skip


def _default(name: str) -> Any:
    info = Settings.model_fields[name]
    return info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]


@dataclass(frozen=True)
class ImportLimits:
    """What one import may cost; the defaults are the documented ``Settings`` defaults."""

    max_import_rows: int = field(default_factory=lambda: _default("max_import_rows"))
    import_chunk_rows: int = field(default_factory=lambda: _default("import_chunk_rows"))
    max_unzipped_member_bytes: int = field(
        default_factory=lambda: _default("max_unzipped_member_bytes")
    )
    max_unzipped_bytes: int = field(default_factory=lambda: _default("max_unzipped_bytes"))
    max_zip_ratio: float = field(default_factory=lambda: _default("max_zip_ratio"))
    import_encodings: tuple[str, ...] = field(
        default_factory=lambda: tuple(_default("import_encodings"))
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        """The import limits configured by ``settings``."""
        values = {name: getattr(settings, name) for name in _FIELDS}
        values["import_encodings"] = tuple(values["import_encodings"])
        return cls(**values)

    def check_rows(self, n_rows: int) -> None:
        """:class:`ImportTooLarge` when a file holds more rows than allowed."""
        if n_rows > self.max_import_rows:
            raise ImportTooLarge(
                f"the file has more than {self.max_import_rows} rows (max_import_rows); "
                "split it into several imports"
            )

    def check_encoding(self, name: str) -> str:
        """The canonical name of ``name`` if it is an allowed *text* encoding.

        Python's codec registry also holds byte-to-byte codecs (zlib, bz2, base64, hex,
        rot13): a small upload "decoded" with them inflates without bound, so only text
        codecs on the allow-list are accepted.

        >>> ImportLimits().check_encoding("CP936"), ImportLimits().check_encoding("UTF8")
        ('gbk', 'utf-8')
        >>> ImportLimits().check_encoding("zlib")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gis_onemap.errors.InvalidInput: encoding 'zlib' is not a text encoding; use ...
        """
        hint = "use e.g. utf-8, gbk or gb18030"
        try:
            info = codecs.lookup(name)
        except (LookupError, TypeError, ValueError):
            raise InvalidInput(f"unknown encoding '{name[:40]}'; {hint}") from None
        if not getattr(info, "_is_text_encoding", True):
            raise InvalidInput(f"encoding '{name[:40]}' is not a text encoding; {hint}")
        allowed = set()
        for allowed_name in self.import_encodings:
            try:
                allowed.add(codecs.lookup(allowed_name).name)
            except LookupError:
                continue
        if info.name not in allowed:
            raise InvalidInput(
                f"encoding '{name[:40]}' is not accepted; use one of "
                f"{', '.join(self.import_encodings)}"
            )
        return info.name

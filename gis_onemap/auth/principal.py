"""Who is asking: a role and, optionally, the region codes the caller is limited to.

Roles are ordered: ``anonymous < viewer < editor < admin``. Writes need ``editor``; tokens,
audit and restore need ``admin``. Only authenticated callers (viewer and above) see personal
data (phones, e-mail).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Role(IntEnum):
    """Roles in increasing order of power (compare with ``>=``).

    >>> Role.editor >= Role.viewer
    True
    >>> Role["admin"].name
    'admin'
    """

    anonymous = 0
    viewer = 1
    editor = 2
    admin = 3


@dataclass(frozen=True)
class Principal:
    """The caller of one request: ``name`` is ``None`` for anonymous callers.

    ``region_codes`` empty means every region; otherwise a feature is in scope when its
    ``region_code`` starts with one of the codes (``4408`` covers the city and its districts).

    >>> Principal("ops", Role.editor, ("4408",)).in_region("440803")
    True
    >>> Principal("ops", Role.editor, ("440803",)).in_region("440881")
    False
    >>> Principal(None, Role.anonymous).sees_personal_data
    False
    """

    name: str | None = None
    role: Role = Role.anonymous
    region_codes: tuple[str, ...] = ()

    @property
    def sees_personal_data(self) -> bool:
        """Whether this caller may see personal data (viewer or above)."""
        return self.role >= Role.viewer

    @property
    def actor(self) -> str:
        """The name recorded in the audit log."""
        return self.name or "anonymous"

    def in_region(self, region_code: str | None) -> bool:
        """Whether ``region_code`` lies in this caller's regions (always, when it has none)."""
        if not self.region_codes:
            return True
        return region_code is not None and any(region_code.startswith(c) for c in self.region_codes)


ANONYMOUS = Principal()

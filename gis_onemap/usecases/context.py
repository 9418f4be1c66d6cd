"""Who runs a use case and under which settings (the one thing HTTP and CLI differ in)."""

from __future__ import annotations

from dataclasses import dataclass

from gis_onemap.limits import InputLimits
from gis_onemap.settings import Settings


@dataclass(frozen=True)
class Caller:
    """The caller of a use case.

    ``personal``: whether personal fields (phones, e-mail) are selected at all — over HTTP the
    principal's ``sees_personal_data``; on the command line the operator's ``--include-personal``
    (an operator with the database URL can read everything anyway, but does not by default).
    """

    settings: Settings
    personal: bool = False

    @property
    def limits(self) -> InputLimits:
        """The input limits of the settings (filter size/depth, geometry size, buffer work)."""
        return InputLimits.from_settings(self.settings)

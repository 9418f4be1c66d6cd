"""Standards as data: tables of national standards the one map computes with.

- :mod:`gis_onemap.standards.gb18218` — GB 18218-2018 (major hazard sources of hazardous
  chemicals): Table 1 named substances, Table 2 hazard codes, Table 3/4 β, Table 5 α, the level
  bands; data in ``data/gb18218_2018.json`` (sources cited in the file).
"""

from gis_onemap.standards.gb18218 import (
    GB18218,
    HazardClass,
    SubstanceEntry,
    UnitAssessment,
    assess_unit,
    gb18218,
)

__all__ = [
    "GB18218",
    "HazardClass",
    "SubstanceEntry",
    "UnitAssessment",
    "assess_unit",
    "gb18218",
]

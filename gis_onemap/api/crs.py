"""CRS query parameters as FastAPI dependencies that return parsed values.

titiler's ``CRSParams`` is the model: a route declares ``crs: OutputCRSDep`` and gets a checked
:class:`~gis_onemap.crs.CRSSpec` (400 with a clear message before any work). The parsing and
transforms themselves are :mod:`gis_onemap.crs.edge`, shared with the CLI.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from gis_onemap.crs import CRSSpec
from gis_onemap.crs.edge import input_crs, output_crs

CRS_HELP = "EPSG code or URI, 'CRS84', 'gcj02' (Amap), 'bd09' (Baidu); default CRS84"


def output_crs_param(
    crs: Annotated[str | None, Query(description=f"Output CRS: {CRS_HELP}")] = None,
) -> CRSSpec:
    """``?crs=``: the CRS to answer in (also nameable in a ``Content-Crs`` header)."""
    return output_crs(crs)


def input_crs_param(
    crs: Annotated[
        str | None, Query(description=f"CRS of the coordinates sent: {CRS_HELP}")
    ] = None,
) -> CRSSpec:
    """``?crs=``: the CRS of coordinates the client sends (checked transformable to WGS84)."""
    return input_crs(crs, "crs")


OutputCRSDep = Annotated[CRSSpec, Depends(output_crs_param)]
InputCRSDep = Annotated[CRSSpec, Depends(input_crs_param)]

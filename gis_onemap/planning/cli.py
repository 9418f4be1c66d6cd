"""``onemap shelters coverage|siting|evacuate``.

The planning analyses from the command line, written with ``--out`` as .json, .geojson, .gpkg, .xlsx
(Chinese headers) or offline .html; and the population import behind ``onemap load FILE --layer
population``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

shelters_app = typer.Typer(help="Shelter planning: coverage, siting, evacuation (issue 15).")

Out = Annotated[Path | None, typer.Option("--out", "-o", help=".json .geojson .gpkg .xlsx .html")]
Body = Annotated[
    str | None, typer.Option("--body", help="The request as JSON text or @file.json (as HTTP)")
]
Region = Annotated[str | None, typer.Option("--region-code", help="District code, e.g. 440802")]
Reach = Annotated[float | None, typer.Option("--reach", help="Walking reach (minutes)")]
Share = Annotated[float | None, typer.Option("--share", help="Share needing a shelter (0-1]")]
Hazard = Annotated[str | None, typer.Option("--hazard", help="typhoon, flood, earthquake ...")]


def _body(body: str | None, **given: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if body:
        text = Path(body[1:]).read_text(encoding="utf-8") if body.startswith("@") else body
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise typer.BadParameter(f"--body is not JSON: {exc.msg}") from None
    data.update({k: v for k, v in given.items() if v is not None})
    return data


def _run(kind: str, data: dict[str, Any], out: Path | None) -> None:
    from gis_onemap.analysis.schemas import parse_body
    from gis_onemap.cli.session import cli_session
    from gis_onemap.planning import schemas, service, siting
    from gis_onemap.planning.outputs import write_result
    from gis_onemap.settings import get_settings

    settings = get_settings()
    with cli_session(settings) as session:
        if kind == "coverage":
            result = service.coverage(session, settings, parse_body(schemas.CoverageRequest, data))
        elif kind == "siting":
            result = siting.siting(session, settings, parse_body(schemas.SitingRequest, data))
        else:
            result = service.evacuate(session, settings, parse_body(schemas.EvacuateRequest, data))
        if out is not None:
            titles = {"coverage": "避难场所覆盖分析", "siting": "避难场所选址",
                      "evacuate": "疏散安置分配"}  # fmt: skip
            write_result(result, out, titles[kind])
    summary = result.get("totals") or {
        k: result.get(k) for k in ("model", "status", "objective", "gap", "seconds")
    }
    typer.echo(json.dumps(summary, ensure_ascii=False))
    if "covered_within_reach" in result:
        typer.echo(json.dumps({"covered_within_reach": result["covered_within_reach"],
                               "chosen": [c["id"] for c in result["chosen"]]},
                              ensure_ascii=False))  # fmt: skip
    if out is not None:
        typer.echo(f"written to {out}")


@shelters_app.command("coverage")
def coverage(
    body: Body = None, region_code: Region = None, reach: Reach = None, share: Share = None,
    hazard: Hazard = None, out: Out = None,
) -> None:  # fmt: skip
    """Capacitated coverage: who has a shelter with room within reach."""
    _run("coverage", _body(body, region_code=region_code, reach=reach, share=share,
                           hazard=hazard), out)  # fmt: skip


@shelters_app.command("siting")
def siting(
    body: Body = None, region_code: Region = None, reach: Reach = None, share: Share = None,
    hazard: Hazard = None,
    p: Annotated[int | None, typer.Option("--p", help="New sites to choose")] = None,
    model: Annotated[str | None, typer.Option("--model", help="mclp | pmedian | lscp")] = None,
    collection: Annotated[
        str | None, typer.Option("--candidates", help="Candidate collection (protected_targets)")
    ] = None,
    cql: Annotated[str | None, typer.Option("--filter", help="CQL2 filter on candidates")] = None,
    out: Out = None,
) -> None:  # fmt: skip
    """Choose new shelter sites (spopt + CBC)."""
    cands = None if collection is None else {"collection": collection, "filter": cql}
    _run("siting", _body(body, region_code=region_code, reach=reach, share=share,
                         hazard=hazard, p=p, model=model, candidates=cands), out)  # fmt: skip


@shelters_app.command("evacuate")
def evacuate(
    body: Body = None,
    incident_id: Annotated[int | None, typer.Option("--incident", help="Incident id")] = None,
    radius_m: Annotated[float | None, typer.Option("--radius-m", help="Zone radius (m)")] = None,
    reach: Reach = None, share: Share = None, hazard: Hazard = None, out: Out = None,
) -> None:  # fmt: skip
    """Assign the people inside a hazard zone to shelters outside it with room."""
    _run("evacuate", _body(body, incident_id=incident_id, radius_m=radius_m, reach=reach,
                           share=share, hazard=hazard), out)  # fmt: skip


def load_population(
    path: Path, *, crs: str | None, layer: str | None, encoding: str | None,
    dry_run: bool, as_json: bool, replace: bool = False,
) -> None:  # fmt: skip
    """``onemap load FILE --layer population``: all rows checked, then all written or none."""
    from gis_onemap.cli.session import cli_session
    from gis_onemap.io.limits import ImportLimits
    from gis_onemap.planning.population_io import import_population
    from gis_onemap.settings import get_settings

    settings = get_settings()
    with cli_session(settings) as session:
        report = import_population(
            session, path, crs=crs, layer=layer, encoding=encoding, replace=replace,
            limits=ImportLimits.from_settings(settings), dry_run=dry_run,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        what = "would import" if dry_run else "imported"
        typer.echo(f"{path.name} → population: {what} {report.rows} rows, "
                   f"{report.population:,} people")  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add ``shelters`` to the ``onemap`` command."""
    app.add_typer(shelters_app, name="shelters")

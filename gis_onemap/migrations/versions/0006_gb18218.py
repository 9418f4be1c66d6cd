"""GB 18218-2018 in full: α column, pipelines out of hazard_sources, substances looked up

- ``hazard_sources.alpha`` (Table 5 α) is added.
- GB 18218-2018 §1 excludes pipelines and transport outside the plant: rows with
  ``hazard_type = 'pipeline'`` move to ``protected_targets`` (new type ``pipeline``); their old
  hazard-source values are kept in ``extra.former_hazard_source``; nothing is lost.
- Every remaining unit with substances is re-assessed by lookup (Table 1 by name/CAS, Table 2
  by the code its old class implies): substances get Q/β/sources/terms, and S, R, α, level,
  risk colour are recomputed. A unit the lookup cannot assess (unknown name, S < 1) keeps its
  old values and gets ``extra.gb18218_review`` with the problems, for a person to fix.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 23:00:00.000000
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TARGET_TYPES_OLD = (
    "school", "kindergarten", "hospital", "nursing_home", "residential", "government",
    "water_source", "transport_hub", "crowded_place", "other",
)  # fmt: skip
_TARGET_TYPES_NEW = (*_TARGET_TYPES_OLD[:8], "pipeline", *_TARGET_TYPES_OLD[8:])
_HAZARD_TYPES_OLD = ("production_unit", "storage_unit", "warehouse", "pipeline", "gas_station",
                     "other")  # fmt: skip
_HAZARD_TYPES_NEW = tuple(t for t in _HAZARD_TYPES_OLD if t != "pipeline")
#: The pre-2018 classes of the old model, as the Table 2 code they imply for a substance not
#: named in Table 1 (only flammable gases map unambiguously).
_CODE_BY_OLD_CLASS = {"flammable_gas": "W2"}
_RISK_COLOR = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}


def _in(column: str, values: Sequence[str]) -> str:
    return f'"{column}" IN (' + ", ".join(f"'{v}'" for v in values) + ")"


def _replace_check(table: str, column: str, values: Sequence[str]) -> None:
    name = op.f(f"ck_{table}_{column}_enum")
    op.drop_constraint(name, table, type_="check")
    op.create_check_constraint(name, table, _in(column, values))


def _new_item(old: dict[str, Any]) -> dict[str, Any]:
    """An old substance item in the new shape: identifiers and q; Q/β are looked up again."""
    item: dict[str, Any] = {k: old[k] for k in ("name", "cas", "q") if old.get(k) is not None}
    code = _CODE_BY_OLD_CLASS.get(str(old.get("substance_class")))
    if code:
        item["hazard_code"] = code
    return item


def _reassess(conn: sa.Connection) -> None:
    from gis_onemap.standards.gb18218 import assess_unit, gb18218

    std = gb18218()
    rows = conn.execute(
        sa.text(
            "SELECT id, substances, population_500m FROM hazard_sources "
            "WHERE substances IS NOT NULL AND jsonb_array_length(substances) > 0"
        )
    ).all()
    update = sa.text(
        "UPDATE hazard_sources SET substances = :subs, substance_terms = :terms, "
        "s_value = :s, r_value = :r, "
        "alpha = :alpha, level = :level, risk_color = :color WHERE id = :id"
    ).bindparams(sa.bindparam("subs", type_=JSONB), sa.bindparam("terms", type_=JSONB))
    review = sa.text(
        "UPDATE hazard_sources SET extra = extra || jsonb_build_object('gb18218_review', "
        "CAST(:problems AS jsonb)) WHERE id = :id"
    )
    for fid, subs, population in rows:
        olds = [s for s in subs if isinstance(s, dict)]
        items = [_new_item(s) for s in olds]
        # A substance named in Table 1 takes its own row; the old class is not needed.
        for item, old in zip(items, olds, strict=True):
            if "hazard_code" in item and std.by_name(str(old.get("name", ""))):
                del item["hazard_code"]
        assessed, problems = assess_unit(items, population, std)
        if assessed is None:
            conn.execute(review, {"id": fid, "problems": json.dumps(problems, ensure_ascii=False)})
            continue
        conn.execute(
            update,
            {
                "id": fid, "subs": items, "terms": assessed.terms, "s": assessed.s_value,
                "r": assessed.r_value, "alpha": assessed.alpha, "level": assessed.level,
                "color": _RISK_COLOR[assessed.level],
            },
        )  # fmt: skip


def upgrade() -> None:
    op.add_column(
        "hazard_sources",
        sa.Column(
            "substance_terms",
            JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="分项计算 / Terms of S and R per substance",
        ),
    )
    op.add_column(
        "hazard_sources",
        sa.Column(
            "alpha", sa.Double(), nullable=True, comment="α校正系数 / α (population correction)"
        ),
    )
    op.create_check_constraint(
        op.f("ck_hazard_sources_alpha_min"), "hazard_sources", '"alpha" >= 0.5'
    )
    op.create_check_constraint(
        op.f("ck_hazard_sources_alpha_max"), "hazard_sources", '"alpha" <= 2'
    )
    _replace_check("protected_targets", "target_type", _TARGET_TYPES_NEW)
    op.execute(
        """
        INSERT INTO protected_targets
            (name, region_code, address, target_type, contact_person, contact_phone, extra,
             updated_at, geom)
        SELECT name, region_code, address, 'pipeline', contact_person, contact_phone,
               extra || jsonb_build_object(
                   'former_hazard_source',
                   jsonb_strip_nulls(jsonb_build_object(
                       'id', id, 'enterprise', enterprise, 'level', level,
                       'r_value', r_value, 's_value', s_value, 'risk_color', risk_color,
                       'population_500m', population_500m, 'substances', substances,
                       'monitored', monitored)),
                   'moved_by', 'migration 0006: GB 18218-2018 §1 excludes pipelines'),
               now(), geom
        FROM hazard_sources WHERE hazard_type = 'pipeline'
        ORDER BY id
        """
    )
    op.execute("DELETE FROM hazard_sources WHERE hazard_type = 'pipeline'")
    _replace_check("hazard_sources", "hazard_type", _HAZARD_TYPES_NEW)
    _reassess(op.get_bind())


def downgrade() -> None:
    _replace_check("hazard_sources", "hazard_type", _HAZARD_TYPES_OLD)
    op.execute(
        """
        INSERT INTO hazard_sources
            (name, region_code, address, enterprise, hazard_type, level, r_value, s_value,
             risk_color, population_500m, substances, monitored, contact_person, contact_phone,
             extra, updated_at, geom)
        SELECT name, region_code, address, f->>'enterprise', 'pipeline',
               (f->>'level')::bigint, (f->>'r_value')::float8, (f->>'s_value')::float8,
               f->>'risk_color', (f->>'population_500m')::bigint, f->'substances',
               (f->>'monitored')::boolean, contact_person, contact_phone,
               extra - 'former_hazard_source' - 'moved_by', now(), geom
        FROM (SELECT *, extra->'former_hazard_source' AS f FROM protected_targets
              WHERE target_type = 'pipeline' AND extra ? 'former_hazard_source') AS moved
        """
    )
    op.execute(
        "DELETE FROM protected_targets "
        "WHERE target_type = 'pipeline' AND extra ? 'former_hazard_source'"
    )
    # Pipelines entered as protected targets after the upgrade have no place in the old model.
    op.execute("UPDATE protected_targets SET target_type = 'other' WHERE target_type = 'pipeline'")
    _replace_check("protected_targets", "target_type", _TARGET_TYPES_OLD)
    op.drop_constraint(op.f("ck_hazard_sources_alpha_max"), "hazard_sources", type_="check")
    op.drop_constraint(op.f("ck_hazard_sources_alpha_min"), "hazard_sources", type_="check")
    _restore_old_items(op.get_bind())
    op.drop_column("hazard_sources", "alpha")
    op.drop_column("hazard_sources", "substance_terms")


def _restore_old_items(conn: sa.Connection) -> None:
    """Old-shape items (name, cas, q, Q, beta: the old model required Q) from the terms."""
    rows = conn.execute(
        sa.text(
            "SELECT id, substances, substance_terms FROM hazard_sources "
            "WHERE substance_terms IS NOT NULL"
        )
    ).all()
    update = sa.text("UPDATE hazard_sources SET substances = :subs WHERE id = :id").bindparams(
        sa.bindparam("subs", type_=JSONB)
    )
    for fid, subs, terms in rows:
        old = []
        for item, term in zip(subs or [], terms, strict=False):
            back = {"name": str(item.get("name") or term["name"])}
            if item.get("cas"):
                back["cas"] = item["cas"]
            back.update(q=term["q"], Q=term["Q"], beta=term["beta"])
            old.append(back)
        conn.execute(update, {"id": fid, "subs": old})

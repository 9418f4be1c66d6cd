"""CQL2 text/JSON filters (OGC API – Features Part 3) → SQLAlchemy clauses with bound values.

Parsing is done by libraries: the ``cql2`` package parses and validates the text or JSON
encoding of the current standard and normalises it to CQL2 JSON, which pygeofilter turns into
an AST (pygeofilter's own text grammar predates the standard's temporal functions). This
module only maps that AST onto a category's typed columns, so
that unknown properties, wrong types and unsupported operators become clear 400 errors and
every literal is a bound parameter (never spliced into SQL text).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import cql2
from geoalchemy2.shape import from_shape
from pygeofilter import ast, values
from pygeofilter.backends.evaluator import Evaluator, handle
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from shapely.geometry import box, shape
from sqlalchemy import ColumnElement, Table, and_, func, literal, not_, or_

from gis_onemap.categories import Category
from gis_onemap.errors import InvalidInput

_COMPARATORS = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class _Attr:
    """A resolved property reference: its column and field type."""

    def __init__(self, column: Any, kind: str) -> None:
        self.column = column
        self.kind = kind


def _aware(v: datetime) -> datetime:
    return v if v.tzinfo else v.replace(tzinfo=UTC)


class _ToSQL(Evaluator):  # type: ignore[misc]
    def __init__(self, category: Category, table: Table, queryables: set[str]) -> None:
        self.category = category
        self.table = table
        self.queryables = queryables

    # -- logical --------------------------------------------------------------------------
    @handle(ast.Not)
    def not_(self, node: Any, sub: Any) -> Any:
        return not_(sub)

    @handle(ast.And)
    def and_(self, node: Any, lhs: Any, rhs: Any) -> Any:
        return and_(lhs, rhs)

    @handle(ast.Or)
    def or_(self, node: Any, lhs: Any, rhs: Any) -> Any:
        return or_(lhs, rhs)

    # -- operands -------------------------------------------------------------------------
    @handle(ast.Attribute)
    def attribute(self, node: Any) -> _Attr:
        name = node.name
        if name not in self.queryables:
            raise InvalidInput(f"filter: unknown or non-queryable property '{name}'")
        if name == "geometry":
            return _Attr(self.table.c.geom, "geometry")
        if name in ("id",):
            return _Attr(self.table.c.id, "integer")
        if name == "updated_at":
            return _Attr(self.table.c.updated_at, "datetime")
        f = self.category.field(name)
        assert f is not None
        return _Attr(self.table.c[name], f.type)

    @handle(*values.LITERALS)
    def literal(self, node: Any) -> Any:
        return node

    @handle(values.Geometry)
    def geometry(self, node: Any) -> Any:
        try:
            return from_shape(shape(node.__geo_interface__), srid=4326)
        except Exception:  # noqa: BLE001
            raise InvalidInput("filter: invalid geometry literal") from None

    @handle(values.Envelope)
    def envelope(self, node: Any) -> Any:
        return from_shape(box(node.x1, node.y1, node.x2, node.y2), srid=4326)

    @handle(values.Interval)
    def interval(self, node: Any, start: Any, end: Any) -> tuple[Any, Any]:
        return (start, end)

    # -- predicates -----------------------------------------------------------------------
    def _value(self, attr: _Attr, value: Any) -> Any:
        if isinstance(value, _Attr):
            return value.column
        kind = attr.kind
        if kind in ("integer", "number"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInput(f"filter: '{attr.column.name}' is numeric, got {value!r}")
        elif kind == "string":
            if not isinstance(value, str):
                raise InvalidInput(f"filter: '{attr.column.name}' is text, got {value!r}")
        elif kind == "boolean":
            if not isinstance(value, bool):
                raise InvalidInput(f"filter: '{attr.column.name}' is true/false, got {value!r}")
        elif kind in ("date", "datetime"):
            if not isinstance(value, date):
                raise InvalidInput(f"filter: '{attr.column.name}' needs a date or timestamp")
        else:
            raise InvalidInput(f"filter: '{attr.column.name}' cannot be compared this way")
        return literal(value)

    @handle(ast.Comparison, subclasses=True)
    def comparison(self, node: Any, lhs: Any, rhs: Any) -> Any:
        if not isinstance(lhs, _Attr):
            lhs, rhs = rhs, lhs
        if not isinstance(lhs, _Attr):
            raise InvalidInput("filter: a comparison needs a property on one side")
        if lhs.kind == "string_list" and node.op.value in ("=", "<>"):
            if not isinstance(rhs, str):
                raise InvalidInput(f"filter: '{lhs.column.name}' holds text values")
            contains = literal(rhs) == func.any(lhs.column)
            return contains if node.op.value == "=" else not_(contains)
        return _COMPARATORS[node.op.value](lhs.column, self._value(lhs, rhs))

    @handle(ast.Between)
    def between(self, node: Any, lhs: Any, low: Any, high: Any) -> Any:
        clause = lhs.column.between(self._value(lhs, low), self._value(lhs, high))
        return not_(clause) if node.not_ else clause

    @handle(ast.Like)
    def like(self, node: Any, lhs: Any) -> Any:
        if not isinstance(lhs, _Attr) or lhs.kind != "string":
            raise InvalidInput("filter: LIKE applies to text properties")
        pattern = node.pattern
        if not isinstance(pattern, str):
            raise InvalidInput("filter: LIKE needs a text pattern")
        # CQL2 wildcards are SQL's own (% and _), whatever pygeofilter's node says
        op = lhs.column.like if not node.nocase else lhs.column.ilike
        clause = op(literal(pattern), escape=node.escapechar or "\\")
        return not_(clause) if node.not_ else clause

    @handle(ast.In)
    def in_(self, node: Any, lhs: Any, *options: Any) -> Any:
        if not isinstance(lhs, _Attr):
            raise InvalidInput("filter: IN needs a property on the left")
        if lhs.kind == "string_list":
            clause = lhs.column.overlap([str(o) for o in options])
        else:
            clause = lhs.column.in_([self._value(lhs, o) for o in options])
        return not_(clause) if node.not_ else clause

    @handle(ast.IsNull)
    def null(self, node: Any, lhs: Any) -> Any:
        return lhs.column.is_not(None) if node.not_ else lhs.column.is_(None)

    @handle(ast.SpatialComparisonPredicate, subclasses=True)
    def spatial(self, node: Any, lhs: Any, rhs: Any) -> Any:
        if isinstance(lhs, _Attr):
            lhs = lhs.column
        if isinstance(rhs, _Attr):
            rhs = rhs.column
        fn = {
            "INTERSECTS": func.ST_Intersects,
            "DISJOINT": func.ST_Disjoint,
            "CONTAINS": func.ST_Contains,
            "WITHIN": func.ST_Within,
            "TOUCHES": func.ST_Touches,
            "CROSSES": func.ST_Crosses,
            "OVERLAPS": func.ST_Overlaps,
            "EQUALS": func.ST_Equals,
        }.get(node.op.name)
        if fn is None:
            raise InvalidInput(f"filter: spatial operator {node.op.name} is not supported")
        return fn(lhs, rhs)

    @handle(ast.BBox)
    def bbox(self, node: Any, lhs: Any) -> Any:
        env = func.ST_MakeEnvelope(node.minx, node.miny, node.maxx, node.maxy, 4326)
        return func.ST_Intersects(lhs.column, env)

    @handle(ast.TemporalPredicate, subclasses=True)
    def temporal(self, node: Any, lhs: Any, rhs: Any) -> Any:
        if not isinstance(lhs, _Attr) or lhs.kind not in ("date", "datetime"):
            raise InvalidInput("filter: temporal operators apply to updated_at or dates")
        col = lhs.column
        op = node.op.name
        if isinstance(rhs, tuple):
            start, end = (_aware(v) if isinstance(v, datetime) else v for v in rhs)
            if op in ("DURING", "TCONTAINS"):
                return and_(col > start, col < end) if op == "DURING" else col.is_(None)
            if op in ("INTERSECTS", "TINTERSECTS", "TOVERLAPS"):
                return and_(col >= start, col <= end)
            if op == "AFTER":
                return col > end
            if op == "BEFORE":
                return col < start
            raise InvalidInput(f"filter: temporal operator {op} is not supported for intervals")
        if isinstance(rhs, date):
            value = _aware(rhs) if isinstance(rhs, datetime) else rhs
            mapping = {
                "AFTER": col > value,
                "BEFORE": col < value,
                "TEQUALS": col == value,
                "INTERSECTS": col == value,
                "TINTERSECTS": col == value,
                "DISJOINT": col != value,
            }
            if op in mapping:
                return mapping[op]
        raise InvalidInput(f"filter: temporal operator {op} is not supported here")


def _normalise(node: Any) -> Any:
    """Adapt current CQL2 JSON to what pygeofilter's parser reads correctly.

    ``between`` with 3 args becomes ``>= AND <=`` (pygeofilter expects an older form), and a
    ``bbox`` literal becomes a polygon (pygeofilter reads its 4 numbers in the wrong order).
    """
    if isinstance(node, list):
        return [_normalise(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _normalise(v) for k, v in node.items()}
    if set(node) == {"bbox"} and isinstance(node["bbox"], list) and len(node["bbox"]) in (4, 6):
        b = node["bbox"]
        minx, miny, maxx, maxy = (
            (b[0], b[1], b[2], b[3]) if len(b) == 4 else (b[0], b[1], b[3], b[4])
        )
        ring = [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
        return {"type": "Polygon", "coordinates": [ring]}
    if node.get("op") == "between" and len(node.get("args", [])) == 3:
        prop, low, high = node["args"]
        return {
            "op": "and",
            "args": [{"op": ">=", "args": [prop, low]}, {"op": "<=", "args": [prop, high]}],
        }
    return node


def parse_filter(text: str, lang: str | None) -> Any:
    """The pygeofilter AST of a CQL2 text or JSON filter; :class:`InvalidInput` if malformed."""
    lang = (lang or ("cql2-json" if text.lstrip().startswith("{") else "cql2-text")).lower()
    if lang not in ("cql2-text", "cql2-json"):
        raise InvalidInput("filter-lang must be 'cql2-text' or 'cql2-json'")
    try:
        expr = cql2.parse_text(text) if lang == "cql2-text" else cql2.parse_json(text)
        return parse_cql2_json(_normalise(expr.to_json()))
    except Exception:  # noqa: BLE001 - the parsers raise many kinds for bad input
        raise InvalidInput(f"filter: not valid {lang}") from None


def to_clause(
    tree: Any, category: Category, table: Table, queryables: set[str]
) -> ColumnElement[bool]:
    """The SQL clause of a parsed filter over ``category``'s table."""
    try:
        clause = _ToSQL(category, table, queryables).evaluate(tree)
    except InvalidInput:
        raise
    except Exception:  # noqa: BLE001 - e.g. an operator the mapping has no handler for
        raise InvalidInput("filter: an operator or value in it is not supported") from None
    if isinstance(clause, _Attr) or not hasattr(clause, "compile"):
        raise InvalidInput("filter: must be a condition")
    return clause

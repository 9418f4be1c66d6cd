"""CQL2 text/JSON filters (OGC API – Features Part 3) → SQLAlchemy clauses with bound values.

Parsing is done by libraries: the ``cql2`` package parses and validates the text or JSON
encoding of the current standard and normalises it to CQL2 JSON, which pygeofilter turns into
an AST (pygeofilter's own text grammar predates the standard's temporal functions). This
module only maps that AST onto a category's typed columns, so
that unknown properties, wrong types and unsupported operators become clear 400 errors and
every literal is a bound parameter (never spliced into SQL text).

Size and nesting are checked *before* any parser sees a filter (:func:`check_filter`): the
``cql2`` parser is recursive native code, and a filter nested ~2,000 levels deep overflows its
stack and kills the whole server process (issue #10, finding 1).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import cql2
import orjson
from geoalchemy2.shape import from_shape
from pygeofilter import ast, values
from pygeofilter.backends.evaluator import Evaluator, handle
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from shapely.geometry import box, shape
from sqlalchemy import ColumnElement, Table, and_, false, func, literal, not_, or_

from gis_onemap.categories import Category
from gis_onemap.categories.system_fields import SYSTEM_BY_NAME
from gis_onemap.errors import InvalidInput
from gis_onemap.limits import InputLimits, json_depth

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

    def __init__(self, column: Any, kind: str, name: str) -> None:
        self.column = column
        self.kind = kind
        self.name = name


#: Field types that can be compared with each other (a property with a property).
_FAMILIES = {
    "integer": "number",
    "number": "number",
    "string": "text",
    "boolean": "boolean",
    "date": "time",
    "datetime": "time",
}


def _describe(kind: str) -> str:
    return {"string_list": "a list of text", "object_list": "a list of objects"}.get(kind, kind)


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
        system = SYSTEM_BY_NAME.get(name)
        if system is not None:
            return _Attr(self.table.c[system.column], system.type, name)
        f = self.category.field(name)
        assert f is not None
        return _Attr(self.table.c[name], f.type, name)

    @handle(*values.LITERALS)
    def literal(self, node: Any) -> Any:
        return node

    @handle(values.Geometry)
    def geometry(self, node: Any) -> Any:
        try:
            return from_shape(shape(node.__geo_interface__), srid=4326)
        except Exception:
            raise InvalidInput("filter: invalid geometry literal") from None

    @handle(values.Envelope)
    def envelope(self, node: Any) -> Any:
        return from_shape(box(node.x1, node.y1, node.x2, node.y2), srid=4326)

    @handle(values.Interval)
    def interval(self, node: Any, start: Any, end: Any) -> tuple[Any, Any]:
        return (start, end)

    # -- predicates -----------------------------------------------------------------------
    def _value(self, attr: _Attr, value: Any) -> Any:
        # The one place where an operand meets a property: every operand, a literal or another
        # property, is checked against the property's type here, so that PostgreSQL never
        # sees a comparison it cannot type (that was a 500: "operator does not exist").
        if isinstance(value, _Attr):
            family = _FAMILIES.get(attr.kind)
            if family is None or family != _FAMILIES.get(value.kind):
                raise InvalidInput(
                    f"filter: property '{attr.name}' ({_describe(attr.kind)}) cannot be "
                    f"compared with property '{value.name}' ({_describe(value.kind)})"
                )
            return value.column
        kind = attr.kind
        if kind in ("integer", "number"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInput(f"filter: '{attr.name}' is numeric, got {value!r}")
        elif kind == "string":
            if not isinstance(value, str):
                raise InvalidInput(f"filter: '{attr.name}' is text, got {value!r}")
        elif kind == "boolean":
            if not isinstance(value, bool):
                raise InvalidInput(f"filter: '{attr.name}' is true/false, got {value!r}")
        elif kind in ("date", "datetime"):
            if not isinstance(value, date):
                raise InvalidInput(f"filter: '{attr.name}' needs a date or timestamp")
        else:
            raise InvalidInput(f"filter: '{attr.name}' cannot be compared this way")
        return literal(value)

    @handle(ast.Comparison, subclasses=True)
    def comparison(self, node: Any, lhs: Any, rhs: Any) -> Any:
        if not isinstance(lhs, _Attr):
            lhs, rhs = rhs, lhs
        if not isinstance(lhs, _Attr):
            raise InvalidInput("filter: a comparison needs a property on one side")
        if lhs.kind == "string_list" and node.op.value in ("=", "<>"):
            if not isinstance(rhs, str):
                raise InvalidInput(f"filter: '{lhs.name}' holds text values")
            contains = literal(rhs) == func.any(lhs.column)
            return contains if node.op.value == "=" else not_(contains)
        return _COMPARATORS[node.op.value](lhs.column, self._value(lhs, rhs))

    @handle(ast.Between)
    def between(self, node: Any, lhs: Any, low: Any, high: Any) -> Any:
        if not isinstance(lhs, _Attr):
            raise InvalidInput("filter: BETWEEN needs a property on the left")
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
            if not all(isinstance(o, str) for o in options):
                raise InvalidInput(f"filter: '{lhs.name}' IN (...) needs text values")
            clause = lhs.column.overlap(list(options))
        else:
            clause = lhs.column.in_([self._value(lhs, o) for o in options])
        return not_(clause) if node.not_ else clause

    @handle(ast.IsNull)
    def null(self, node: Any, lhs: Any) -> Any:
        if not isinstance(lhs, _Attr):
            raise InvalidInput("filter: IS NULL needs a property")
        return lhs.column.is_not(None) if node.not_ else lhs.column.is_(None)

    @handle(ast.SpatialComparisonPredicate, subclasses=True)
    def spatial(self, node: Any, lhs: Any, rhs: Any) -> Any:
        lhs, rhs = self._geometry(lhs), self._geometry(rhs)
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

    @staticmethod
    def _geometry(operand: Any) -> Any:
        """A spatial operand: the geometry property or a geometry literal (else 400)."""
        if isinstance(operand, _Attr):
            if operand.kind != "geometry":
                raise InvalidInput(
                    f"filter: spatial operators apply to the geometry, not to property "
                    f"'{operand.name}' ({_describe(operand.kind)})"
                )
            return operand.column
        if operand is None or isinstance(operand, str | int | float | date | tuple | list):
            raise InvalidInput("filter: spatial operators need geometries on both sides")
        return operand

    @handle(ast.BBox)
    def bbox(self, node: Any, lhs: Any) -> Any:
        env = func.ST_MakeEnvelope(node.minx, node.miny, node.maxx, node.maxy, 4326)
        return func.ST_Intersects(self._geometry(lhs), env)

    @handle(ast.TemporalPredicate, subclasses=True)
    def temporal(self, node: Any, lhs: Any, rhs: Any) -> Any:
        if not isinstance(lhs, _Attr) or lhs.kind not in ("date", "datetime"):
            raise InvalidInput("filter: temporal operators apply to updated_at or dates")
        col = lhs.column
        op = node.op.name
        if isinstance(rhs, tuple):
            start, end = (_aware(v) if isinstance(v, datetime) else v for v in rhs)
            if op == "DURING":
                return and_(col > start, col < end)
            if op == "TCONTAINS":
                # an instant contains an interval only when the interval is that very instant;
                # a NULL (unknown) time contains nothing, and an open bound never fits
                if start is None or end is None or start != end:
                    return false()
                return col == start
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


#: Tokens of CQL2 text that matter for nesting: quoted strings/identifiers (skipped whole,
#: an unterminated one runs to the end), brackets, signs and words (for ``NOT``).
_TOKENS = re.compile(r"""'(?:[^']|'')*'?|"(?:[^"]|"")*"?|[()\[\]+-]|[A-Za-z_]\w*|\s+|.""")


def text_depth(text: str) -> int:
    """Deepest nesting of CQL2 text: open ``(``/``[`` plus the run of prefix ``NOT``/signs.

    Runs of ``NOT``/``-``/``+`` count because each is one more level for a recursive parser
    (``- - - … 1`` crashes it too); brackets inside quoted strings do not count.

    >>> text_depth("((a = 1) AND b IN ('(', ')'))")
    2
    >>> text_depth("NOT NOT a = - -1")
    2
    >>> text_depth("name = 'x'")
    0
    """
    depth = deepest = run = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token.isspace():
            continue
        if token in ("(", "["):
            depth += 1
            run = 0
        elif token in (")", "]"):
            depth = max(depth - 1, 0)
            run = 0
        elif token in ("-", "+") or token.upper() == "NOT":
            run += 1
        else:
            run = 0
        deepest = max(deepest, depth + run)
    return deepest


def check_filter(value: str | dict[str, Any], lang: str, limits: InputLimits) -> str | Any:
    """Refuse a filter that is too long or too deeply nested (400) before it is parsed.

    Returns the text to parse: the filter itself, or for CQL2 JSON given as text, the decoded
    structure (already checked, so it is not decoded twice).

    >>> check_filter("((a = 1))", "cql2-text", InputLimits(max_filter_depth=1))
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: filter: nested 2 levels deep; at most 1 allowed
    """
    if isinstance(value, str) and len(value) > limits.max_filter_length:
        raise InvalidInput(
            f"filter: {len(value)} characters long; at most {limits.max_filter_length} allowed"
        )
    if lang == "cql2-text":
        if not isinstance(value, str):
            raise InvalidInput("filter: cql2-text must be a string")
        depth = text_depth(value)
    else:
        if isinstance(value, str):
            try:  # orjson refuses documents nested over 1,024 levels: no deep recursion
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                raise InvalidInput("filter: not valid cql2-json") from None
        depth = json_depth(value, limits.max_filter_depth)
    if depth > limits.max_filter_depth:
        # json_depth stops counting past the limit, the text scanner knows the exact depth
        shown = str(depth) if lang == "cql2-text" else f"more than {limits.max_filter_depth}"
        raise InvalidInput(
            f"filter: nested {shown} levels deep; at most {limits.max_filter_depth} allowed"
        )
    return value


def parse_filter(
    text: str | dict[str, Any], lang: str | None, limits: InputLimits | None = None
) -> Any:
    """The pygeofilter AST of a CQL2 text or JSON filter; :class:`InvalidInput` if malformed.

    ``text`` may also be CQL2 JSON already decoded (a dict). Length and depth are checked
    first (``limits``, default: the settings' defaults).
    """
    limits = limits or InputLimits()
    if lang is None:
        is_json = not isinstance(text, str) or text.lstrip().startswith("{")
        lang = "cql2-json" if is_json else "cql2-text"
    lang = lang.lower()
    if lang not in ("cql2-text", "cql2-json"):
        raise InvalidInput("filter-lang must be 'cql2-text' or 'cql2-json'")
    checked = check_filter(text, lang, limits)
    try:
        if lang == "cql2-text":
            expr = cql2.parse_text(checked)
        else:
            encoded = orjson.dumps(checked).decode()
            if len(encoded) > limits.max_filter_length:
                raise InvalidInput(
                    f"filter: {len(encoded)} characters long; "
                    f"at most {limits.max_filter_length} allowed"
                )
            expr = cql2.parse_json(encoded)
        return parse_cql2_json(_normalise(expr.to_json()))
    except InvalidInput:
        raise
    except RecursionError:
        raise InvalidInput("filter: too complex (too many terms); simplify it") from None
    except Exception:
        raise InvalidInput(f"filter: not valid {lang}") from None


def to_clause(
    tree: Any, category: Category, table: Table, queryables: set[str]
) -> ColumnElement[bool]:
    """The SQL clause of a parsed filter over ``category``'s table."""
    try:
        clause = _ToSQL(category, table, queryables).evaluate(tree)
    except InvalidInput:
        raise
    except RecursionError:  # a long chain of AND/OR is a deep binary tree in pygeofilter
        raise InvalidInput("filter: too complex (too many terms); simplify it") from None
    except Exception:
        raise InvalidInput("filter: an operator or value in it is not supported") from None
    if isinstance(clause, _Attr) or not hasattr(clause, "compile"):
        raise InvalidInput("filter: must be a condition")
    condition: ColumnElement[bool] = clause
    return condition

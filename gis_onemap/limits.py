"""Input limits (filter size and depth, sortby keys, geometry and ``extra`` size, buffer work).

The values are fields of :class:`gis_onemap.settings.Settings`; :class:`InputLimits` carries
them to code that has no settings object at hand. Its defaults are the settings' own defaults,
so a caller that forgets to pass limits is still bounded (never unlimited).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from gis_onemap.settings import Settings


def _default(name: str) -> Any:
    return Settings.model_fields[name].default


@dataclass(frozen=True)
class InputLimits:
    """The limits that apply to one request's input."""

    max_filter_length: int = _default("max_filter_length")
    max_filter_depth: int = _default("max_filter_depth")
    max_sortby_keys: int = _default("max_sortby_keys")
    max_geometry_vertices: int = _default("max_geometry_vertices")
    max_geometry_parts: int = _default("max_geometry_parts")
    max_extra_bytes: int = _default("max_extra_bytes")
    max_extra_depth: int = _default("max_extra_depth")
    max_buffer_work: int = _default("max_buffer_work")

    @classmethod
    def from_settings(cls, settings: Settings | None) -> InputLimits:
        """The limits configured in ``settings`` (the defaults when ``None``).

        >>> InputLimits.from_settings(Settings(max_filter_depth=5)).max_filter_depth
        5
        """
        if settings is None:
            return cls()
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


def json_depth(value: Any, limit: int) -> int:
    """Nesting depth of decoded JSON (a scalar is 0), counted without recursion.

    Stops as soon as ``limit`` is exceeded and returns ``limit + 1`` then, so a hostile
    document costs no more than ``limit`` levels of work per branch.

    >>> json_depth({"a": [1, {"b": 2}]}, 10)
    3
    >>> json_depth([[[[[]]]]], 2)
    3
    >>> json_depth("x", 0)
    0
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        depth += 1
        if depth > limit:
            return limit + 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children)
    return deepest

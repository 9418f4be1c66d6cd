"""The 8 resource categories: the one source for schema, validation, API and tiles."""

from __future__ import annotations

from gis_onemap.categories.definitions import CATEGORIES
from gis_onemap.categories.model import Category, Choice, Field
from gis_onemap.errors import NotFound

REGISTRY: dict[str, Category] = {c.id: c for c in CATEGORIES}
CATEGORY_IDS: tuple[str, ...] = tuple(REGISTRY)


def get_category(collection_id: str) -> Category:
    """The category with this collection id; :class:`NotFound` otherwise.

    >>> get_category("shelters").zh
    '应急避难场所'
    """
    try:
        return REGISTRY[collection_id]
    except KeyError:
        raise NotFound(f"unknown collection '{collection_id}'") from None


__all__ = ["CATEGORIES", "CATEGORY_IDS", "REGISTRY", "Category", "Choice", "Field", "get_category"]

"""Personal data in imported columns.

Phone numbers, e-mail and ID-card numbers never land in the public ``extra`` object.

The patterns are declared once here. A column whose *header* looks personal goes into the
category's personal field of the same kind (found by the same header pattern on the field's
name and labels, e.g. experts' ``phone`` 联系电话, ``email`` 电子邮箱) when it has a free one;
otherwise it is dropped and the import report says so. A *value* that looks personal in a
column bound for ``extra`` rejects its row.
"""

from __future__ import annotations

import re
from typing import Any

from gis_onemap.categories import Category

#: Kind of personal data → pattern of a (normalised, see ``normalise_header``) column header.
PERSONAL_HEADERS: dict[str, re.Pattern[str]] = {
    "phone": re.compile(
        r"电话|手机|座机|联系方式|传真|phone|mobile|(^|_)(tel|fax|cell)(_|$)|telephone"
    ),
    "e-mail": re.compile(r"邮箱|邮件|e_?mail|(^|_)mail(_|$)"),
    "ID-card number": re.compile(r"身份证|证件号|id_?card|identity|(^|_)id_?(no|number)(_|$)"),
}
#: Kind of personal data → pattern of a value found anywhere in a cell's text.
PERSONAL_VALUES: dict[str, re.Pattern[str]] = {
    "mobile number": re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),
    "e-mail": re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+"),
    "ID-card number": re.compile(r"(?<!\d)\d{17}[\dXx](?!\w)"),
}


def personal_kind(header: str) -> str | None:
    """The kind of personal data a normalised header names, or None.

    >>> personal_kind("手机号码"), personal_kind("负责人电话"), personal_kind("email")
    ('phone', 'phone', 'e-mail')
    >>> personal_kind("身份证号"), personal_kind("备注"), personal_kind("hotel")
    ('ID-card number', None, None)
    """
    for kind, pattern in PERSONAL_HEADERS.items():
        if pattern.search(header):
            return kind
    return None


def personal_value(value: Any) -> str | None:
    """The kind of personal data a cell (or any text in a JSON value) holds, or None.

    >>> personal_value("请联系 13812345678"), personal_value(13812345678)
    ('mobile number', 'mobile number')
    >>> personal_value({"k": ["a@b.cn"]}), personal_value("110101199003071234")
    ('e-mail', 'ID-card number')
    >>> personal_value("12.5"), personal_value(None), personal_value("13812345678901")
    (None, None, None)
    """
    if isinstance(value, dict):
        for key, item in value.items():
            found = personal_value(key) or personal_value(item)
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        return next((k for k in map(personal_value, value) if k), None)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores phone numbers as numbers
    text = str(value)
    # Cheap tests first: the patterns need a digit or an '@' (large imports call this per cell).
    has_digit, has_at = any(c.isdigit() for c in text), "@" in text
    for kind, pattern in PERSONAL_VALUES.items():
        if (has_at if kind == "e-mail" else has_digit) and pattern.search(text):
            return kind
    return None


def personal_fields(category: Category, kind: str) -> list[str]:
    """The category's personal fields that hold ``kind`` of data (by the same header pattern).

    >>> from gis_onemap.categories import get_category
    >>> experts = get_category("experts")
    >>> personal_fields(experts, "phone"), personal_fields(experts, "e-mail")
    (['phone'], ['email'])
    >>> personal_fields(get_category("shelters"), "phone")
    []
    """
    from gis_onemap.io.headers import normalise_header

    pattern = PERSONAL_HEADERS[kind]
    return [
        f.name for f in category.all_fields
        if f.personal and any(pattern.search(normalise_header(t)) for t in (f.name, f.zh, f.en))
    ]  # fmt: skip

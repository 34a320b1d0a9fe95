"""Template helpers of the design system (see templates/components/ and /styleguide/).

Components are plain includes (`{% include "components/alert.html" with ... %}`); the tags
here only do what a template cannot: pair arguments, call methods with arguments, read
the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.core.paginator import Page
from django.template.context import Context

register = template.Library()

_ALLAUTH_BUTTON_VARIANTS = (
    ("danger", "btn--danger"),
    ("delete", "btn--danger"),
    ("link", "btn--tertiary"),
    ("minor", "btn--tertiary"),
    ("cancel", "btn--secondary"),
    ("outline", "btn--secondary"),
    ("secondary", "btn--secondary"),
)
_ALLAUTH_BADGE_LEVELS = (
    ("success", "success"),
    ("danger", "error"),
    ("error", "error"),
    ("warning", "warning"),
    ("primary", "info"),
    ("info", "info"),
)


def _port_suffix(host_header: str) -> str:
    """':8000' from 'localhost:8000', '' when the Host header carries no port."""
    if not host_header or host_header.endswith("]") or ":" not in host_header:
        return ""
    return ":" + host_header.rsplit(":", 1)[1]


@register.simple_tag(takes_context=True)
def fabrique_url(context: Context, fabrique: Any, path: str = "/") -> str:
    """Scheme-relative address of a Fabrique's portal: `//its-primary-host[:port]/path`.

    The port is the one the visitor used for this request (e.g. 8000 in development),
    so links work behind the same server; '' when the Fabrique has no primary host.
    """
    host = getattr(fabrique, "primary_host", None)
    if not host:
        return ""
    request = context.get("request")
    port = _port_suffix(request.get_host()) if request is not None else ""
    return f"//{host}{port}{path}"


@register.simple_tag
def page_range(page: Page, on_each_side: int = 1, on_ends: int = 1) -> list[dict[str, Any]]:
    """Pages to link around the current one: `{"number", "current", "ellipsis"}` each, gaps elided."""
    paginator = page.paginator
    items: list[dict[str, Any]] = []
    for number in paginator.get_elided_page_range(page.number, on_each_side=on_each_side, on_ends=on_ends):
        if isinstance(number, int):
            items.append({"number": number, "current": number == page.number, "ellipsis": False})
        else:
            items.append({"number": None, "current": False, "ellipsis": True})
    return items


@register.filter
def fields_with_errors(form: Any) -> list[Any]:
    """The visible bound fields of `form` that have errors, in form order."""
    return [field for field in form.visible_fields() if field.errors]


@register.inclusion_tag("components/breadcrumb.html")
def breadcrumb(*args: Any) -> dict[str, Any]:
    """`{% breadcrumb "Accueil" home_url "Aides" aids_url "Page" %}`: label/URL pairs, then the current page."""
    if not args or len(args) % 2 != 1:
        raise template.TemplateSyntaxError("breadcrumb expects label/url pairs followed by the current page's label")
    pairs = args[:-1]
    items = [{"label": pairs[i], "url": pairs[i + 1]} for i in range(0, len(pairs), 2)]
    return {"items": items, "current": args[-1]}


def _tags(value: Iterable[str] | str | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [tag.strip() for tag in value.split(",")]
    return list(value)


@register.filter
def allauth_button_class(tags: Iterable[str] | str | None) -> str:
    """CSS classes of our button for allauth's element tags (e.g. 'danger,delete' → 'btn btn--danger')."""
    names = _tags(tags)
    classes = ["btn"]
    for tag, css in _ALLAUTH_BUTTON_VARIANTS:
        if tag in names:
            classes.append(css)
            break
    if "tool" in names:
        classes.append("btn--sm")
    return " ".join(classes)


@register.filter
def allauth_badge_level(tags: Iterable[str] | str | None) -> str:
    names = _tags(tags)
    return next((level for tag, level in _ALLAUTH_BADGE_LEVELS if tag in names), "neutral")


@register.filter
def message_level(level_tag: str) -> str:
    """Alert level of a django.contrib.messages level tag ('debug' and unknown tags → 'info')."""
    tags = (level_tag or "").split()
    for level in ("error", "warning", "success"):
        if level in tags:
            return level
    return "info"


@register.filter
def in_csv(value: Any, csv: Any) -> bool:
    """True when `value` is one of the comma-separated items of `csv` (`2|in_csv:"2,3"`)."""
    if not csv:
        return False
    items = csv if isinstance(csv, list | tuple | set) else str(csv).split(",")
    return str(value) in {str(item).strip() for item in items}


@register.simple_tag
def describedby(field_id: str, has_hint: Any, has_errors: Any) -> str:
    """The aria-describedby value of a hand-written field: its hint and error ids, when they exist."""
    ids = []
    if field_id and has_hint:
        ids.append(f"{field_id}_helptext")
    if field_id and has_errors:
        ids.append(f"{field_id}_error")
    return " ".join(ids)

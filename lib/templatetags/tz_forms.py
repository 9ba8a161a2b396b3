"""Template helpers: Bootstrap classes on form widgets."""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()

_SELECTS = {"select", "selectmultiple", "nullbooleanselect"}


@register.filter
def styled(field: BoundField, size: str = "") -> SafeString:
    """Render a widget with Bootstrap's classes and an invalid state."""
    kind = field.widget_type
    css = "form-select" if kind in _SELECTS else "form-control"
    if kind in {"radioselect", "checkboxselectmultiple"}:
        css = ""
    if field.errors:
        css += " is-invalid"
    existing = field.field.widget.attrs.get("class", "")
    if size:
        css += " form-select-sm" if kind in _SELECTS else " form-control-sm"
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})

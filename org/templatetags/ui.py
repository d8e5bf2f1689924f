from django import forms, template

from core.text import currency_name

register = template.Library()


@register.filter
def bs(bound_field):
    """Render a form field's widget with Bootstrap 5 classes."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    if bound_field.errors:
        css += " is-invalid"
    return bound_field.as_widget(attrs={"class": css})


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def currency(code):
    """A currency code as the reader says it (CNY; 元 in Chinese)."""
    return currency_name(code or "")

from django import template

from targets.domain import basis_display

register = template.Library()


@register.filter
def basis_words(text):
    """A target's basis in the reader's language."""
    return basis_display(text or "")


@register.filter
def target_value(value, metric):
    """A target of `metric` as the "my targets" page shows one (mine_value.html): whole
    numbers for counts, 2 decimals otherwise, grouped, "%" for percentages."""
    from django.template.defaultfilters import floatformat

    if value is None:
        return ""
    text = floatformat(value, "0g" if metric.unit == "count" else "2g")
    return f"{text} %" if metric.unit == "percent" else text

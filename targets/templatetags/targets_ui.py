from django import template

from targets.domain import basis_display

register = template.Library()


@register.filter
def basis_words(text):
    """A target's basis in the reader's language."""
    return basis_display(text or "")

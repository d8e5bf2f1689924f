"""Helpers the views of every app share."""

from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request, default: str) -> str:
    """The `next` the request names when it stays on this site (no open redirect), else
    `default`."""
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default

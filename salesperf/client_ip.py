"""The address of the client that sent a request, behind a known number of proxies.

With ``TRUSTED_PROXY_COUNT = 0`` (the default) the client is the peer that connected,
``REMOTE_ADDR``, and ``X-Forwarded-For`` is ignored (anyone can send it). Behind N
reverse proxies that each append the address they saw to ``X-Forwarded-For``, the
right-most N entries were written by those proxies; the N-th from the right is the
address that connected to the outermost one, the client. Entries further left came
from the client and may be forged, so they are never used.

django-axes uses this through ``AXES_CLIENT_IP_CALLABLE``, so a lockout is keyed on
the username and this address. django-ipware's ``proxy_count`` was not used: it
counts the proxies differently (one proxy that writes one entry gives no address)
and, with no proxy, still reads the forgeable header when it is in the precedence.
"""

from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [part.strip() for part in header.split(",") if part.strip()]
    if not forwarded:
        # Not through the proxies (a probe from the host itself): the peer is the client.
        return remote
    # Fewer entries than proxies: the left-most was still written by a trusted proxy.
    candidate = forwarded[-count] if len(forwarded) >= count else forwarded[0]
    return _valid(candidate) or remote

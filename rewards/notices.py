"""Notification texts sent by the rewards app, and the e-mail of a released decision
(in the person's language, else the site's, with the link to the decision)."""

from __future__ import annotations

from django.conf import settings
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.text import currency_name
from notifications.messages import register

RELEASED = "reward_decision_released"
APPEALED = "reward_decision_appealed"
RESOLVED = "reward_appeal_resolved"

register(
    RELEASED,
    _(
        "Your bonus decision for %(period)s is released: %(total)s %(currency)s. Read how "
        "it is worked out; you may acknowledge it or appeal until %(deadline)s."
    ),
)

register(
    APPEALED,
    _("%(person)s appealed the bonus decision for %(period)s."),
)

register(
    RESOLVED,
    _("Your appeal of the bonus decision for %(period)s is resolved: %(outcome)s."),
)


def period_params(period) -> dict:
    """The period's name in both languages (the text is rendered in the reader's)."""
    with translation.override("en"):
        english = str(period.label)
    with translation.override("zh-hans"):
        chinese = str(period.label)
    return {"period": english, "period_zh": chinese}


def _language(user) -> str:
    known = {code for code, _name in settings.LANGUAGES}
    preferred = getattr(user, "preferred_language", "") or ""
    return preferred if preferred in known else settings.LANGUAGE_CODE


def absolute(url: str) -> str:
    """The link as the e-mail gives it: under settings.SITE_URL when there is one."""
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{url}" if url else base


def send_released(*, items: list[dict]) -> int:
    """E-mail each person whose decision was released (those with an address), in their
    language: the period, the bonus, the appeal deadline and the link to the decision.
    `items`: {person_id, period_id, total, currency, deadline, url} per decision. Run on
    commit of the release (at most once). Two queries; returns the number sent."""
    from org.models import Period, User

    users = {
        u.pk: u
        for u in User.objects.filter(
            pk__in=[i["person_id"] for i in items], is_active=True
        ).exclude(email="")
    }
    periods = Period.objects.select_related("fiscal_year").in_bulk({i["period_id"] for i in items})
    messages = []
    for item in items:
        person = users.get(item["person_id"])
        if person is None:
            continue
        with translation.override(_language(person)):
            values = {
                "name": person.display_name,
                "period": str(periods[item["period_id"]].label),
                "total": item["total"],
                "currency": currency_name(item["currency"]),
                "deadline": item["deadline"],
            }
            body = [
                gettext("Hello %(name)s,") % values,
                "",
                gettext("Your bonus decision for %(period)s is released: %(total)s %(currency)s.")
                % values,
                gettext(
                    "Read how it is worked out, line by line, and acknowledge it, or appeal "
                    "it until %(deadline)s:"
                )
                % values,
                absolute(item["url"]),
            ]
            subject = gettext("Your bonus decision for %(period)s") % values
        messages.append(
            mail.EmailMessage(
                subject=subject,
                body="\n".join(body) + "\n",
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[person.email],
            )
        )
    if not messages:
        return 0
    with mail.get_connection() as connection:
        return connection.send_messages(messages) or 0

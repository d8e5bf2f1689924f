"""Notification texts sent by the period close, and its e-mail: each salesperson is
told that their results of a closed period are ready (in-app and by e-mail, in the
person's language, else the site's)."""

from __future__ import annotations

from django.conf import settings
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notifications.messages import register

RESULTS_READY = "period_results_ready"

register(
    RESULTS_READY,
    _("Your results for %(period)s are ready: the period is closed."),
)


def period_params(period) -> dict:
    """The notification's parameters, the period's name in both languages (the text
    is rendered in the reader's language)."""
    with translation.override("en"):
        english = str(period.label)
    with translation.override("zh-hans"):
        chinese = str(period.label)
    return {"period": english, "period_zh": chinese}


def _language(user) -> str:
    known = {code for code, _name in settings.LANGUAGES}
    preferred = getattr(user, "preferred_language", "") or ""
    return preferred if preferred in known else settings.LANGUAGE_CODE


def _number(value, places: int = 2) -> str:
    """1234567.5 -> "1,234,567.50": grouped by thousands with a decimal point, as both
    site languages write numbers (str.format: the e-mails of a large close format
    tens of thousands of numbers)."""
    if value is None:
        return "\u2014"
    return f"{value:,.{places}f}"


class _Texts:
    """The e-mail's sentences and the metrics' names in one language, translated once
    per language rather than once per person."""

    def __init__(self, language: str, metrics):
        with translation.override(language):
            self.subject = gettext("Your results for %(period)s are ready")
            self.hello = gettext("Hello %(name)s,")
            self.intro = gettext(
                "%(period)s is closed and your results are ready. Your attainment as the "
                "close found it:"
            )
            self.line = gettext(
                "%(metric)s: target %(target)s, actual %(actual)s, attainment %(pct)s"
            )
            self.footer = gettext("See the details on your dashboard in Sales Performance.")
            self.metrics = {m.pk: m.display_name for m in metrics}

    def email(self, *, user, period_label: str, rows) -> mail.EmailMessage:
        lines = [self.hello % {"name": user.display_name}, ""]
        lines += [self.intro % {"period": period_label}, ""]
        for metric_id, target, actual, attainment in rows:
            lines.append(
                self.line
                % {
                    "metric": self.metrics.get(metric_id, ""),
                    "target": _number(target),
                    "actual": _number(actual),
                    "pct": _number(attainment, 1) + " %" if attainment is not None else "\u2014",
                }
            )
        lines += ["", self.footer]
        return mail.EmailMessage(
            subject=self.subject % {"period": period_label},
            body="\n".join(lines) + "\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
        )


def send_results_ready(*, period_id: int, person_ids: list[int]) -> int:
    """Send the results-ready e-mail to each of `person_ids` that has an address (run on
    commit of the batch that recorded their notice: at most once), in their language,
    one line per metric (target, actual, attainment). Four queries and one mail
    connection. Returns the number of e-mails sent."""
    from closing.models import PersonAttainment
    from org.models import Period, User
    from targets.models import Metric

    period = Period.objects.select_related("fiscal_year").get(pk=period_id)
    users = list(User.objects.filter(pk__in=person_ids, is_active=True).exclude(email=""))
    if not users:
        return 0
    rows: dict[int, list] = {}
    for person_id, *row in (
        PersonAttainment.objects.filter(period_id=period_id, person_id__in=[u.pk for u in users])
        .order_by("metric__position", "metric__code")
        .values_list("person_id", "metric_id", "target", "actual", "attainment")
    ):
        rows.setdefault(person_id, []).append(row)
    metrics = list(Metric.objects.filter(pk__in={r[0] for found in rows.values() for r in found}))
    texts: dict[str, _Texts] = {}
    labels: dict[str, str] = {}
    messages = []
    for user in users:
        language = _language(user)
        if language not in texts:
            texts[language] = _Texts(language, metrics)
            with translation.override(language):
                labels[language] = str(period.label)
        messages.append(
            texts[language].email(
                user=user, period_label=labels[language], rows=rows.get(user.pk, [])
            )
        )
    with mail.get_connection() as connection:
        return connection.send_messages(messages) or 0

"""Pure rules of appraisal cycles: rating checks, the explained score (the "working"
stored with each result), missing scores, calibration statistics, the appeal
deadline and an appeal's changes. No ORM here; every function is tested on its own.

The working is plain JSON (strings for Decimals) so that a result keeps the score
as it was explained when it was written; curve and scale texts are rendered when
read, in the reader's language, from the `curve` / `scale` data of each line.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from appraisal.template import domain
from appraisal.template.domain import Band, Level
from core.errors import DomainError

__all__ = [
    "LineInput",
    "appeal_deadline",
    "appeal_open",
    "apply_changes",
    "check_rating",
    "comment_required",
    "explain",
    "line_from",
    "missing_scores",
    "outliers",
    "summary",
]


# --- ratings -------------------------------------------------------------------------------


def _levels(levels) -> list[Level]:
    """Parsed levels from Level objects or the stored scale data."""
    levels = list(levels or [])
    if levels and not isinstance(levels[0], Level):
        return domain.parse_scale(levels)
    return levels


def comment_required(levels, level: int | None) -> bool:
    """A rating at the top or the bottom of the scale needs a comment."""
    parsed = _levels(levels)
    if level is None or not parsed:
        return False
    numbers = [row.level for row in parsed]
    return level in (min(numbers), max(numbers))


def check_rating(levels, level, comment: str, *, name: str, need_comment: bool = True) -> Decimal:
    """The score of `level` on the scale; refused naming the dimension when the level
    is not on the scale or (when `need_comment`) a top or bottom rating has no comment."""
    parsed = _levels(levels)
    try:
        number = int(level)
    except (TypeError, ValueError):
        number = None
    if number is None or number not in {row.level for row in parsed}:
        raise DomainError(
            _("%(name)s: choose a level of the scale (1 to %(top)s).")
            % {"name": name, "top": max((row.level for row in parsed), default=0)}
        )
    if need_comment and comment_required(parsed, number) and not (comment or "").strip():
        raise DomainError(
            _(
                "%(name)s: explain a rating of %(level)s in a comment (the top and bottom "
                "levels need one)."
            )
            % {"name": name, "level": number}
        )
    return domain.level_score(parsed, number)


# --- the explained score ----------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    """One dimension of one appraisal, as it enters the working."""

    dimension_id: int
    name: str
    name_zh: str
    method: str
    weight: Decimal
    metric: dict | None = None  # {"code", "name", "name_zh", "unit"}
    actual: Decimal | None = None
    target: Decimal | None = None
    value: Decimal | None = None
    count: int | None = None
    curve: dict | None = None
    scale: list | None = None
    level: int | None = None
    comment: str = ""
    self_level: int | None = None
    peer_average: Decimal | None = None
    peer_count: int = 0
    score: Decimal | None = None
    adjusted_score: Decimal | None = None
    adjustment_reason: str = ""

    @property
    def final_score(self) -> Decimal | None:
        return self.adjusted_score if self.adjusted_score is not None else self.score

    @property
    def display_name(self) -> str:
        """The name in the active language, as the messages around it."""
        if self.name_zh and (get_language() or "").lower().startswith("zh"):
            return self.name_zh
        return self.name


def line_from(
    dimension,
    row=None,
    *,
    peer_average: Decimal | None = None,
    peer_count: int = 0,
    adjustment_reason: str = "",
) -> LineInput:
    """A LineInput from a Dimension (with its metric at hand) and its DimensionScore
    row (or None), read by attribute only: no query."""
    metric = getattr(dimension, "metric", None) if dimension.metric_id else None
    return LineInput(
        dimension_id=dimension.pk,
        name=dimension.name,
        name_zh=dimension.name_zh,
        method=dimension.method,
        weight=Decimal(dimension.weight),
        metric=(
            {
                "code": metric.code,
                "name": metric.name,
                "name_zh": metric.name_zh,
                "unit": metric.unit,
            }
            if metric is not None
            else None
        ),
        actual=getattr(row, "actual", None),
        target=getattr(row, "target", None),
        value=getattr(row, "raw_value", None),
        count=getattr(row, "count", None),
        curve=dimension.curve or None,
        scale=dimension.scale or None,
        level=getattr(row, "level", None),
        comment=getattr(row, "comment", "") or "",
        self_level=getattr(row, "self_level", None),
        peer_average=peer_average,
        peer_count=peer_count,
        score=getattr(row, "score", None),
        adjusted_score=getattr(row, "adjusted_score", None),
        adjustment_reason=adjustment_reason,
    )


def _text(value) -> str | None:
    if value is None:
        return None
    return str(value)


def _score_text(value) -> str | None:
    return None if value is None else str(domain.round_score(Decimal(value)))


def line_data(line: LineInput, *, contribution: str | None = None) -> dict:
    """One line of the working (the keys of `explain`): the dimension, its figures,
    scores and the contribution given (None where the total cannot be made yet)."""
    return {
        "dimension_id": line.dimension_id,
        "name": line.name,
        "name_zh": line.name_zh,
        "method": line.method,
        "weight": str(Decimal(line.weight).quantize(domain.CENT)),
        "metric": dict(line.metric) if line.metric else None,
        "actual": _text(line.actual),
        "target": _text(line.target),
        "value": _text(line.value),
        "count": line.count,
        "curve": copy.deepcopy(line.curve) if line.curve else None,
        "scale": copy.deepcopy(line.scale) if line.scale else None,
        "level": line.level,
        "comment": line.comment or "",
        "self_level": line.self_level,
        "peer_average": _text(line.peer_average),
        "peer_count": line.peer_count or 0,
        "score": _score_text(line.score),
        "adjusted_score": _score_text(line.adjusted_score),
        "adjustment_reason": line.adjustment_reason or "",
        "final_score": _score_text(line.final_score),
        "contribution": contribution,
    }


def missing_scores(lines: Iterable[LineInput]) -> list[str]:
    """The names (in the active language) of the dimensions without a final score, in
    order."""
    return [line.display_name for line in lines if line.final_score is None]


def _bands(bands) -> list[Band]:
    bands = list(bands or [])
    if bands and not isinstance(bands[0], Band):
        return domain.parse_bands(bands)
    return sorted(bands, key=lambda b: b.min_score, reverse=True)


def _totals(working: dict, bands: list[Band]) -> dict:
    """Contributions, total and grade of a working whose lines have final scores."""
    lines = working["lines"]
    total, contributions = domain.weighted_total(
        [(Decimal(line["final_score"]), Decimal(line["weight"])) for line in lines]
    )
    for line, contribution in zip(lines, contributions, strict=True):
        line["contribution"] = str(contribution)
    band = domain.grade_for(total, bands)
    working["total"] = str(total)
    working["grade"] = band.grade
    working["grade_label"] = band.label
    working["grade_label_zh"] = band.label_zh
    working["bands"] = [band.as_data() for band in bands]
    return working


def explain(
    lines: Sequence[LineInput],
    bands,
    *,
    template: dict | None = None,
    period: dict | None = None,
) -> dict:
    """The working of an appraisal (see the brief's JSON): every line with its figures,
    score, calibrated score and contribution, the total and the grade. Refused naming
    the dimensions that have no final score yet."""
    missing = missing_scores(lines)
    if missing:
        raise DomainError(_("No score yet for %(names)s.") % {"names": ", ".join(missing)})
    parsed = _bands(bands)
    working = {
        "template": dict(template) if template else None,
        "period": dict(period) if period else None,
        "lines": [line_data(line, contribution="") for line in lines],
    }
    return _totals(working, parsed)


def apply_changes(working: dict, changes: Mapping[int, Decimal], reason: str) -> dict:
    """A new working with the changed dimensions' final scores (an appeal resolved with
    a change): the earlier working is not touched. Refused for an unknown dimension,
    a score that is not a number or is negative, or no reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the change."))
    if not changes:
        raise DomainError(_("Give the new score of at least one dimension."))
    new = copy.deepcopy(working)
    by_id = {line["dimension_id"]: line for line in new["lines"]}
    for dimension_id, raw in changes.items():
        line = by_id.get(int(dimension_id))
        if line is None:
            raise DomainError(
                _("Dimension %(id)s is not part of this appraisal.") % {"id": dimension_id}
            )
        try:
            value = Decimal(str(raw))
        except (InvalidOperation, ValueError, TypeError):
            value = None
        if value is None or not value.is_finite():
            raise DomainError(
                _("%(name)s: the new score is not a number.") % {"name": line["name"]}
            )
        if value < 0:
            raise DomainError(
                _("%(name)s: the new score cannot be negative.") % {"name": line["name"]}
            )
        line["adjusted_score"] = _score_text(value)
        line["adjustment_reason"] = reason
        line["final_score"] = _score_text(value)
    bands = [
        Band(
            grade=b["grade"],
            min_score=Decimal(b["min_score"]),
            label=b.get("label", ""),
            label_zh=b.get("label_zh", ""),
        )
        for b in new.get("bands") or []
    ]
    return _totals(new, _bands(bands))


# --- calibration ------------------------------------------------------------------------


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


def summary(scores: Iterable[Decimal]) -> dict:
    """{"count", "mean", "min", "max"} of the scores (mean rounded; None when empty)."""
    values = [Decimal(s) for s in scores if s is not None]
    if not values:
        return {"count": 0, "mean": None, "min": None, "max": None}
    return {
        "count": len(values),
        "mean": domain.round_score(_mean(values)),
        "min": min(values),
        "max": max(values),
    }


def outliers(
    groups: Mapping[Hashable, Sequence[Decimal]], *, gap: Decimal, minimum: int = 2
) -> dict[Hashable, Decimal]:
    """{key: its mean minus the mean of everyone else's scores} for the groups (of at
    least `minimum` scores, compared with at least `minimum` other scores) whose
    difference is `gap` points or more either way; rounded to two decimals."""
    gap = Decimal(gap)
    cleaned = {key: [Decimal(s) for s in values if s is not None] for key, values in groups.items()}
    result: dict[Hashable, Decimal] = {}
    for key, values in cleaned.items():
        if len(values) < minimum:
            continue
        others = [s for other, rest in cleaned.items() if other != key for s in rest]
        if len(others) < minimum:
            continue
        diff = domain.round_score(_mean(values) - _mean(others))
        if abs(diff) >= gap:
            result[key] = diff
    return result


# --- appeals ------------------------------------------------------------------------------


def appeal_deadline(released_at: datetime.datetime, days: int) -> datetime.datetime:
    """The end of the appeal window: `days` days after the release."""
    return released_at + datetime.timedelta(days=int(days))


def appeal_open(released_at: datetime.datetime | None, days: int, now: datetime.datetime) -> bool:
    return released_at is not None and now <= appeal_deadline(released_at, days)

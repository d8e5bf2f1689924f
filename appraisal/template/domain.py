"""Pure rules of appraisal templates: scoring curves, rating scales, weights, grade
bands and the weighted total. No ORM here; every function is tested on its own.

Scores and weights are Decimals. A weight is a percentage with at most two
decimals, and the weights of a template add up to exactly 100.

The rounding rule (the only one): a curve scores the exact raw value (an attainment
is actual / target * 100 as an exact fraction, a satisfaction mean is the sum of the
answers over their number, never a rounded display of them), and only the score is
rounded, half up to `SCORE_PLACES` decimals. The total is the exact weighted sum of
those scores, rounded the same way, and the grade is read from that total. A raw
value is shown with `RAW_PLACES` decimals, enough for a reader to redo the score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django.utils.translation import gettext as _

from core.errors import DomainError
from core.text import plain as _plain
from core.text import sentence as _sentence

__all__ = [
    "RAW_PLACES",
    "SCORE_PLACES",
    "Band",
    "Curve",
    "DimensionSpec",
    "DomainError",
    "Level",
    "LinearCurve",
    "StepCurve",
    "check_template",
    "check_weights",
    "curve_max",
    "curve_score",
    "describe_curve",
    "exact_value",
    "grade_for",
    "level_score",
    "parse_bands",
    "parse_curve",
    "parse_scale",
    "raw_display",
    "scale_max",
    "weighted_total",
]

SCORE_PLACES = 2
RAW_PLACES = 4
HUNDRED = Decimal(100)
CENT = Decimal(1).scaleb(-SCORE_PLACES)

# The scoring methods of a dimension (the values of appraisal.models.Dimension.Method).
ATTAINMENT = "attainment"
SATISFACTION = "satisfaction"
RATED = "rated"
TRAINING = "training"
CURVE_METHODS = (ATTAINMENT, SATISFACTION, TRAINING)
METHODS = (ATTAINMENT, SATISFACTION, RATED, TRAINING)


def round_score(value: Decimal | Fraction) -> Decimal:
    """Half up to SCORE_PLACES decimals: 84.125 -> 84.13, 84.124 -> 84.12. A Fraction
    is rounded exactly (28/3 -> 9.33), never through a shortened decimal."""
    if isinstance(value, Fraction):
        scaled = value * 10**SCORE_PLACES
        units = (abs(scaled) * 2 + 1) // 2  # half away from zero, as ROUND_HALF_UP
        return (Decimal(units if scaled >= 0 else -units).scaleb(-SCORE_PLACES)).quantize(CENT)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def raw_display(value: Decimal | Fraction | None) -> Decimal | None:
    """A raw value as shown and stored next to its score: RAW_PLACES decimals, half up."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        scaled = value * 10**RAW_PLACES
        units = (abs(scaled) * 2 + 1) // 2
        units = units if scaled >= 0 else -units
        return Decimal(units).scaleb(-RAW_PLACES).quantize(Decimal(1).scaleb(-RAW_PLACES))
    return Decimal(value).quantize(Decimal(1).scaleb(-RAW_PLACES), rounding=ROUND_HALF_UP)


def _number(raw, *, what: str) -> Decimal:
    """A finite Decimal from a Decimal, an int or text; refused naming `what`."""
    value: Decimal | None
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int | float):
        value = Decimal(str(raw))
    else:
        try:
            value = Decimal(str(raw if raw is not None else "").strip())
        except (InvalidOperation, ValueError):
            value = None
    if value is None or not value.is_finite():
        raise DomainError(_("%(what)s is not a number: %(value)s.") % {"what": what, "value": raw})
    return value


def _with_unit(value: Decimal, unit: str) -> str:
    return f"{_plain(value)} {unit}" if unit else _plain(value)


# --- scoring curves ---------------------------------------------------------------------


@dataclass(frozen=True)
class LinearCurve:
    """Below `floor` scores 0; from `floor` (scoring `floor_score`) to `target`
    (scoring `target_score`) the score rises evenly, and beyond the target at the
    same slope up to `cap`, where it stops rising."""

    floor: Decimal
    floor_score: Decimal
    target: Decimal
    target_score: Decimal
    cap: Decimal
    kind: str = "linear"

    @property
    def slope(self) -> Decimal:
        return (self.target_score - self.floor_score) / (self.target - self.floor)

    def as_data(self) -> dict:
        return {
            "kind": "linear",
            "floor": str(self.floor),
            "floor_score": str(self.floor_score),
            "target": str(self.target),
            "target_score": str(self.target_score),
            "cap": str(self.cap),
        }


@dataclass(frozen=True)
class StepCurve:
    """The score of the highest threshold the value reaches (0 below the first)."""

    steps: tuple[tuple[Decimal, Decimal], ...]
    kind: str = "steps"

    def as_data(self) -> dict:
        return {"kind": "steps", "steps": [[str(t), str(s)] for t, s in self.steps]}


Curve = LinearCurve | StepCurve


def parse_curve(data: dict) -> Curve:
    """A curve from its stored form (see the module of the models); refused with a
    message naming the part that is wrong."""
    if not isinstance(data, dict) or not data:
        raise DomainError(_("The scoring curve is missing."))
    kind = data.get("kind")
    if kind == "linear":
        return _parse_linear(data)
    if kind == "steps":
        return _parse_steps(data.get("steps"))
    raise DomainError(
        _("Unknown kind of scoring curve: %(kind)s (linear or steps).") % {"kind": kind}
    )


def _parse_linear(data: dict) -> LinearCurve:
    labels = {
        "floor": _("the floor"),
        "floor_score": _("the score at the floor"),
        "target": _("the target"),
        "target_score": _("the score at the target"),
        "cap": _("the cap"),
    }
    values: dict[str, Decimal] = {}
    for key, label in labels.items():
        raw = data.get(key)
        if key == "cap" and (raw is None or raw == ""):
            continue
        if raw is None or raw == "":
            raise DomainError(_("Linear curve: %(part)s is missing.") % {"part": label})
        values[key] = _number(raw, what=label.capitalize())
    cap = values.get("cap", values["target"])
    for key in ("floor", "floor_score", "target_score"):
        if values[key] < 0:
            raise DomainError(
                _("Linear curve: %(part)s cannot be negative.") % {"part": labels[key]}
            )
    if values["target"] <= values["floor"]:
        raise DomainError(_("Linear curve: the target must be above the floor."))
    if values["target_score"] <= values["floor_score"]:
        raise DomainError(
            _("Linear curve: the score at the target must be above the score at the floor.")
        )
    if cap < values["target"]:
        raise DomainError(_("Linear curve: the cap cannot be below the target."))
    return LinearCurve(
        floor=values["floor"],
        floor_score=values["floor_score"],
        target=values["target"],
        target_score=values["target_score"],
        cap=cap,
    )


def _parse_steps(raw) -> StepCurve:
    if not isinstance(raw, list | tuple) or not raw:
        raise DomainError(_("Step table: it needs at least one step."))
    steps: list[tuple[Decimal, Decimal]] = []
    for number, row in enumerate(raw, start=1):
        if not isinstance(row, list | tuple) or len(row) != 2:
            raise DomainError(
                _("Step table, step %(number)s: give a threshold and a score.") % {"number": number}
            )
        threshold = _number(row[0], what=_("Step %(number)s threshold") % {"number": number})
        score = _number(row[1], what=_("Step %(number)s score") % {"number": number})
        if score < 0:
            raise DomainError(
                _("Step table, step %(number)s: the score cannot be negative.") % {"number": number}
            )
        if steps and threshold <= steps[-1][0]:
            raise DomainError(
                _("Step table, step %(number)s: thresholds must go up from one step to the next.")
                % {"number": number}
            )
        if steps and score < steps[-1][1]:
            raise DomainError(
                _(
                    "Step table, step %(number)s: a higher threshold cannot score less than "
                    "a lower one."
                )
                % {"number": number}
            )
        steps.append((threshold, score))
    return StepCurve(steps=tuple(steps))


def exact_value(raw, *, what: str) -> Fraction:
    """A raw value as an exact fraction: a Fraction as it is (28/6 stays 14/3), else a
    finite number as for `_number`."""
    if isinstance(raw, Fraction):
        return raw
    return Fraction(_number(raw, what=what))


def curve_score(curve: Curve, value) -> Decimal:
    """The score of a raw value (attainment %, average satisfaction…). The value is
    taken exactly (give a Fraction for a quotient such as 28/6), the curve applied
    in exact arithmetic, and only the score is rounded, half up (see the module)."""
    value = exact_value(value, what=_("The value"))
    if isinstance(curve, StepCurve):
        score = Fraction(0)
        for threshold, step_score in curve.steps:
            if value >= Fraction(threshold):
                score = Fraction(step_score)
        return round_score(score)
    floor, cap = Fraction(curve.floor), Fraction(curve.cap)
    if value < floor:
        return round_score(Fraction(0))
    value = min(value, cap)
    slope = (Fraction(curve.target_score) - Fraction(curve.floor_score)) / (
        Fraction(curve.target) - floor
    )
    return round_score(Fraction(curve.floor_score) + (value - floor) * slope)


def curve_max(curve: Curve) -> Decimal:
    """The highest score the curve gives."""
    if isinstance(curve, StepCurve):
        return round_score(curve.steps[-1][1])
    return curve_score(curve, curve.cap)


def describe_curve(curve: Curve, *, unit: str = "") -> str:
    """The curve in plain words, in the active language; `unit` follows each raw value
    ("%" for an attainment, "" for an average rating)."""
    if isinstance(curve, StepCurve):
        parts = []
        if curve.steps[0][1] > 0:
            parts.append(
                _("below %(value)s scores 0") % {"value": _with_unit(curve.steps[0][0], unit)}
            )
        for threshold, score in curve.steps:
            parts.append(
                _("%(value)s or more scores %(score)s")
                % {"value": _with_unit(threshold, unit), "score": _plain(score)}
            )
        return _sentence(parts)
    parts = []
    if curve.floor > 0:
        parts.append(_("Below %(floor)s scores 0") % {"floor": _with_unit(curve.floor, unit)})
    parts.append(
        _("%(floor)s scores %(floor_score)s rising evenly to %(target_score)s at %(target)s")
        % {
            "floor": _with_unit(curve.floor, unit),
            "floor_score": _plain(curve.floor_score),
            "target_score": _plain(curve.target_score),
            "target": _with_unit(curve.target, unit),
        }
    )
    if curve.cap > curve.target:
        parts.append(
            _("capped at %(cap)s (score %(score)s)")
            % {"cap": _with_unit(curve.cap, unit), "score": _plain(curve_max(curve))}
        )
    else:
        parts.append(_("no more above %(target)s") % {"target": _with_unit(curve.target, unit)})
    return _sentence(parts)


# --- rating scales --------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    level: int
    score: Decimal
    anchor: str
    anchor_zh: str

    def anchor_for(self, language: str | None) -> str:
        """The anchor in Chinese for a Chinese reader, in English otherwise."""
        if language and language.lower().startswith("zh") and self.anchor_zh:
            return self.anchor_zh
        return self.anchor

    def as_data(self) -> dict:
        return {
            "level": self.level,
            "score": str(self.score),
            "anchor": self.anchor,
            "anchor_zh": self.anchor_zh,
        }


def parse_scale(levels: list[dict]) -> list[Level]:
    """Levels 1..n in order, each scoring more than the one below, each with a written
    anchor in English and in Chinese; refused naming the level that is wrong."""
    if not isinstance(levels, list | tuple) or len(levels) < 2:
        raise DomainError(_("A rating scale needs at least two levels."))
    parsed: list[Level] = []
    for expected, row in enumerate(levels, start=1):
        if not isinstance(row, dict):
            raise DomainError(
                _("Rating scale, level %(level)s is not readable.") % {"level": expected}
            )
        raw_level = row.get("level")
        try:
            level = int(str(raw_level))
        except (TypeError, ValueError):
            level = None
        if level != expected:
            raise DomainError(
                _("Rating scale: the levels must be numbered 1, 2, 3… in order (level %(level)s).")
                % {"level": expected}
            )
        score = _number(row.get("score"), what=_("The score of level %(level)s") % {"level": level})
        if score < 0:
            raise DomainError(
                _("Rating scale, level %(level)s: the score cannot be negative.") % {"level": level}
            )
        if parsed and score <= parsed[-1].score:
            raise DomainError(
                _("Rating scale, level %(level)s: each level must score more than the one below.")
                % {"level": level}
            )
        anchor = str(row.get("anchor") or "").strip()
        anchor_zh = str(row.get("anchor_zh") or "").strip()
        if not anchor or not anchor_zh:
            raise DomainError(
                _(
                    "Rating scale, level %(level)s: write what the level means in English and "
                    "in Chinese."
                )
                % {"level": level}
            )
        parsed.append(Level(level=level, score=score, anchor=anchor, anchor_zh=anchor_zh))
    return parsed


def level_score(levels: Sequence[Level], level: int) -> Decimal:
    for row in levels:
        if row.level == level:
            return round_score(row.score)
    raise DomainError(_("There is no level %(level)s on this scale.") % {"level": level})


def scale_max(levels: Sequence[Level]) -> Decimal:
    return round_score(max(row.score for row in levels))


# --- weights and the weighted total -----------------------------------------------------


def _weight_problems(weights: Sequence, names: Sequence[str]) -> list[str]:
    problems: list[str] = []
    total = Decimal(0)
    for weight, name in zip(weights, names, strict=True):
        try:
            value = _number(weight, what=_("The weight of %(name)s") % {"name": name})
        except DomainError as exc:
            problems.append(str(exc))
            continue
        if value <= 0:
            problems.append(_("The weight of %(name)s must be more than 0 %%.") % {"name": name})
        elif value != value.quantize(CENT):
            problems.append(
                _("The weight of %(name)s has more than two decimals.") % {"name": name}
            )
        total += value
    if total != HUNDRED:
        problems.append(
            _("The weights add up to %(total)s %%; they must add up to exactly 100 %%.")
            % {"total": total.quantize(CENT, rounding=ROUND_HALF_UP)}
        )
    return problems


def check_weights(weights: Sequence[Decimal], names: Sequence[str]) -> None:
    """Each weight above 0 with at most two decimals, adding up to exactly 100."""
    problems = _weight_problems(weights, names)
    if problems:
        raise DomainError(problems[0])


def weighted_total(
    parts: Sequence[tuple[Decimal, Decimal]],
) -> tuple[Decimal, list[Decimal]]:
    """(score, weight %) pairs -> (final score, the contribution of each part).

    Each contribution is score * weight / 100 rounded half up to SCORE_PLACES
    decimals, and the final score is the sum of the contributions, so the working
    adds up on screen. When those roundings would not add up to the exact sum
    rounded half up, the contributions nearest to their rounding boundary are
    rounded the other way, cent by cent (largest remainder), so the final score
    is always the exact weighted sum rounded half up: never above the highest
    score nor below the lowest one."""
    if not parts:
        return round_score(Decimal(0)), []
    weights = [Decimal(w) for _s, w in parts]
    check_weights(weights, [str(i) for i in range(1, len(parts) + 1)])
    exact = [Decimal(s) * Decimal(w) / HUNDRED for s, w in parts]
    contributions = [round_score(x) for x in exact]
    final = round_score(sum(exact, Decimal(0)))
    gap = int((final - sum(contributions, Decimal(0))) / CENT)
    if gap:
        step = CENT if gap > 0 else -CENT
        # Raise the ones rounded down the most, or lower the ones rounded up the most.
        order = sorted(
            range(len(parts)),
            key=lambda i: (exact[i] - contributions[i]) * (1 if gap > 0 else -1),
            reverse=True,
        )
        for i in order[: abs(gap)]:
            contributions[i] += step
    return sum(contributions, Decimal(0)).quantize(CENT), contributions


# --- grade bands ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    grade: str
    min_score: Decimal
    label: str = ""
    label_zh: str = ""

    def label_for(self, language: str | None) -> str:
        if language and language.lower().startswith("zh") and self.label_zh:
            return self.label_zh
        return self.label

    def as_data(self) -> dict:
        return {
            "grade": self.grade,
            "min_score": str(self.min_score),
            "label": self.label,
            "label_zh": self.label_zh,
        }


def parse_bands(bands: list[dict]) -> list[Band]:
    """Grades with distinct names and distinct lowest scores, the lowest at 0 so that
    every score gets a grade; sorted best first."""
    if not isinstance(bands, list | tuple) or not bands:
        raise DomainError(_("There are no grade bands."))
    parsed: list[Band] = []
    for number, row in enumerate(bands, start=1):
        if not isinstance(row, dict):
            raise DomainError(_("Grade band %(number)s is not readable.") % {"number": number})
        grade = str(row.get("grade") or "").strip()
        if not grade:
            raise DomainError(_("Grade band %(number)s needs a grade.") % {"number": number})
        if len(grade) > 10:
            raise DomainError(
                _("Grade %(grade)s: a grade has at most 10 characters.") % {"grade": grade}
            )
        min_score = _number(
            row.get("min_score"), what=_("The lowest score of grade %(grade)s") % {"grade": grade}
        )
        if min_score < 0:
            raise DomainError(
                _("Grade %(grade)s: the lowest score cannot be negative.") % {"grade": grade}
            )
        if min_score != min_score.quantize(CENT):
            raise DomainError(
                _("Grade %(grade)s: the lowest score has more than two decimals.")
                % {"grade": grade}
            )
        if any(b.grade.lower() == grade.lower() for b in parsed):
            raise DomainError(_("Grade %(grade)s appears twice.") % {"grade": grade})
        clash = next((b for b in parsed if b.min_score == min_score), None)
        if clash is not None:
            raise DomainError(
                _("Grades %(first)s and %(second)s both start at %(score)s.")
                % {"first": clash.grade, "second": grade, "score": _plain(min_score)}
            )
        parsed.append(
            Band(
                grade=grade,
                min_score=min_score,
                label=str(row.get("label") or "").strip(),
                label_zh=str(row.get("label_zh") or "").strip(),
            )
        )
    parsed.sort(key=lambda b: b.min_score, reverse=True)
    if parsed[-1].min_score != 0:
        raise DomainError(
            _(
                "The lowest grade starts at %(score)s: it must start at 0 so that every score "
                "gets a grade."
            )
            % {"score": _plain(parsed[-1].min_score)}
        )
    return parsed


def grade_for(score, bands: Sequence[Band]) -> Band:
    """The best band whose lowest score the score reaches."""
    if not bands:
        raise DomainError(_("There are no grade bands."))
    value = _number(score, what=_("The score"))
    ordered = sorted(bands, key=lambda b: b.min_score, reverse=True)
    for band in ordered:
        if value >= band.min_score:
            return band
    return ordered[-1]


# --- a whole template -----------------------------------------------------------------------


@dataclass(frozen=True)
class DimensionSpec:
    """What check_template needs to know of a dimension."""

    name: str
    weight: Decimal
    method: str
    has_metric: bool = False
    curve: dict | None = None
    scale: list | None = None


def check_template(
    *, dimensions: Sequence[DimensionSpec], bands: list[dict], training_data: bool = False
) -> list[str]:
    """Every problem that stops the template from being published, each naming the
    dimension or the part concerned; empty when it can be published.

    `training_data`: training participation is recorded somewhere. Until it is, a
    training dimension is refused: every appraisal under the template would wait for
    that score to be set by hand before it could be finalised."""
    problems: list[str] = []
    if not dimensions:
        problems.append(_("The template has no dimensions."))
    else:
        problems.extend(
            _weight_problems([d.weight for d in dimensions], [d.name for d in dimensions])
        )
    seen: set[str] = set()
    for dimension in dimensions:
        name = dimension.name
        key = name.strip().lower()
        if key in seen:
            problems.append(_("Two dimensions are called %(name)s.") % {"name": name})
        seen.add(key)
        if dimension.method not in METHODS:
            problems.append(
                _("%(name)s: unknown scoring method %(method)s.")
                % {"name": name, "method": dimension.method}
            )
            continue
        if dimension.method == TRAINING and not training_data:
            problems.append(
                _(
                    "%(name)s: training participation cannot be scored yet, because no "
                    "training records are kept; every appraisal under this version would "
                    "wait for its score to be set by hand. Keep this version as a draft "
                    "until training records exist, or remove the dimension."
                )
                % {"name": name}
            )
        if dimension.method == ATTAINMENT and not dimension.has_metric:
            problems.append(
                _("%(name)s: choose the metric whose attainment is scored.") % {"name": name}
            )
        if dimension.method in CURVE_METHODS:
            if not dimension.curve:
                problems.append(_("%(name)s: the scoring curve is missing.") % {"name": name})
            else:
                try:
                    parse_curve(dimension.curve)
                except DomainError as exc:
                    problems.append(f"{name}: {exc}")
        if dimension.method == RATED:
            if not dimension.scale:
                problems.append(_("%(name)s: the rating scale is missing.") % {"name": name})
            else:
                try:
                    parse_scale(dimension.scale)
                except DomainError as exc:
                    problems.append(f"{name}: {exc}")
    if not bands:
        problems.append(_("The template has no grade bands."))
    else:
        try:
            parse_bands(bands)
        except DomainError as exc:
            problems.append(str(exc))
    return problems

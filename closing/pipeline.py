"""The shape of the period close pipeline: a `Step` (what a step is), `Progress` (how a
step reports its work and resumes after a crash) and `plan()` (the steps listed in
settings.CLOSE_STEPS, in order).

Adding a step (rewards, competitions…) is one `Step` object in the app that owns the
work and one line in settings.CLOSE_STEPS. A step's `run` must be idempotent: it may
run again after a killed worker, from where `Progress.done` says it got to, or from
the start; every row it writes has a unique key and is written by upsert.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from closing import domain
from closing.models import CloseRun, CloseStep


class Progress:
    """A running step's progress: `advance(n)` adds n to the step's done count and
    refreshes the run's heartbeat (two queries, in the caller's transaction, so the
    count is committed with the batch it counts); `done` is where a resumed step
    starts again; `each_batch` runs a handler per batch, each in its own transaction."""

    def __init__(self, *, run: CloseRun, step: CloseStep):
        self.run = run
        self.step = step

    @property
    def done(self) -> int:
        return self.step.done

    @property
    def total(self) -> int:
        return self.step.total

    def advance(self, n: int = 1) -> None:
        if n <= 0:
            return
        now = timezone.now()
        CloseStep.objects.filter(pk=self.step.pk).update(done=F("done") + n)
        CloseRun.objects.filter(pk=self.run.pk).update(heartbeat_at=now)
        self.step.done += n
        self.run.heartbeat_at = now

    def each_batch(
        self, items: Sequence, handler: Callable[[Sequence], None], *, size: int | None = None
    ) -> None:
        """Call `handler(batch)` for the items not done yet, `size` (default
        settings.CLOSE_BATCH_SIZE) at a time; each batch and its progress commit
        together, so a killed worker loses at most the batch in hand."""
        size = size or settings.CLOSE_BATCH_SIZE
        pause = settings.CLOSE_BATCH_PAUSE
        start = min(max(self.done, 0), len(items))
        for batch in domain.batches(items[start:], size):
            with transaction.atomic():
                handler(batch)
                self.advance(len(batch))
            if pause:
                time.sleep(pause)


@dataclass(frozen=True)
class Step:
    name: str  # slug, stored in CloseStep.name
    label: str  # gettext_lazy, shown in the progress
    count: Callable[[CloseRun], int]  # how many units of work
    run: Callable[[CloseRun, Progress], None]  # does the work, idempotent


class UnknownStep(LookupError):
    """A run names a step that settings.CLOSE_STEPS no longer lists."""


@lru_cache(maxsize=8)
def _load(paths: tuple[str, ...]) -> tuple[Step, ...]:
    steps = tuple(import_string(path) for path in paths)
    for path, step in zip(paths, steps, strict=True):
        if not isinstance(step, Step):
            raise TypeError(f"{path} is not a closing.pipeline.Step")
    names = [s.name for s in steps]
    if len(set(names)) != len(names):
        raise ValueError(f"CLOSE_STEPS names a step twice: {names}")
    return steps


def plan() -> list[Step]:
    """The steps of a new close, in order (settings.CLOSE_STEPS)."""
    return list(_load(tuple(settings.CLOSE_STEPS)))


def step_named(name: str) -> Step:
    for step in plan():
        if step.name == name:
            return step
    raise UnknownStep(name)


def labels() -> dict[str, str]:
    """{step name: label} of the configured steps (for pages showing a run)."""
    return {s.name: s.label for s in plan()}

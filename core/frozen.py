"""Rows that are final refuse change on every ORM path: a model says which of its rows are
final (`frozen_q()`), which of their columns still move on (`MOVABLE_FIELDS`: workflow and
bookkeeping columns), and, for the parts of a final parent, which field names the parent
(`PARENT_FIELD`). `FrozenModel.save()`/`delete()` and `FrozenQuerySet.update()`/`delete()`/
`bulk_create()`/`bulk_update()` then refuse, with `FinalError`, any write that would change a
final row, add a part to a final parent or move a part into one.

The same refusals stand in the database as triggers, written by the app's migration (raw
SQL does not pass through the ORM); this module is the ORM's half.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class FinalError(Exception):
    """A write to what is final."""


class FrozenQuerySet(models.QuerySet):
    def _frozen(self) -> bool:
        return self.filter(self.model.frozen_q()).exists()

    def _moves_into_frozen(self, values: dict) -> bool:
        parent = self.model.PARENT_FIELD
        if not parent:
            return False
        ids = [
            getattr(value, "pk", value)
            for key, value in values.items()
            if key in (parent, f"{parent}_id") and not hasattr(value, "resolve_expression")
        ]
        return self.model.parents_frozen(ids)

    def update(self, **kwargs):
        if set(kwargs) - set(self.model.MOVABLE_FIELDS) and (
            self._frozen() or self._moves_into_frozen(kwargs)
        ):
            raise FinalError(self.model.FROZEN_MESSAGE)
        return super().update(**kwargs)

    def delete(self):
        if self._frozen():
            raise FinalError(self.model.FROZEN_MESSAGE)
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        self.model.check_new(objs)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        # Checked before bulk_update's own transaction (update() would refuse inside it
        # and leave the caller's transaction broken).
        objs = list(objs)
        if set(fields) - set(self.model.MOVABLE_FIELDS) and (
            self.filter(pk__in=[obj.pk for obj in objs])._frozen()
            or self.model.parents_frozen(self.model.parent_ids(objs))
        ):
            raise FinalError(self.model.FROZEN_MESSAGE)
        return super().bulk_update(objs, fields, *args, **kwargs)


class FrozenModel(models.Model):
    FROZEN_MESSAGE = "a final row cannot be changed"
    # Columns a final row may still change (its workflow, its bookkeeping).
    MOVABLE_FIELDS: tuple[str, ...] = ()
    # For a part of a parent that becomes final: the parent's field name (its model
    # must be a FrozenModel too); a part of a final parent is final.
    PARENT_FIELD = ""

    objects = FrozenQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._state.adding or self.pk is None:
            type(self).check_new([self])
        else:
            update_fields = kwargs.get("update_fields")
            names = [
                f.attname
                for f in self._meta.concrete_fields
                if not f.primary_key
                and f.name not in self.MOVABLE_FIELDS
                and f.attname not in self.MOVABLE_FIELDS
                and (update_fields is None or {f.name, f.attname} & set(update_fields))
            ]
            stored = names and (
                type(self).objects.filter(type(self).frozen_q(), pk=self.pk).values(*names).first()
            )
            if stored and any(getattr(self, name) != value for name, value in stored.items()):
                raise FinalError(self.FROZEN_MESSAGE)
            if names and type(self).parents_frozen(type(self).parent_ids([self])):
                raise FinalError(self.FROZEN_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if type(self).objects.filter(type(self).frozen_q(), pk=self.pk).exists():
            raise FinalError(self.FROZEN_MESSAGE)
        return super().delete(*args, **kwargs)

    @classmethod
    def frozen_q(cls) -> Q:
        """The condition on this model's rows that makes a row final."""
        raise NotImplementedError

    @classmethod
    def parent_ids(cls, objs) -> list:
        if not cls.PARENT_FIELD:
            return []
        return [getattr(obj, f"{cls.PARENT_FIELD}_id") for obj in objs]

    @classmethod
    def parents_frozen(cls, ids) -> bool:
        ids = {pk for pk in ids if pk is not None}
        if not cls.PARENT_FIELD or not ids:
            return False
        parent = cls._meta.get_field(cls.PARENT_FIELD).related_model
        return parent.objects.filter(parent.frozen_q(), pk__in=ids).exists()

    @classmethod
    def check_new(cls, objs) -> None:
        """Refuse new rows that would be parts of a final parent."""
        if cls.parents_frozen(cls.parent_ids(objs)):
            raise FinalError(cls.FROZEN_MESSAGE)

"""Rewards in the admin: to read. Plans are written, published and versioned, and
decisions computed, adjusted and approved, through rewards.services only (what is final
refuses change on every path; the services check who acts and record why)."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from rewards.models import (
    Budget,
    Decision,
    DecisionVersion,
    IncentivePlan,
    LineAdjustment,
    PenaltyRule,
    PlanComponent,
    PromotionHold,
)


class ComponentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PlanComponent
    extra = 0


class PenaltyInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PenaltyRule
    extra = 0


@admin.register(IncentivePlan)
class IncentivePlanAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("code", "version", "name", "period_kind", "applies_from", "status")
    list_filter = ("status", "period_kind")
    inlines = [ComponentInline, PenaltyInline]


class AdjustmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LineAdjustment
    extra = 0


class VersionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DecisionVersion
    extra = 0


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("person", "period", "unit", "status", "total")
    list_filter = ("status",)
    list_select_related = ("person", "period__fiscal_year", "unit")
    inlines = [AdjustmentInline, VersionInline]


@admin.register(PromotionHold)
class PromotionHoldAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("person", "starts_on", "ends_on", "rule", "lifted_at")


@admin.register(Budget)
class BudgetAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("period", "unit", "amount")

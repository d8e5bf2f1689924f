"""Placeholder until the views are written (work in progress in this session)."""

def adjustment_decide(request, *args, **kwargs):
    raise NotImplementedError


def adjustment_list(request, *args, **kwargs):
    raise NotImplementedError


def adjustment_new(request, *args, **kwargs):
    raise NotImplementedError


def metric_edit(request, *args, **kwargs):
    raise NotImplementedError


def metric_list(request, *args, **kwargs):
    raise NotImplementedError


def my_targets(request, *args, **kwargs):
    raise NotImplementedError


def rules(request, *args, **kwargs):
    raise NotImplementedError


def seasonality_edit(request, *args, **kwargs):
    raise NotImplementedError


def seasonality_list(request, *args, **kwargs):
    raise NotImplementedError


def target_acknowledge(request, *args, **kwargs):
    raise NotImplementedError


def target_detail(request, *args, **kwargs):
    raise NotImplementedError

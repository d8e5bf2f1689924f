"""Placeholder until the views are written (work in progress in this session)."""

def plan_detail(request, *args, **kwargs):
    raise NotImplementedError


def plan_list(request, *args, **kwargs):
    raise NotImplementedError


def plan_review(request, *args, **kwargs):
    raise NotImplementedError


def plan_submit(request, *args, **kwargs):
    raise NotImplementedError


def plan_write(request, *args, **kwargs):
    raise NotImplementedError

"""Placeholder until the views are written (work in progress in this session)."""

def allocation(request, *args, **kwargs):
    raise NotImplementedError


def allocation_decide(request, *args, **kwargs):
    raise NotImplementedError


def allocation_list(request, *args, **kwargs):
    raise NotImplementedError


def allocation_submit(request, *args, **kwargs):
    raise NotImplementedError


def cascade(request, *args, **kwargs):
    raise NotImplementedError


def cell_edit(request, *args, **kwargs):
    raise NotImplementedError


def publish(request, *args, **kwargs):
    raise NotImplementedError


def targets_export(request, *args, **kwargs):
    raise NotImplementedError


def targets_import(request, *args, **kwargs):
    raise NotImplementedError


def workspace(request, *args, **kwargs):
    raise NotImplementedError

"""Picking an operation Cloudlet has not built yet, so 501 tests keep working as services grow."""

from __future__ import annotations

from cloudlet.coverage import unbuilt
from cloudlet.protocol.models import load_service


def unbuilt_without_inputs(service: str) -> str:
    """An operation ``service`` has not built that needs no parameters (so any client can call it)."""
    model = load_service(service)
    return next(op for op in unbuilt(service) if not model.operation(op).input_shape.required)

"""Overlap resolution: how two geographies relate (``relate``), and moving values between them
without double counting by accident (``aggregate``, ``apportion``). Pure: no I/O, no Flask."""
from geohub.overlaps.aggregate import aggregate, apportion
from geohub.overlaps.relate import relate
from geohub.overlaps.report import overlap_report
from geohub.overlaps.slivers import DEFAULT_TOLERANCE, resolve_slivers

__all__ = ["relate", "aggregate", "apportion", "overlap_report", "resolve_slivers", "DEFAULT_TOLERANCE"]

"""Moved to ``pipeline.bus.secrets`` (clients read secrets where they are built); kept as an alias for callers."""

from pipeline.bus.secrets import read_secret

__all__ = ["read_secret"]

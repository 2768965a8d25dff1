"""Dedup stage: exact keys and revisions (keys.py, stateful.py), wired by ``DeduplicateStories`` (stage.py)."""

from pipeline.transforms.dedup.stage import DeduplicateStories
from pipeline.transforms.dedup.stateful import DUPLICATES

__all__ = ["DUPLICATES", "DeduplicateStories"]

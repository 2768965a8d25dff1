"""Event clusters across outlets and languages: ``ClusterEvents`` (stage.py) over pure signals and link rules."""

from pipeline.transforms.cluster.keyed import MERGES
from pipeline.transforms.cluster.stage import ClusterEvents

__all__ = ["MERGES", "ClusterEvents"]

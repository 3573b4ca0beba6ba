"""Cluster: issue posts into incidents over time (sliding windows, linked into stable ids).

>>> from socialnlp.cluster import IncidentDetector, detect, write_outputs   # doctest: +SKIP
"""
from socialnlp.cluster.detector import IncidentDetector
from socialnlp.cluster.outputs import detect, write_outputs
from socialnlp.cluster.quality import adjusted_rand, bcubed, cluster_quality
from socialnlp.cluster.stages import PCAReducer, UMAPReducer, warm_up

__all__ = ["IncidentDetector", "detect", "write_outputs", "bcubed", "adjusted_rand", "cluster_quality",
           "UMAPReducer", "PCAReducer", "warm_up"]

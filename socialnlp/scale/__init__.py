"""Scoring at scale on Ray Data (``pip install 'socialnlp[scale]'``); see docs/scale.md.

Ray is imported only when a function here is called, so ``import socialnlp.scale`` works
without it.
"""
from socialnlp.scale.ray_score import PostScorer, score_dataset, score_directory

__all__ = ["score_dataset", "score_directory", "PostScorer"]

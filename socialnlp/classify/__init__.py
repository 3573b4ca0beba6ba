"""Classify: issue vs noise, with baselines, saved model folders and batch scoring."""
from socialnlp.classify.baselines import LexiconRule, TfidfBaseline
from socialnlp.classify.classifier import LABEL_DEFINITION, IssueClassifier
from socialnlp.classify.persist import ModelError, load_model, save_model

__all__ = ["IssueClassifier", "TfidfBaseline", "LexiconRule", "load_model", "save_model", "ModelError", "LABEL_DEFINITION"]

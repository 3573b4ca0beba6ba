"""Evaluate: classifier metrics per language, and how early incidents were signalled
(lead time against the official declaration), next to stream-level baselines.

Plots live in :mod:`socialnlp.evaluate.plots` (imported on use: matplotlib is not needed
to compute metrics).
"""
from socialnlp.evaluate.baselines import BASELINES, VolumeSpikeDetector, baseline_alerts, baseline_times
from socialnlp.evaluate.classification import format_metrics, metrics_by_language
from socialnlp.evaluate.lead_time import (MATCH_RULES, Detections, MatchWindow, alert_gold_ids, describe_rule,
                                          excluded_incidents, incident_metrics, load_detections, match_alerts_by_gold,
                                          match_alerts_by_time, match_alerts_by_title, stream_days)
from socialnlp.evaluate.report import METRIC_KEYS, run_evaluation, sensitivity

__all__ = ["metrics_by_language", "format_metrics", "run_evaluation", "load_detections", "Detections", "MatchWindow",
           "MATCH_RULES", "METRIC_KEYS", "describe_rule", "alert_gold_ids", "incident_metrics", "match_alerts_by_gold", "match_alerts_by_title",
           "match_alerts_by_time", "excluded_incidents", "stream_days", "VolumeSpikeDetector", "baseline_alerts", "baseline_times",
           "BASELINES", "sensitivity"]

"""Signals: burst alerts on incidents, routing to teams, and hand-off to a helpdesk."""
from socialnlp.signals.alerts import BurstRule
from socialnlp.signals.routing import Router, load_routes
from socialnlp.signals.sinks import JsonlSink, WebhookSink, deliver, retry_pending

__all__ = ["BurstRule", "Router", "load_routes", "JsonlSink", "WebhookSink", "deliver", "retry_pending"]

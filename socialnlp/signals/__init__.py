"""Signals: route incidents to teams and hand their alerts to a helpdesk."""
from socialnlp.signals.routing import Router, load_routes
from socialnlp.signals.sinks import JsonlSink, WebhookSink, deliver, retry_pending

__all__ = ["Router", "load_routes", "JsonlSink", "WebhookSink", "deliver", "retry_pending"]

import json
import socket
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from socialnlp.signals import JsonlSink, WebhookSink, deliver, retry_pending

FAST = {"timeout": 0.3, "retries": 2, "backoff": 0.01}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # A proxy from the environment must not intercept the loopback test servers.
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def alerts(n=2):
    return pd.DataFrame({
        "incident_id": [f"inc-{i}" for i in range(n)],
        "alert_time": [pd.Timestamp("2024-05-01 08:30:00", tz="Europe/Berlin")] * n,
        "severity": ["high"] * n,
        "team": ["network"] * n,
        "confidence": [0.61] * n,
        "n_posts": [12] * n,
        "n_authors": [9] * n,
        "languages": [["de", "zh"]] * n,
        "keywords_de": ["Internet Störung"] * n,
        "keywords_zh": ["宽带，断网"] * n,
        "sample_post_ids": [["1", "2"]] * n,
        "sample_texts": [["seit heute morgen kein Internet", "宽带断了一上午"]] * n,
    })


def lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@contextmanager
def webhook_server(answers, on_post=lambda: None):
    """A loopback HTTP server answering POSTs with the given status codes in turn (then 200)."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((json.loads(self.rfile.read(int(self.headers["Content-Length"]))), dict(self.headers)))
            on_post()
            code = answers[len(received) - 1] if len(received) <= len(answers) else 200
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def silent_server():
    """A port that accepts connections (the kernel completes them) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    finally:
        sock.close()


def closed_port_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/hook"


# --- the JSONL outbox -----------------------------------------------------------------

def test_outbox_line_is_a_helpdesk_ready_payload(tmp_path):
    deliver(alerts(1), tmp_path / "alerts.jsonl")
    [record] = lines(tmp_path / "alerts.jsonl")
    assert list(record) == ["alert_id", "incident_id", "alert_time", "severity", "team", "confidence", "n_posts",
                            "n_authors", "languages", "keywords", "sample_post_ids", "sample_texts", "delivery"]
    assert record["alert_time"] == "2024-05-01T06:30:00Z"
    assert record["keywords"] == ["Internet", "Störung", "宽带", "断网"]
    assert record["sample_texts"][1] == "宽带断了一上午"
    assert record["delivery"] == {"status": "pending", "attempts": 0, "last_error": None,
                                  "last_attempt_at": None, "delivered_at": None}


def test_sample_texts_are_truncated_to_max_quote_chars(tmp_path):
    long = alerts(1).assign(sample_texts=[["x" * 1000]])
    deliver(long, tmp_path / "alerts.jsonl", max_quote_chars=50)
    text = lines(tmp_path / "alerts.jsonl")[0]["sample_texts"][0]
    assert len(text) == 50 and text.endswith("…")


def test_rerunning_the_same_alerts_does_not_duplicate_them(tmp_path):
    path = tmp_path / "alerts.jsonl"
    deliver(alerts(2), path)
    status = deliver(alerts(2), path)
    assert len(lines(path)) == 2
    assert status["status"].tolist() == ["pending", "pending"]


def test_a_line_torn_by_a_crash_neither_hides_nor_breaks_new_alerts(tmp_path):
    path = tmp_path / "alerts.jsonl"
    path.write_text('{"alert_id": "half-writ', encoding="utf-8")
    deliver(alerts(1), path)
    assert path.read_text(encoding="utf-8").startswith('{"alert_id": "half-writ\n')
    assert [r["incident_id"] for r in JsonlSink(path).read()] == ["inc-0"]


# --- the webhook ----------------------------------------------------------------------

def test_webhook_success_marks_alerts_delivered(tmp_path):
    path = tmp_path / "alerts.jsonl"
    with webhook_server([]) as (url, received):
        status = deliver(alerts(2), path, WebhookSink(url, **FAST))
    assert status["status"].tolist() == ["delivered", "delivered"]
    assert status["attempts"].tolist() == [1, 1]
    body, headers = received[0]
    assert body["incident_id"] == "inc-0" and "delivery" not in body
    assert headers["Idempotency-Key"] == body["alert_id"]
    assert [r["delivery"]["status"] for r in lines(path)] == ["delivered", "delivered"]


def test_alert_is_in_the_outbox_as_pending_before_it_is_posted(tmp_path):
    path = tmp_path / "alerts.jsonl"
    seen = []
    with webhook_server([], on_post=lambda: seen.append(lines(path))) as (url, _):
        deliver(alerts(1), path, WebhookSink(url, **FAST))
    assert seen[0][0]["delivery"]["status"] == "pending"
    assert lines(path)[0]["delivery"]["status"] == "delivered"


def test_webhook_retries_after_server_errors(tmp_path):
    with webhook_server([500, 500]) as (url, received):
        status = deliver(alerts(1), tmp_path / "alerts.jsonl", WebhookSink(url, **FAST))
    assert status.loc[0, "status"] == "delivered"
    assert status.loc[0, "attempts"] == 3 and len(received) == 3


def test_client_error_is_not_retried(tmp_path):
    with webhook_server([400]) as (url, received):
        status = deliver(alerts(1), tmp_path / "alerts.jsonl", WebhookSink(url, **FAST))
    assert status.loc[0, "status"] == "failed" and status.loc[0, "attempts"] == 1
    assert status.loc[0, "last_error"].startswith("HTTP 400")


def test_silent_server_times_out_and_the_alert_stays_in_the_file_as_failed(tmp_path):
    path = tmp_path / "alerts.jsonl"
    with silent_server() as url:
        status = deliver(alerts(1), path, WebhookSink(url, timeout=0.2, retries=1, backoff=0.01))
    assert status.loc[0, "status"] == "failed"
    [record] = lines(path)
    assert record["delivery"]["status"] == "failed" and record["delivery"]["attempts"] == 2
    assert "timeout" in record["delivery"]["last_error"]


def test_closed_port_fails_with_the_connection_error(tmp_path):
    path = tmp_path / "alerts.jsonl"
    status = deliver(alerts(1), path, WebhookSink(closed_port_url(), **FAST))
    assert status.loc[0, "status"] == "failed" and status.loc[0, "attempts"] == 3
    assert "connection failed" in lines(path)[0]["delivery"]["last_error"]


def test_retry_pending_delivers_what_failed_before(tmp_path):
    path = tmp_path / "alerts.jsonl"
    deliver(alerts(2), path, WebhookSink(closed_port_url(), timeout=0.3, retries=0))
    with webhook_server([]) as (url, received):
        status = retry_pending(path, WebhookSink(url, **FAST))
        assert retry_pending(path, WebhookSink(url, **FAST)).empty  # nothing left to send
    assert status["status"].tolist() == ["delivered", "delivered"] and len(received) == 2
    records = lines(path)
    assert len(records) == 2
    assert [r["delivery"]["attempts"] for r in records] == [2, 2]
    assert all(r["delivery"]["last_error"] is None and r["delivery"]["delivered_at"] for r in records)


def test_webhook_url_must_be_http():
    with pytest.raises(ValueError, match="http"):
        WebhookSink("file:///etc/passwd")


def test_payload_languages_are_counts(tmp_path):
    from socialnlp.signals.sinks import language_counts

    assert language_counts('{"de": 12, "zh": 7}') == {"de": 12, "zh": 7}
    assert language_counts(["de", "en"]) == {"de": 1, "en": 1}

"""``make demo``: the whole pipeline on the bundled demo stream, with a readable summary."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"


def run_demo(posts: str | Path = DEMO_DIR / "posts.csv", incidents: str | Path = DEMO_DIR / "incidents.csv",
             out: str | Path = "out/demo", embedder="use-multilingual", routes: str | Path | None = DEMO_DIR / "routes.yaml",
             model="default") -> int:
    from socialnlp.evaluate import run_evaluation
    from socialnlp.pipeline import run_detect

    out = Path(out)
    t0 = time.time()
    print(f"socialnlp demo: {posts}")
    run = run_detect(posts, out / "detections", model=model, routes=routes, embedder=embedder)
    print(f"  read     {run.read_summary}")
    scored = run.detector.posts_
    print(f"  scored   {int(scored['is_issue'].sum())} of {len(scored)} posts are issues "
          f"({_by_lang(scored[scored['is_issue'] == 1])})")
    clusters, alerts = run.detector.clusters_, run.detector.alerts_
    print(f"  detected {len(clusters)} incidents, {len(alerts)} alerts -> {run.outdir}")
    result = run_evaluation(posts, incidents, run.outdir, out / "report")
    print(f"  evaluated against {incidents} ({time.time() - t0:.0f} s in all)\n")
    print(incident_summary(result["detector"]["per_incident"], clusters, run.routed))
    print()
    print(method_summary(result))
    print(f"\nreport: {result['files']['report']}\nplots:  {out / 'report' / 'plots'}\nalerts outbox: {run.files['outbox']}")
    return 0


def incident_summary(per_incident: pd.DataFrame, clusters: pd.DataFrame, routed: pd.DataFrame | None) -> str:
    """One line per gold incident: first alert, delay and lead, keywords and team of its cluster."""
    info = clusters.set_index("incident_id") if len(clusters) else clusters
    team = dict(zip(clusters["incident_id"], routed["team"])) if routed is not None and len(clusters) else {}
    rows = []
    for r in per_incident.itertuples():
        cid = r.clusters[0] if r.detected and r.clusters else None
        keywords = _keywords(info.loc[cid]) if cid is not None and cid in info.index else ""
        rows.append({
            "incident": r.incident_id,
            "first alert": r.first_alert.strftime("%m-%d %H:%M") if r.detected else "not alerted",
            "delay": f"{r.delay_minutes:+.0f} min" if r.detected else "",
            "lead": f"{r.lead_minutes:+.0f} min" if r.detected and pd.notna(r.lead_minutes) else "",
            "team": team.get(cid, "") if cid is not None else "",
            "keywords": keywords,
        })
    table = pd.DataFrame(rows)
    return "Incidents (lead = declared - first alert; positive = before the status page)\n" + table.to_string(index=False)


def method_summary(result: dict) -> str:
    lines = [f"{'method':<20}{'detected':>10}{'median lead':>13}{'median delay':>14}{'false alerts/day':>18}"]
    methods = {"detector": result["detector"]["summary"], **{k: v["summary"] for k, v in result["baselines"].items()}}
    for name, s in methods.items():
        lines.append(f"{name:<20}{s['n_detected']:>5}/{s['n_evaluated']:<4}{_min(s['median_lead_minutes']):>13}"
                     f"{_min(s['median_delay_minutes']):>14}{s['false_alerts_per_day']:>18.2f}")
    return "\n".join(lines)


def _min(value) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:+.0f} min"


def _keywords(row) -> str:
    words = []
    for lang in ("de", "zh", "en"):
        value = row.get(f"keywords_{lang}")
        if isinstance(value, str) and value.strip():
            parsed = json.loads(value) if value.startswith("[") else value.replace(",", " ").split()
            words += parsed[:3]
    return " ".join(words[:8])


def _by_lang(frame: pd.DataFrame) -> str:
    return ", ".join(f"{k} {v}" for k, v in frame["lang"].value_counts().sort_index().items())

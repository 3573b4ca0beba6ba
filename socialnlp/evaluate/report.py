"""One evaluation run: the detector against the incidents table, next to the baselines, on
the same stream; writes ``metrics.json``, ``evaluation.json``, tables, PNGs and ``report.md``.

>>> from socialnlp import read_incidents, read_posts
>>> res = run_evaluation(read_posts("data/demo/posts.csv", require_time=True),
...                      read_incidents("data/demo/incidents.csv"), "out/detect", "out/report")  # doctest: +SKIP
>>> res["metrics"]["median_lead_minutes"]                                                       # doctest: +SKIP
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from socialnlp.evaluate.baselines import BASELINES, baseline_alerts, baseline_times
from socialnlp.evaluate.lead_time import (SUMMARY_KEYS, Detections, MatchWindow, alert_gold_ids, alert_texts,
                                          classifier_scores, cluster_texts, clustering_scores, describe_rule,
                                          excluded_incidents, gold_by_post, has_gold_ids, incident_metrics,
                                          load_detections, match_alerts_by_gold, match_alerts_by_time,
                                          match_alerts_by_title, resolve_alert_clusters, stream_days, title_similarity,
                                          window_coverage)

CLUSTER_KEYS = ("ari", "bcubed_precision", "bcubed_recall", "bcubed_f1")
METRIC_KEYS = (*SUMMARY_KEYS, *CLUSTER_KEYS, "classifier")
SIGMAS = (2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)
MIN_AUTHORS = (0, 10, 15, 20, 30, 50)
SEVERITIES = (1, 2, 3)


def run_evaluation(posts, incidents, detections_dir=None, out_dir="report", *,
                   detector_fn: Callable[[pd.DataFrame], str | Path] | None = None,
                   embeddings: np.ndarray | None = None, embedder=None, match: str = "auto", evidence: str = "alert",
                   window: MatchWindow = MatchWindow(), min_gold_share: float = 0.2, title_threshold: float = 0.35,
                   exclude="auto", coverage: str = "6h", baseline_params: dict | None = None,
                   sigmas: Iterable[float] = SIGMAS, min_authors: Iterable[int] = MIN_AUTHORS,
                   plots: bool = True) -> dict:
    """Evaluate a detect run (``detections_dir``, or the folder ``detector_fn(posts)`` returns).

    ``posts``: the gold stream (path or DataFrame from ``read_posts(..., require_time=True)``);
    ``incidents``: the incidents table (path or DataFrame). ``embeddings`` (rows aligned with
    ``posts``) feed the cluster map; ``embedder`` embeds alert texts and titles for the
    title rule (default ``CachedEmbedder("use-multilingual")``, loaded only then).
    ``match``: ``"auto"`` (gold when posts carry gold incident ids, else title), ``"gold"``
    or ``"title"``; ``evidence``: ``"alert"`` (what the cluster held when it alerted) or
    ``"cluster"`` (the whole cluster), see :mod:`socialnlp.evaluate.lead_time`; ``exclude``
    and ``coverage``: :func:`~socialnlp.evaluate.lead_time.excluded_incidents`;
    ``baseline_params``: :class:`~socialnlp.evaluate.baselines.VolumeSpikeDetector`'s.

    Returns ``{"metrics", "detector", "baselines", "sensitivity", "excluded", "rule", "files", ...}``.
    """
    if match not in ("auto", "gold", "title") or evidence not in ("alert", "cluster"):
        raise ValueError(f"match must be auto, gold or title (got {match!r}); evidence alert or cluster (got {evidence!r})")
    posts, incidents = _read_inputs(posts, incidents)
    if detections_dir is None:
        if detector_fn is None:
            raise ValueError("give detections_dir (a `socialnlp detect` output folder) or detector_fn")
        detections_dir = detector_fn(posts)
    det = detections_dir if isinstance(detections_dir, Detections) else load_detections(detections_dir)
    gold = gold_by_post(posts)
    mode = ("gold" if has_gold_ids(posts) else "title") if match == "auto" else match
    if mode == "title" and embedder is None:
        embedder = _default_embedder()
    days = stream_days(posts["created_at"])
    excluded = excluded_incidents(posts, incidents, exclude, coverage)
    sizes = _cluster_sizes(det)
    alerts = det.alerts.assign(cluster_id=resolve_alert_clusters(det.alerts, det.posts, sizes))

    def evaluate(matched_alerts: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
        return incident_metrics(incidents, matched_alerts, days=days, excluded=excluded, cluster_sizes=sizes)

    def match_with(kind: str) -> pd.DataFrame:
        return _match_detector(mode, kind, alerts, det, incidents, posts, gold, window, min_gold_share,
                               title_threshold, embedder)

    matched = match_with(evidence)
    det_table, det_summary = evaluate(matched)
    # The same alerts under the other evidence and under the baselines' time-only rule, so a
    # reader sees how much the rule moves the numbers.
    other = "cluster" if evidence == "alert" else "alert"
    variants = {f"detector, {other} evidence": evaluate(match_with(other))[1],
                "detector, time-only rule": evaluate(match_alerts_by_time(alerts, incidents, window))[1]}
    counted = {name: baseline_times(name, posts, det.posts) for name in BASELINES
               if name != "classifier_volume" or "is_issue" in det.posts.columns}
    baselines = {}
    for name, times in counted.items():
        base = match_alerts_by_time(baseline_alerts(name, posts, times=times, **(baseline_params or {})), incidents,
                                    window)
        table, summary = evaluate(base)
        baselines[name] = {"summary": summary, "per_incident": table, "alerts": base}
    sweep = sensitivity(matched, incidents, posts, counted, days=days, excluded=excluded, window=window,
                        sigmas=sigmas, min_authors=min_authors, baseline_params=baseline_params)

    metrics = {k: det_summary[k] for k in SUMMARY_KEYS}
    metrics.update(clustering_scores(det.posts, gold) if mode == "gold" else {k: None for k in CLUSTER_KEYS})
    metrics["classifier"] = classifier_scores(posts, det.posts)
    rules = {"detector": describe_rule(mode, window, evidence=evidence, min_gold_share=min_gold_share,
                                       threshold=title_threshold,
                                       embedder=getattr(embedder, "name", None) or "use-multilingual"),
             "baselines": describe_rule("time", window)}
    result = {
        "metrics": metrics, "rule": rules, "match": mode, "evidence": evidence,
        "window": {"before": window.before, "after": window.after}, "excluded": excluded, "stream_days": days,
        "window_coverage": window_coverage(posts["created_at"], incidents, window),
        "detector": {"summary": det_summary, "per_incident": det_table, "alerts": matched, "variants": variants},
        "baselines": baselines, "sensitivity": sweep, "files": {},
    }
    _write_outputs(result, Path(out_dir), posts, incidents, det, gold, embeddings, plots)
    return result


def _read_inputs(posts, incidents) -> tuple[pd.DataFrame, pd.DataFrame]:
    from socialnlp.io import read_incidents, read_posts

    posts = posts if isinstance(posts, pd.DataFrame) else read_posts(posts, require_time=True)
    incidents = incidents if isinstance(incidents, pd.DataFrame) else read_incidents(incidents)
    posts = posts.assign(id=posts["id"].astype(str), created_at=pd.to_datetime(posts["created_at"], utc=True))
    incidents = incidents.assign(incident_id=incidents["incident_id"].astype(str),
                                 start=pd.to_datetime(incidents["start"], utc=True),
                                 declared=pd.to_datetime(incidents.get("declared", pd.NaT), utc=True))
    return posts, incidents


def _match_detector(mode: str, evidence: str, alerts: pd.DataFrame, det: Detections, incidents: pd.DataFrame,
                    posts: pd.DataFrame, gold: pd.Series, window: MatchWindow, min_gold_share: float,
                    threshold: float, embedder) -> pd.DataFrame:
    if mode == "gold":
        about = alert_gold_ids(alerts, det.posts, gold, min_gold_share, evidence)
        return match_alerts_by_gold(alerts, incidents, about, window)
    text_by_id = posts.drop_duplicates("id").set_index("id")["text"]
    if evidence == "alert":
        sims = title_similarity(alert_texts(alerts, text_by_id), incidents, embedder)
        return match_alerts_by_title(alerts, incidents, sims, window, threshold, by=None)
    sims = title_similarity(cluster_texts(det.clusters, text_by_id), incidents, embedder)
    return match_alerts_by_title(alerts, incidents, sims, window, threshold)


def _write_outputs(result: dict, out: Path, posts, incidents, det: Detections, gold: pd.Series, embeddings,
                   plots: bool) -> None:
    """metrics.json, evaluation.json, CSV tables, plots, report.md."""
    out.mkdir(parents=True, exist_ok=True)
    files = result["files"]
    files["metrics"] = _write_json(out / "metrics.json", result["metrics"])
    files["evaluation"] = _write_json(out / "evaluation.json", _evaluation_json(result))
    files["per_incident"] = _write_csv(out / "per_incident.csv", _per_incident_table(result))
    files["alerts"] = _write_csv(out / "alerts_matched.csv", result["detector"]["alerts"])
    files["sensitivity"] = _write_csv(out / "sensitivity.csv", result["sensitivity"])
    if plots:
        files.update(_plots(result, posts, incidents, det, gold, embeddings, out / "plots"))
    files["report"] = out / "report.md"
    files["report"].write_text(render_report(result, incidents, out), encoding="utf-8")


def _default_embedder():
    from socialnlp.embed import CachedEmbedder

    return CachedEmbedder("use-multilingual")


def _cluster_sizes(det: Detections) -> dict[int, int]:
    if len(det.clusters) and "n_posts" in det.clusters.columns:
        return {int(c): int(n) for c, n in zip(det.clusters["incident_id"], det.clusters["n_posts"])}
    counts = det.posts.loc[det.posts["incident_id"] != -1, "incident_id"].value_counts()
    return {int(c): int(n) for c, n in counts.items()}


# ---------------------------------------------------------------------------- sensitivity
def sensitivity(matched: pd.DataFrame, incidents: pd.DataFrame, posts: pd.DataFrame, counted: dict[str, pd.Series], *,
                days: float, excluded: dict[str, str], window: MatchWindow = MatchWindow(),
                sigmas: Iterable[float] = SIGMAS, min_authors: Iterable[int] = MIN_AUTHORS,
                severities: Iterable[int] = SEVERITIES, baseline_params: dict | None = None) -> pd.DataFrame:
    """Median lead time and false alerts per day as the alert bar rises: detector alerts kept
    when ``severity >= k`` and ``n_authors >= m`` (no re-clustering), baselines re-run at each
    sigma threshold (``counted``: baseline name -> the post times it counts, :func:`baseline_times`)."""
    rows = []
    severity, authors = _numbers(matched, "severity", 1), _numbers(matched, "n_authors", 0)
    for k in severities:
        for m in min_authors:
            keep = matched[(severity >= k) & (authors >= m)] if len(matched) else matched
            _, s = incident_metrics(incidents, keep, days=days, excluded=excluded)
            rows.append({"method": "detector", "curve": f"detector, severity ≥ {k}", "setting": f"≥{m} authors",
                         "severity_min": k, "min_authors": m, "sigma": np.nan, **s})
    params = dict(baseline_params or {})
    params.pop("threshold", None)
    for name, times in counted.items():
        for sigma in sigmas:
            alerts = match_alerts_by_time(baseline_alerts(name, posts, times=times, threshold=sigma, **params),
                                          incidents, window)
            _, s = incident_metrics(incidents, alerts, days=days, excluded=excluded)
            rows.append({"method": name, "curve": name.replace("_", " "), "setting": f"{sigma:g}σ",
                         "severity_min": np.nan, "min_authors": np.nan, "sigma": sigma, **s})
    return pd.DataFrame(rows)


def _numbers(frame: pd.DataFrame, column: str, default: float) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), default, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").fillna(default).to_numpy(dtype=float)


# ---------------------------------------------------------------------------- files
def _clean(v):
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.isoformat().replace("+00:00", "Z")
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if v is pd.NaT:
        return None
    return v


def _records(frame: pd.DataFrame) -> list[dict]:
    return [_clean(r) for r in frame.to_dict("records")]


def _write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(_clean(data), indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def _write_csv(path: Path, frame: pd.DataFrame) -> Path:
    out = frame.copy()
    for col in out.columns:
        if any(isinstance(v, (list, dict)) for v in out[col]):
            out[col] = out[col].map(lambda v: json.dumps(_clean(v), ensure_ascii=False))
    out.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    return path


def _evaluation_json(result: dict) -> dict:
    return {
        "metrics": result["metrics"], "rule": result["rule"], "match": result["match"],
        "evidence": result["evidence"], "window": result["window"],
        "stream_days": result["stream_days"], "window_coverage": result["window_coverage"],
        "excluded": result["excluded"],
        "detector": {"summary": result["detector"]["summary"],
                     "variants": result["detector"]["variants"],
                     "per_incident": _records(result["detector"]["per_incident"])},
        "baselines": {n: {"summary": b["summary"], "per_incident": _records(b["per_incident"])}
                      for n, b in result["baselines"].items()},
        "sensitivity": _records(result["sensitivity"]),
    }


def _per_incident_table(result: dict) -> pd.DataFrame:
    table = result["detector"]["per_incident"].copy()
    for name, b in result["baselines"].items():
        other = b["per_incident"].set_index("incident_id")
        for col in ("first_alert", "delay_minutes", "lead_minutes"):
            table[f"{name}_{col}"] = table["incident_id"].map(other[col])
    return table


# ---------------------------------------------------------------------------- plots
def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name))[:80]


def _plots(result: dict, posts, incidents, det: Detections, gold: pd.Series, embeddings, folder: Path) -> dict:
    from socialnlp.evaluate import plots

    files = {}
    table = result["detector"]["per_incident"].set_index("incident_id")
    volumes = {}
    if len(det.clusters) and "volume" in det.clusters.columns:
        volumes = {int(r["incident_id"]): plots.parse_volume(r["volume"], r.get("first_seen"))
                   for r in det.clusters.to_dict("records")}
    gold_of_post = gold.reindex(posts["id"]).to_numpy()
    for inc in incidents.to_dict("records"):
        iid = inc["incident_id"]
        row = table.loc[iid]
        first = {"detector": row["first_alert"]}
        first.update({n: b["per_incident"].set_index("incident_id").loc[iid, "first_alert"]
                      for n, b in result["baselines"].items()})
        gold_volume = plots.counts_per_step(posts.loc[gold_of_post == iid, "created_at"]) if gold.notna().any() else None
        files[f"timeline:{iid}"] = plots.incident_timeline(
            inc, folder / f"timeline_{_slug(iid)}.png", gold_volume=gold_volume, first_alerts=first,
            cluster_volumes={c: volumes[c] for c in row["clusters"] if c in volumes})
    leads = {"detector": _kept(table)["lead_minutes"].tolist()}
    leads.update({n: _kept(b["per_incident"])["lead_minutes"].tolist() for n, b in result["baselines"].items()})
    files["lead_times"] = plots.lead_time_distribution(leads, folder / "lead_times.png")
    files["sensitivity_curve"] = plots.sensitivity_curve(result["sensitivity"], folder / "sensitivity.png")
    if result["metrics"]["classifier"] and "label" in posts.columns:
        labels = pd.to_numeric(posts.drop_duplicates("id").set_index("id")["label"], errors="coerce")
        scored = det.posts.assign(y=labels.reindex(det.posts["id"]).to_numpy()).dropna(subset=["y", "p_issue"])
        files["pr_curves"] = plots.pr_curves(scored["y"], scored["p_issue"], scored["lang"], folder / "pr_curves.png")
    files["cluster_map"] = _cluster_map(posts, det, embeddings, folder / "cluster_map.png")
    return files


def _kept(table: pd.DataFrame) -> pd.DataFrame:
    return table[~table["excluded"] & table["detected"]]


def _cluster_map(posts: pd.DataFrame, det: Detections, embeddings, path: Path) -> Path:
    from socialnlp.evaluate import plots

    scored = det.posts
    seen = scored[scored["is_issue"].astype(int) == 1] if "is_issue" in scored.columns else scored
    row_of = pd.Series(np.arange(len(posts)), index=posts["id"])
    row_of = row_of[~row_of.index.duplicated()]
    rows = row_of.reindex(seen["id"]).to_numpy()
    ok = ~np.isnan(rows)
    rows = rows[ok].astype(int)
    seen = seen[ok]
    points = None if embeddings is None else np.asarray(embeddings)[rows]
    texts = posts["text"].to_numpy()[rows]
    return plots.cluster_map(points, seen["incident_id"].to_numpy(), seen["lang"].to_numpy(), path, texts=texts)


# ---------------------------------------------------------------------------- report.md
def _num(v, digits: int = 1, unit: str = "") -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}{unit}"


def _time(t) -> str:
    return "–" if t is None or pd.isna(t) else pd.Timestamp(t).strftime("%Y-%m-%d %H:%M")


def comparison_sentence(name: str, det: dict, base: dict) -> str:
    """One sentence: by how many minutes of median lead and how many false alerts per day the
    detector beats or loses to a baseline (compared as printed: whole minutes, 2 decimals)."""
    label = BASELINES.get(name, name).split(" (")[0]
    dl, bl = (None if v is None else round(v) for v in (det["median_lead_minutes"], base["median_lead_minutes"]))
    df, bf = (None if v is None else round(v, 2) for v in (det["false_alerts_per_day"], base["false_alerts_per_day"]))
    if dl is None or bl is None:
        lead = f"median lead {_num(dl, 0, ' min')} vs {_num(bl, 0, ' min')}: no comparison"
    else:
        lead = f"median lead {dl} vs {bl} min: the detector " + _verdict(dl - bl, "min", 0)
    if df is None or bf is None:
        false = f"false alerts per day {_num(df, 2)} vs {_num(bf, 2)}"
    else:
        false = f"false alerts per day {df:.2f} vs {bf:.2f}: the detector " + _verdict(round(bf - df, 2), "per day", 2)
    found = f"incidents detected {det['n_detected']}/{det['n_evaluated']} vs {base['n_detected']}/{base['n_evaluated']}"
    return f"- **vs {label}**: {lead}; {false}; {found}."


def _verdict(gain: float, unit: str, digits: int) -> str:
    if not gain:
        return "ties"
    return f"{'beats' if gain > 0 else 'loses'} by {abs(gain):.{digits}f} {unit}"


def render_report(result: dict, incidents: pd.DataFrame, out: Path) -> str:
    m, det = result["metrics"], result["detector"]
    lines = ["# Evaluation: how early were incidents signalled?", "",
             f"Stream: {result['stream_days']:.2f} days covered; {len(incidents)} incidents "
             f"({len(result['excluded'])} left out of lead-time statistics); matching rule: **{result['match']}** "
             f"(evidence: {result['evidence']}).", "",
             "## Matching rule", "", "**Detector.** " + result["rule"]["detector"], "",
             "**Baselines.** " + result["rule"]["baselines"], "",
             "Lead = declared − first alert (positive: before the official declaration); "
             "delay = first alert − start. Medians are over detected incidents that are not excluded.", ""]
    if result["excluded"]:
        lines += ["## Left out of lead-time statistics", ""]
        lines += [f"- `{i}`: {why}" for i, why in result["excluded"].items()] + [""]
    lines += ["## Overall (detector)", "", "| metric | value |", "|---|---|"]
    for k in SUMMARY_KEYS + CLUSTER_KEYS:
        v = m[k]
        lines.append(f"| {k} | {_num(v, 3 if k not in ('median_lead_minutes', 'median_delay_minutes') else 1)} |")
    s = det["summary"]
    lines += ["", f"{s['n_detected']} of {s['n_evaluated']} incidents detected; {s['n_alerts']} alerts, "
              f"{s['n_false_alerts']} of them false.", ""]
    if m["classifier"]:
        lines += ["### Classifier per language", "", "| lang | n | precision | recall | f1 | macro_f1 | pr_auc |",
                  "|---|---|---|---|---|---|---|"]
        for lang, r in m["classifier"].items():
            lines.append(f"| {lang} | {r['n']} | " + " | ".join(_num(r[c], 3) for c in
                                                             ("precision", "recall", "f1", "macro_f1", "pr_auc")) + " |")
        lines.append("")
    lines += _incident_lines(result)
    coverage = result["window_coverage"]
    lines += ["## Detector vs baselines", "", "Same stream, same incidents table, same exclusions. "
              f"The incident windows cover {_num(100 * coverage, 0, '%')} of the stream: an alert at a random time "
              "would match some incident by time alone with that chance"
              + (", so the baselines' false alerts are undercounted; a shorter window is stricter." if coverage > 0.25
                 else "."), ""]
    lines += [comparison_sentence(n, s, b["summary"]) for n, b in result["baselines"].items()]
    rows = [("detector", s), *det["variants"].items()]
    rows += [(n.replace("_", " "), b["summary"]) for n, b in result["baselines"].items()]
    lines += ["", "| method | detection rate | median lead (min) | median delay (min) | false alerts/day | alerts |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {n} | {_num(r['detection_rate'], 2)} | {_num(r['median_lead_minutes'])} | "
              f"{_num(r['median_delay_minutes'])} | {_num(r['false_alerts_per_day'], 2)} | {r['n_alerts']} |"
              for n, r in rows]
    lines += ["", "The detector's rows below the first are the same alerts under another rule: the other evidence "
              "(the posts its cluster held when it alerted, or the whole cluster at the end of the stream), and "
              "the baselines' rule (by time alone).", ""]
    lines += _sensitivity_lines(result["sensitivity"])
    lines += _plot_lines(result["files"], out)
    return "\n".join(lines) + "\n"


def _incident_lines(result: dict) -> list[str]:
    table = _per_incident_table(result)
    names = list(result["baselines"])
    head = ("| incident | start | declared | first alert | delay (min) | lead (min) | clusters (posts) | "
            + " | ".join(f"{n.replace('_', ' ')} lead (min)" for n in names) + " |")
    lines = ["## Per incident", "", head, "|" + "---|" * (7 + len(names))]
    for r in table.to_dict("records"):
        clusters = ", ".join(f"{c} ({n})" for c, n in zip(r["clusters"], r["cluster_sizes"])) or "–"
        name = f"`{r['incident_id']}`" + (" (excluded)" if r["excluded"] else "")
        first = _time(r["first_alert"]) if r["detected"] else "not detected"
        lines.append(f"| {name} | {_time(r['start'])} | {_time(r['declared'])} | {first} | {_num(r['delay_minutes'], 0)} "
                     f"| {_num(r['lead_minutes'], 0)} | {clusters} | "
                     + " | ".join(_num(r[f'{n}_lead_minutes'], 0) for n in names) + " |")
    return lines + [""]


def _sensitivity_lines(sweep: pd.DataFrame) -> list[str]:
    lines = ["## Sensitivity", "", "Detector: alerts kept when severity ≥ k and distinct authors ≥ m (no re-clustering). "
             "Baselines: re-run at each sigma threshold.", "",
             "| curve | setting | detection rate | median lead (min) | false alerts/day | alerts |", "|---|---|---|---|---|---|"]
    for r in sweep.to_dict("records"):
        lines.append(f"| {r['curve']} | {r['setting']} | {_num(r['detection_rate'], 2)} | {_num(r['median_lead_minutes'])} "
                     f"| {_num(r['false_alerts_per_day'], 2)} | {r['n_alerts']} |")
    return lines + [""]


def _plot_lines(files: dict, out: Path) -> list[str]:
    pngs = {k: v for k, v in files.items() if str(v).endswith(".png")}
    if not pngs:
        return []
    titles = {"lead_times": "Lead-time distribution", "sensitivity_curve": "Sensitivity curve",
              "pr_curves": "Classifier precision-recall per language", "cluster_map": "Cluster map"}
    lines = ["## Plots", ""]
    for key, path in pngs.items():
        rel = Path(path).relative_to(out).as_posix()
        title = titles.get(key) or f"Timeline of {key.split(':', 1)[1]}"
        lines.append(f"- [{title}]({rel})")
    return lines + [""]

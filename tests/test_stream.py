"""Long streams: bounded memory gives the same incidents; a stopped run resumes to the same result."""
import pickle

import numpy as np
import pandas as pd
import pytest

from socialnlp.cluster import IncidentDetector, UMAPReducer
from socialnlp.scale.stream import detect_stream

KEYWORDS = ["keywords_en", "keywords_de", "keywords_zh"]
BOUNDED = {"dedup_horizon": "2h", "horizon": "auto"}   # min_horizon 4h10m: the demo's 2 days hold ~11 of them


def _feed(det, posts, V, n_chunks):
    """partial_fit in time order, chunk by chunk; the most posts held in memory at once."""
    order = np.lexsort((posts["id"].to_numpy(), posts["created_at"].to_numpy()))
    most = 0
    for part in np.array_split(order, n_chunks):
        det.partial_fit(posts.iloc[part], V[part])
        most = max(most, len(det._row_time))
    return most


def _same_incidents(a, b, keywords=True):
    sort = ["created_at", "id"]
    pa_, pb = (d.posts_.sort_values(sort).reset_index(drop=True) for d in (a, b))
    pd.testing.assert_frame_equal(pa_, pb, check_dtype=False, obj="posts_")
    drop = [] if keywords else KEYWORDS
    pd.testing.assert_frame_equal(a.clusters_.drop(columns=drop), b.clusters_.drop(columns=drop),
                                  check_dtype=False, obj="clusters_")
    for name in ("alerts_", "windows_", "links_", "history_"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_dtype=False, obj=name)


def test_horizon_shorter_than_the_detector_looks_back_is_refused():
    det = IncidentDetector(horizon="6h")     # dedup_horizon 24h: needs 25h10m
    with pytest.raises(ValueError, match="1 days 01:10:00"):
        det._reset()
    assert IncidentDetector(dedup_horizon="2h").min_horizon() == pd.Timedelta("4h10min")


@pytest.fixture(scope="module")
def unbounded(demo):
    posts, V = demo
    return IncidentDetector(classifier=None, dedup_horizon="2h").fit(posts, V)


def test_bounded_memory_gives_the_same_incidents_and_holds_a_fraction_of_the_posts(demo, unbounded):
    posts, V = demo
    det = IncidentDetector(classifier=None, **BOUNDED)
    most = _feed(det, posts, V, 24)
    det.flush()
    assert det.n_spilled_posts_ > 0 and most < 0.5 * len(posts)
    assert len(unbounded.clusters_) >= 7 and len(unbounded.alerts_) >= 7
    _same_incidents(det, unbounded, keywords=False)
    det.finish()                        # everything written out: the tables are unchanged
    assert len(det._row_time) == 0 and det.reports_ is not None and len(det.reports_) == 0
    _same_incidents(det, unbounded, keywords=False)


def test_the_helper_processes_change_nothing(demo, monkeypatch):
    import socialnlp.cluster.detector as detector

    posts, V = demo
    alone = IncidentDetector(classifier=None, n_jobs=1, **BOUNDED)
    _feed(alone, posts, V, 24)
    monkeypatch.setattr(detector, "HELPER_MIN_REPORTS", 0)   # the demo is below the size they start at
    helped = IncidentDetector(classifier=None, n_jobs=2, **BOUNDED)
    _feed(helped, posts, V, 24)   # with a horizon: reports are renumbered during a layout
    assert alone._layouts is None and helped._layouts is not None
    alone.flush()
    helped.flush()
    _same_incidents(alone, helped)
    assert helped._layouts.n_done == len(helped.windows_)   # every window was laid out by the helper
    assert not helped._layouts.broken
    copy = pickle.loads(pickle.dumps(helped))      # the helper processes stay behind
    assert copy._layouts is None
    _same_incidents(copy, helped)
    with pytest.raises(ValueError, match="n_jobs must be a whole number"):
        IncidentDetector(n_jobs="two").partial_fit(posts.iloc[:10], V[:10])


def test_windows_laid_out_by_the_helper_give_the_same_incidents(demo, unbounded, monkeypatch):
    import socialnlp.cluster.detector as detector

    posts, V = demo
    monkeypatch.setattr(detector, "HELPER_MIN_REPORTS", 0)
    helped = IncidentDetector(classifier=None, dedup_horizon="2h", n_jobs=2).fit(posts, V)
    assert helped._layouts.n_done == len(helped.windows_)
    _same_incidents(helped, unbounded)


class _NoPickle(UMAPReducer):
    def __reduce__(self):
        raise TypeError("this reducer stays in its process")


def test_a_reducer_the_helper_cannot_take_is_laid_out_here(demo, unbounded, monkeypatch):
    import socialnlp.cluster.detector as detector

    posts, V = demo
    monkeypatch.setattr(detector, "HELPER_MIN_REPORTS", 0)
    det = IncidentDetector(classifier=None, dedup_horizon="2h", n_jobs=2, reducer=_NoPickle())
    with pytest.warns(RuntimeWarning, match="layout helper failed"):
        det.fit(posts, V)
    assert det._layouts.broken and det._layouts.n_done == 0
    _same_incidents(det, unbounded)


def test_a_helper_that_dies_mid_stream_is_replaced_by_this_process(demo, unbounded, monkeypatch):
    import socialnlp.cluster.detector as detector

    posts, V = demo
    monkeypatch.setattr(detector, "HELPER_MIN_REPORTS", 0)
    det = IncidentDetector(classifier=None, dedup_horizon="2h", n_jobs=2)
    order = np.lexsort((posts["id"].to_numpy(), posts["created_at"].to_numpy()))
    first, rest = np.array_split(order, 2)
    det.partial_fit(posts.iloc[first], V[first])
    dead = det._layouts._processes[1].process   # one of the two
    dead.terminate()
    dead.join()
    with pytest.warns(RuntimeWarning, match="layout helper failed"):
        det.partial_fit(posts.iloc[rest], V[rest]).flush()
    assert det._layouts.broken and det._layouts.n_done > 0
    _same_incidents(det, unbounded)
    fresh = IncidentDetector(classifier=None, n_jobs=2).partial_fit(posts.iloc[first], V[first])
    assert len(fresh._layouts._processes) == 2 and not fresh._layouts.broken   # a new helper for the next one
    assert all(p.alive() for p in fresh._layouts._processes) and dead not in [p.process for p in fresh._layouts._processes]


def test_the_helper_lets_openmp_threads_sleep_and_exits_when_stopped():
    """Its OpenMP threads must not spin on the detector's core (benchmarks/stream.py cores), and
    stopping it ends the process at once."""
    import os

    from socialnlp.cluster.layout_helper import LayoutHelper, _HelperProcess

    helper = LayoutHelper().start()
    ticket = helper.submit(os.getenv, "OMP_WAIT_POLICY")
    policy = helper.result(ticket, lambda: "not from the helper")
    assert policy == os.environ.get("OMP_WAIT_POLICY", "PASSIVE")
    own = _HelperProcess()
    own.receive(own.send(os.getpid, ()))   # started and idle
    own.stop()
    assert not own.process.is_alive() and own.process.exitcode == 0   # ended itself: not terminated


def test_memory_does_not_grow_with_the_length_of_the_period():
    rng = np.random.default_rng(0)
    dim, days = 64, 8
    rows, vecs = [], []
    centres = rng.normal(size=(days, dim))
    for minute in range(0, days * 1440, 3):
        day = minute // 1440
        burst = 600 <= minute % 1440 < 660     # one incident a day, 10:00-11:00
        v = centres[day] + 0.3 * rng.normal(size=dim) if burst else rng.normal(size=dim)
        rows.append({"id": f"p{minute}", "text": f"post {minute}", "lang": "en", "author": f"u{minute % 97}",
                     "created_at": pd.Timestamp("2026-03-01T00:00Z") + pd.Timedelta(minutes=minute), "is_issue": 1})
        vecs.append(v / np.linalg.norm(v))
    posts, V = pd.DataFrame(rows), np.array(vecs, dtype=np.float32)
    det = IncidentDetector(reducer="none", min_cluster_size=5, rule=False, **BOUNDED)
    held = []
    for day in range(days):
        part = (posts["created_at"].dt.day - 1 == day).to_numpy()
        det.partial_fit(posts[part], V[part])
        held.append(len(det._row_time))
    per_day = len(posts) // days
    assert max(held) < per_day                      # never more than a day of posts (horizon 4h10m)
    assert max(held[4:]) <= 1.1 * max(held[1:4])    # and not more late in the period than early
    det.flush()
    assert det.clusters_["incident_id"].nunique() >= days - 1


def test_a_saved_state_resumes_to_the_same_incidents(tmp_path, demo):
    posts, V = demo
    first = IncidentDetector(classifier=None, spill_dir=tmp_path / "a", **BOUNDED)
    _feed(first, posts, V, 6)
    first.flush()
    order = np.lexsort((posts["id"].to_numpy(), posts["created_at"].to_numpy()))
    half = order[: len(order) // 2]
    rest = order[len(order) // 2:]
    det = IncidentDetector(classifier=None, spill_dir=tmp_path / "b", **BOUNDED).partial_fit(posts.iloc[half], V[half])
    det.save_state(tmp_path / "state")
    det.partial_fit(posts.iloc[rest[:100]], V[rest[:100]])     # work after the save is lost with the crash ...
    resumed = IncidentDetector.load_state(tmp_path / "state")   # ... and its written-out parts are dropped
    resumed.partial_fit(posts.iloc[rest], V[rest]).flush()
    _same_incidents(resumed, first)


def test_a_state_saved_at_any_slot_resumes_to_the_same_incidents(tmp_path, demo, unbounded):
    """The next window's layout takes back what the last link assigned (IncidentDetector._close_slots):
    a saved state must carry that, wherever the stream is cut."""
    posts, V = demo
    order = np.lexsort((posts["id"].to_numpy(), posts["created_at"].to_numpy()))
    carried_back = 0
    for k, cut in enumerate(np.linspace(0, len(order), 9).astype(int)[1:-1]):
        det = IncidentDetector(classifier=None, dedup_horizon="2h").partial_fit(posts.iloc[order[:cut]],
                                                                                V[order[:cut]])
        carried_back += len(det._last_assigned)
        det.save_state(tmp_path / f"state{k}")
        resumed = IncidentDetector.load_state(tmp_path / f"state{k}")
        np.testing.assert_array_equal(resumed._last_assigned, det._last_assigned)
        resumed.partial_fit(posts.iloc[order[cut:]], V[order[cut:]]).flush()
        _same_incidents(resumed, unbounded)
    assert carried_back > 0


def test_a_stopped_detect_run_resumes_from_its_checkpoint(tmp_path, demo, monkeypatch):
    posts, _ = demo
    days = [posts[posts["created_at"].dt.day == d] for d in (3, 4)]
    files = []
    for k, day in enumerate(days):
        files.append(tmp_path / f"day{k}.csv")
        day.drop(columns=["label"]).to_csv(files[-1], index=False)
    run = dict(model=None, chunksize=400, **BOUNDED)
    whole = detect_stream(files, tmp_path / "whole", **run)

    calls = {"n": 0}
    real = IncidentDetector.partial_fit

    def crash_on_the_fifth(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(IncidentDetector, "partial_fit", crash_on_the_fifth)
    with pytest.raises(KeyboardInterrupt):
        detect_stream(files, tmp_path / "resumed", checkpoint=tmp_path / "ck", **run)
    monkeypatch.setattr(IncidentDetector, "partial_fit", real)
    again = detect_stream(files, tmp_path / "resumed", checkpoint=tmp_path / "ck", **run)
    assert again.resumed_at == 4 and again.n_accepted == len(posts) == whole.n_accepted
    for name in ("clusters.csv", "alerts.csv", "windows.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "resumed" / name), pd.read_csv(tmp_path / "whole" / name),
                                      obj=name)
    got, want = (pd.read_parquet(tmp_path / d / "posts.parquet").sort_values(["created_at", "id"]).reset_index(drop=True)
                 for d in ("resumed", "whole"))
    pd.testing.assert_frame_equal(got, want)
    assert (want["incident_id"] >= 0).sum() > 300
    with pytest.raises(ValueError, match="other settings"):
        detect_stream(files, tmp_path / "resumed", checkpoint=tmp_path / "ck", **{**run, "window": "30min"})


def test_detect_cli_reads_a_folder_as_one_long_stream(tmp_path, demo, capsys):
    from socialnlp.cli import main

    posts, _ = demo
    morning = posts[(posts["created_at"] >= "2026-03-03T05:00Z") & (posts["created_at"] < "2026-03-03T09:00Z")]
    folder = tmp_path / "posts"
    folder.mkdir()
    for k, part in enumerate(np.array_split(np.arange(len(morning)), 3)):
        morning.iloc[part].drop(columns=["is_issue"]).to_parquet(folder / f"part-{k}.parquet", index=False)
    assert main(["detect", str(folder), "-o", str(tmp_path / "x")]) == 2
    assert "--checkpoint" in capsys.readouterr().err
    args = ["detect", str(folder), "-o", str(tmp_path / "out"), "--checkpoint", str(tmp_path / "ck"), "--chunksize", "150"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert f"accepted {len(morning)}" in first and "incidents" in first
    clusters = pd.read_csv(tmp_path / "out" / "clusters.csv")
    assert len(clusters) >= 1 and "keywords_de" in clusters.columns
    assert main(args + ["--n-jobs", "1"]) == 0            # done already: resumes after the last chunk
    assert "resumed after chunk" in capsys.readouterr().out   # (processes are not a setting of the results)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "out" / "clusters.csv"), clusters)
    assert "gold_incident_id" in pd.read_parquet(tmp_path / "out" / "posts.parquet").columns


def test_bad_horizon_and_damaged_checkpoint_say_what_to_do(tmp_path, demo):
    with pytest.raises(ValueError, match="not a duration: use 'auto'"):
        IncidentDetector(horizon="soon")._reset()
    state = tmp_path / "ck" / "state"
    state.mkdir(parents=True)
    (state / "state.json").write_text("{oops")
    posts, V = demo
    with pytest.raises(ValueError, match="delete the checkpoint folder"):
        detect_stream(posts.head(50), tmp_path / "out", model=None, checkpoint=tmp_path / "ck")
    saved = IncidentDetector(reducer="none", rule=False, n_jobs=1).partial_fit(posts.head(200), V[:200])
    saved.save_state(tmp_path / "saved")
    array = tmp_path / "saved" / "arrays" / "last_assigned.npy"
    array.write_bytes(array.read_bytes()[:20])   # cut short
    with pytest.raises(ValueError, match=r"last_assigned\.npy: not a readable array.*delete the checkpoint folder"):
        IncidentDetector.load_state(tmp_path / "saved")


def test_both_detect_paths_keep_the_inputs_incident_id_as_gold(tmp_path, demo):
    from socialnlp.pipeline import run_detect

    posts, _ = demo
    morning = posts[(posts["created_at"] >= "2026-03-03T05:00Z") & (posts["created_at"] < "2026-03-03T09:00Z")]
    for name, extra in (("plain", {}), ("stream", {"checkpoint": tmp_path / "ck"})):
        run_detect(morning, tmp_path / name, model=None, **extra)
        out = pd.read_parquet(tmp_path / name / "posts.parquet").set_index("id")
        want = morning.set_index("id")["incident_id"]
        assert out["gold_incident_id"].loc[want.index].fillna("").tolist() == want.fillna("").tolist(), name
        assert (out["incident_id"] >= -1).all() and (out["incident_id"] >= 0).any(), name

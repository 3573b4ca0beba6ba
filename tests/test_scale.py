"""socialnlp.scale: scoring on Ray Data gives the local engine's scores and rejects."""
import glob
import importlib.util
import os
import sqlite3

import numpy as np
import pandas as pd
import pytest

from socialnlp.scale.ray_score import REJECT_COLUMN, REJECT_REASON, plan_actors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_POSTS = os.path.join(ROOT, "data", "demo", "posts.csv")
HAS_RAY = importlib.util.find_spec("ray") is not None
needs_ray = pytest.mark.skipif(not HAS_RAY, reason="ray is not installed (pip install 'socialnlp[scale]')")


def _posts(start: int, n: int) -> pd.DataFrame:
    from socialnlp import read_posts

    return read_posts(DEMO_POSTS).iloc[start : start + n].reset_index(drop=True)


def _bad_rows(dup_id: str) -> list[dict]:
    return [
        {"id": None, "text": "Kein Netz seit heute morgen"},                       # missing id
        {"id": "bad-text", "text": ""},                                           # empty text
        {"id": "bad-time", "text": "宽带断了一上午", "created_at": "yesterday"},   # no offset, unparseable
        {"id": "bad-label", "text": "Site is down", "label": "maybe"},              # label not 1/0/issue/noise
        {"id": dup_id, "text": "the same id again in this file"},                  # duplicate id in one file
    ]


def _as_raw(frame: pd.DataFrame) -> pd.DataFrame:
    """Contract values as an export would have them: times as ISO strings, everything text."""
    out = frame.copy()
    if "created_at" in out and isinstance(out["created_at"].dtype, pd.DatetimeTZDtype):
        out["created_at"] = out["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = out.astype(object).where(out.notna(), None)
    return out.map(lambda v: None if v is None else str(v))


# --- no Ray needed ------------------------------------------------------------------------
def test_plan_leaves_a_cpu_for_reading_and_writing():
    assert plan_actors(None, 1, 16) == (1, 15, 1.0)              # autoscaling up to CPUs - 1
    assert plan_actors(4, 1, 16) == (4, 4, 1.0)
    assert plan_actors(16, 1, 16) == (15, 15, 1.0)               # lowered, with a warning
    assert plan_actors(2, 0.5, 2) == (2, 2, 0.5)
    assert plan_actors(None, 1, 1) == (1, 1, 0.5)                # one CPU: half for the actor
    assert plan_actors(3, 1, None) == (3, 3, 1.0)                # cluster size unknown: as asked
    with pytest.raises(ValueError):
        plan_actors(0, 1, 4)


def test_scorer_marks_rejects_per_file_and_scores_the_rest_like_the_model():
    import pyarrow as pa

    from socialnlp.classify import load_model
    from socialnlp.scale import PostScorer
    from socialnlp.scale.ray_score import _pack_model

    good = _posts(0, 12)
    a = _as_raw(pd.concat([good.iloc[:6], pd.DataFrame(_bad_rows(str(good["id"][0])))], ignore_index=True))
    b = _as_raw(good.iloc[6:]).reset_index(drop=True)
    b.loc[len(b)] = {**{c: None for c in b.columns}, "id": str(good["id"][0]), "text": "same id, other file: fine"}
    a["path"], b["path"] = "a.parquet", "b.parquet"
    batch = pa.Table.from_pandas(pd.concat([a, b], ignore_index=True), preserve_index=False)

    scorer = PostScorer(_pack_model("default"), cache_dir=False, source_column="path")
    assert scorer.model._embedder().inner.processes == 1
    out = scorer(batch)
    assert out.num_rows == batch.num_rows                          # every row once: scored or rejected
    assert out.schema.field("created_at").type == pa.timestamp("ns", tz="UTC")
    assert out.schema.field("is_issue").type == pa.int64()
    frame = out.to_pandas()
    rej = frame[frame[REJECT_REASON].notna()]
    assert sorted(rej[REJECT_COLUMN]) == ["created_at", "id", "id", "label", "text"]
    assert set(rej["path"]) == {"a.parquet"}
    assert rej["p_issue"].isna().all()
    assert "seen earlier in this file" in rej.loc[rej["id"] == str(good["id"][0]), REJECT_REASON].iloc[0]

    scored = frame[frame[REJECT_REASON].isna()]
    assert len(scored) == 13
    expected = load_model("default", cache_dir=False).score_posts(good)
    mine = scored.drop_duplicates("id").set_index("id").loc[expected["id"]]  # the 'other file' copy of id 0 comes second
    np.testing.assert_allclose(mine["p_issue"].to_numpy(), expected["p_issue"].to_numpy(), atol=1e-6)
    assert (mine["is_issue"].to_numpy() == expected["is_issue"].to_numpy()).all()


def test_a_new_run_replaces_only_what_an_earlier_run_wrote(tmp_path):
    from socialnlp.scale.ray_score import REJECTS_FILE, _clear_previous

    out = tmp_path / "scored"
    out.mkdir()
    for name in ("0a1b_000000-0.parquet", REJECTS_FILE, "notes.txt"):
        (out / name).write_text("x")
    (out / "sub").mkdir()
    (out / "sub" / "keep.parquet").write_text("x")
    _clear_previous(str(out))
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "sub"]
    _clear_previous(str(tmp_path / "new" / "folder"))  # created when missing
    assert (tmp_path / "new" / "folder").is_dir()


def test_folders_are_checked_before_ray_starts(tmp_path):
    from socialnlp.io.contract import ContractError
    from socialnlp.scale import score_directory

    with pytest.raises(ContractError, match="no such folder"):
        score_directory(tmp_path / "missing", tmp_path / "out")
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "posts.csv").write_text("id,text\n1,hi\n")
    with pytest.raises(ContractError, match="Parquet parts only"):
        score_directory(tmp_path / "csv", tmp_path / "out")
    (tmp_path / "csv" / "posts.parquet").write_bytes(b"")
    with pytest.raises(ContractError, match="must not be the input folder or inside it"):
        score_directory(tmp_path / "csv", tmp_path / "csv" / "scored")


# --- on a local Ray instance ----------------------------------------------------------------
@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'socialnlp[scale]')")
    import ray.data

    ctx = ray.data.DataContext.get_current()
    bars = ctx.enable_progress_bars
    ctx.enable_progress_bars = False
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, object_store_memory=256 * 2**20, log_to_driver=False)
    yield ray
    ctx.enable_progress_bars = bars
    if started:
        ray.shutdown()


def _write_parts(folder) -> None:
    posts = _posts(0, 300)
    bad = _bad_rows(str(posts["id"][110]))
    parts = [
        pd.concat([posts.iloc[:100], pd.DataFrame(bad[:2])], ignore_index=True),
        pd.concat([posts.iloc[100:200], pd.DataFrame(bad[2:])], ignore_index=True),
        posts.iloc[200:],
    ]
    os.makedirs(folder)
    cols = list(posts.columns)
    for i, part in enumerate(parts):
        _as_raw(part[cols]).astype("string").to_parquet(os.path.join(folder, f"part-{i}.parquet"), index=False)


def _read_parts(folder) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(f) for f in sorted(glob.glob(os.path.join(folder, "*.parquet")))], ignore_index=True)


@needs_ray
@pytest.mark.slow
def test_score_directory_equals_local_score(ray_local, tmp_path):
    from socialnlp.classify import load_model
    from socialnlp.classify.scoring import score_path
    from socialnlp.scale import score_directory

    src = tmp_path / "in"
    _write_parts(src)
    ray_out, local_out = tmp_path / "scored_ray", tmp_path / "scored_local"
    ray_sum = score_directory(src, ray_out, num_actors=2, num_cpus_per_actor=0.5, cache_dir=tmp_path / "cache_ray")
    local_sum = score_path(load_model("default", cache_dir=tmp_path / "cache_local"), src, local_out, progress=False)

    assert ray_sum.n_read == ray_sum.n_scored + ray_sum.n_rejected == 305
    assert (ray_sum.n_read, ray_sum.n_scored, ray_sum.n_rejected, ray_sum.n_issues) == \
        (local_sum.n_read, local_sum.n_scored, local_sum.n_rejected, local_sum.n_issues)
    assert ray_sum.output == str(ray_out) and ray_sum.rejects == f"{ray_out}/_rejects.csv"

    ray_rows, local_rows = _read_parts(ray_out), _read_parts(local_out)
    assert list(ray_rows.columns) == list(local_rows.columns)
    assert sorted(ray_rows["id"]) == sorted(local_rows["id"])
    r, loc = ray_rows.set_index("id").sort_index(), local_rows.set_index("id").sort_index()
    np.testing.assert_allclose(r["p_issue"].to_numpy(), loc["p_issue"].to_numpy(), atol=1e-6)
    assert (r["is_issue"].to_numpy() == loc["is_issue"].to_numpy()).all()
    assert r["lang"].equals(loc["lang"]) and r["created_at"].equals(loc["created_at"])

    ray_rej = pd.read_csv(ray_sum.rejects, keep_default_na=False)
    local_rej = pd.concat([pd.read_csv(f, keep_default_na=False) for f in glob.glob(str(local_out / "*.rejects.csv"))])
    assert list(ray_rej.columns) == ["source", "id", "column", "reason"]
    assert sorted(zip(ray_rej["id"], ray_rej["column"])) == sorted(zip(local_rej["id"], local_rej["column"]))
    assert {os.path.basename(s) for s in ray_rej["source"]} == {"part-0.parquet", "part-1.parquet"}



@needs_ray
@pytest.mark.slow
def test_two_actors_share_one_embedding_cache(ray_local, tmp_path):
    import pyarrow as pa

    from socialnlp.scale import PostScorer
    from socialnlp.scale.ray_score import _pack_model

    class WhichActor(PostScorer):  # defined here so that Ray ships it by value
        def __call__(self, batch):
            out = super().__call__(batch)
            return out.append_column("pid", pa.array([os.getpid()] * out.num_rows))

    posts = _posts(1000, 240)
    ds = ray_local.data.from_pandas([posts.iloc[i : i + 80] for i in range(0, 240, 80)])  # three blocks
    cache = tmp_path / "cache"
    out = ds.map_batches(WhichActor, fn_constructor_kwargs={"model": _pack_model("default"), "cache_dir": str(cache)},
                         compute=ray_local.data.ActorPoolStrategy(size=2), batch_format="pyarrow", batch_size=40,
                         num_cpus=0.5).to_pandas()
    assert len(out) == 240 and out[REJECT_REASON].isna().all()
    assert out["pid"].nunique() == 2                                   # both actors embedded
    (db,) = glob.glob(str(cache / "*.sqlite"))
    n_cached = sqlite3.connect(db).execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
    from socialnlp.text.normalize import normalize_text

    assert n_cached == len({normalize_text(t) for t in posts["text"]})  # every text once, from both writers

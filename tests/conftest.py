import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("SOCIALNLP_SHARED_DATA", ROOT.parent / "shared" / "data"))
DEMO = ROOT / "data" / "demo"


def pytest_collection_modifyitems(config, items):
    if SHARED_DATA.is_dir():
        return
    skip = pytest.mark.skip(reason=f"needs the public data sets in {SHARED_DATA} (absent here)")
    for item in items:
        if "shared_data" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    # Tests never write into the user's embedding cache; one cache per test session.
    monkeypatch.setenv("SOCIALNLP_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "embedding-cache"))


@pytest.fixture(scope="session")
def use_embedder():
    from socialnlp.embed import get_embedder

    return get_embedder("use-multilingual", processes=1)


@pytest.fixture(scope="session")
def demo(use_embedder):
    """The demo stream with its gold labels as ``is_issue``, and USE embeddings of its issue posts."""
    import numpy as np

    from socialnlp.embed import CachedEmbedder
    from socialnlp.io import read_posts

    posts = read_posts(DEMO / "posts.csv", require_time=True)
    posts["is_issue"] = posts["label"].astype(int)
    V = np.zeros((len(posts), 512), dtype=np.float32)
    issue = posts["is_issue"].to_numpy() == 1
    V[issue] = CachedEmbedder(use_embedder).encode(posts.loc[issue, "text"].tolist())
    return posts, V

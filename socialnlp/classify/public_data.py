"""The labelled public data sets the default model is trained on (read from ../shared/data)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from socialnlp.io.adapters import DEFAULT_PATHS, read_dataset

TRAINING_SETS = ["crisislex", "complaints", "disaster_tweets", "germeval", "stc3", "weibo_complaints", "waimai", "ced"]
CITATIONS = {
    "crisislex": "CrisisLexT6 (Olteanu et al., ICWSM 2014)",
    "complaints": "Complaints on Twitter (Preoţiuc-Pietro et al., ACL 2019)",
    "disaster_tweets": "Disasters on Social Media (Figure Eight)",
    "germeval": "GermEval 2017 (Wojatzki et al.)",
    "stc3": "NTCIR-14 STC-3 DCH-1 (non-commercial research only; annotations CC BY 4.0)",
    "weibo_complaints": "Weibo complaint intensity (Fang et al., NAACL 2022)",
    "waimai": "SophonPlus ChineseNlpCorpus waimai_10k",
    "ced": "CED (Song et al.)",
}


def load_training_posts(data_dir: Path | None = None, verbose: bool = False) -> pd.DataFrame:
    """All labelled posts of :data:`TRAINING_SETS`, ids prefixed with the set name, with a ``dataset`` column."""
    frames = []
    for name in TRAINING_SETS:
        path = None if data_dir is None else Path(data_dir) / DEFAULT_PATHS[name]
        df = read_dataset(name, path)
        df = df[df["label"].notna()].copy()
        df["id"] = name + ":" + df["id"].astype(str)  # ids are unique within a set, not across sets
        df["dataset"] = name
        frames.append(df[["id", "text", "lang", "label", "dataset"]])
        if verbose:
            print(f"  {name:<18}{len(df):>7} labelled posts ({df['lang'].iloc[0]}, {df['label'].mean():.0%} issue)", flush=True)
    return pd.concat(frames, ignore_index=True)

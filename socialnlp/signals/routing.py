"""Route incidents to the team that owns them, by meaning, in any of en/de/zh.

Teams are described in a ``routes.yaml``::

    teams:
      network:
        description: Broadband, mobile data and internet outages
        examples: ["seit heute morgen kein Internet", "宽带断了一上午", "no signal since this morning"]
      payments:
        description: Card payments, billing and refunds
    unrouted_threshold: 0.35   # optional

The embedder is multilingual, so German examples route a Chinese incident: no team needs
examples in every language.

Confidence is a cosine similarity, not a probability: for each team, the mean of the
incident's similarity to the team prototype (normalised mean of the team's description and
example embeddings) and its best similarity to any single example, clipped to [0, 1]. The
prototype rewards what a team's examples share; the best example keeps a team that covers
several kinds of fault (broadband *and* mobile) from being averaged away. With
USE-multilingual and German-only examples, Chinese and English incidents a team owns scored
0.4–0.65 in our checks and unrelated posts mostly 0.1–0.25 (one short post reached 0.38 on a
shared "today"); an incident whose best team scores below the threshold is ``unrouted``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import yaml
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from socialnlp.embed.base import as_float32_unit, group_means
from socialnlp.embed.cache import CachedEmbedder

UNROUTED = "unrouted"
DEFAULT_UNROUTED_THRESHOLD = 0.35
KEYWORD_COLUMNS = ("keywords_en", "keywords_de", "keywords_zh")
TEXT_COLUMN = "representative_texts"
ROUTE_COLUMNS = ("team", "confidence", "runner_up", "runner_up_confidence")
_TOP_KEYS = ("teams", "unrouted_threshold")
_TEAM_KEYS = ("description", "examples")
_KEYWORD_SEPARATORS = re.compile(r"[,，、;；\s]+")


class RoutesError(ValueError):
    """A routes file that cannot be used, with the file and the key at fault."""


@dataclass(frozen=True)
class Team:
    name: str
    description: str
    examples: tuple[str, ...]

    @property
    def texts(self) -> tuple[str, ...]:
        """What the team is known by: its description (if any) and its examples."""
        return ((self.description,) if self.description else ()) + self.examples


@dataclass(frozen=True)
class Routes:
    teams: tuple[Team, ...]
    unrouted_threshold: float | None = None
    source: str = "<dict>"


def load_routes(path: str | Path) -> Routes:
    """Read and validate a ``routes.yaml``; errors name the file and the key at fault.

    >>> routes = load_routes("routes.yaml")                       # doctest: +SKIP
    >>> [team.name for team in routes.teams]                      # doctest: +SKIP
    ['network', 'payments']
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise RoutesError(f"{path}: YAML syntax error{where}: {problem}") from None
    return parse_routes(data, source=str(path))


def parse_routes(data: Any, source: str = "<dict>") -> Routes:
    """Validate routes already parsed from YAML (or written as a dict in a notebook)."""
    def fail(key: str, why: str):
        raise RoutesError(f"{source}: {key}: {why}")

    if not isinstance(data, Mapping):
        fail("<top level>", f"expected a mapping with a 'teams' key, got {_kind(data)}")
    for key in data:
        if key not in _TOP_KEYS:
            fail(str(key), f"unknown key (expected one of: {', '.join(_TOP_KEYS)})")
    if "teams" not in data:
        fail("teams", "missing: a routes file needs a 'teams' mapping of team name -> description/examples")
    teams_data = data["teams"]
    if not isinstance(teams_data, Mapping) or not teams_data:
        fail("teams", f"expected a non-empty mapping of team name -> description/examples, got {_kind(teams_data)}")
    teams = tuple(_parse_team(name, spec, fail) for name, spec in teams_data.items())
    threshold = data.get("unrouted_threshold")
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
            fail("unrouted_threshold", f"expected a number between 0 and 1, got {threshold!r}")
        threshold = float(threshold)
    return Routes(teams=teams, unrouted_threshold=threshold, source=source)


def _parse_team(name: Any, spec: Any, fail) -> Team:
    key = f"teams.{name}"
    if not isinstance(name, str) or not name.strip():
        fail(key, "team names must be non-empty strings")
    if name == UNROUTED:
        fail(key, f"'{UNROUTED}' is reserved for incidents no team matches")
    spec = {} if spec is None else spec
    if not isinstance(spec, Mapping):
        fail(key, f"expected a mapping with 'description' and/or 'examples', got {_kind(spec)}")
    for k in spec:
        if k not in _TEAM_KEYS:
            fail(f"{key}.{k}", f"unknown key (expected: {', '.join(_TEAM_KEYS)})")
    description = spec.get("description")
    if description is not None and not isinstance(description, str):
        fail(f"{key}.description", f"expected a string, got {_kind(description)}")
    examples = spec.get("examples")
    if examples is None:
        examples = []
    if not isinstance(examples, list):
        fail(f"{key}.examples", f"expected a list of strings, got {_kind(examples)}")
    for i, example in enumerate(examples):
        if not isinstance(example, str):
            fail(f"{key}.examples[{i}]", f"expected a string, got {_kind(example)} {example!r}")
    description = (description or "").strip()
    examples = tuple(e.strip() for e in examples if e.strip())
    if not description and not examples:
        fail(key, "a team needs a description or at least one example")
    return Team(name=name, description=description, examples=examples)


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def as_str_list(value: Any, split_words: bool = False) -> list[str]:
    """A cell as a list of strings: a list/array, a JSON list in a string, or a plain string
    (one item, or split on spaces and commas with ``split_words``). Blanks give ``[]``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = None
            if isinstance(parsed, list):
                return as_str_list(parsed)
        if split_words:
            return [w for w in _KEYWORD_SEPARATORS.split(text) if w]
        return [text] if text else []
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return [str(v).strip() for v in value if v is not None and not (isinstance(v, float) and np.isnan(v)) and str(v).strip()]
    return [str(value)]


def incident_texts(incidents) -> list[list[str]]:
    """The texts that stand for each incident.

    ``incidents`` is a clusters DataFrame (any of ``keywords_en``/``keywords_de``/``keywords_zh``,
    space- or comma-separated, and ``representative_texts``, a list or a JSON list), a list of
    strings (one text per incident) or a list of lists of strings. An incident's keywords
    become one text, each representative post another.
    """
    if isinstance(incidents, pd.DataFrame):
        keyword_cols = [c for c in KEYWORD_COLUMNS if c in incidents.columns]
        if not keyword_cols and TEXT_COLUMN not in incidents.columns:
            raise ValueError(f"an incidents table needs {TEXT_COLUMN!r} or keyword columns ({', '.join(KEYWORD_COLUMNS)}); "
                             f"columns found: {', '.join(map(str, incidents.columns))}")
        rows = []
        for _, row in incidents.iterrows():
            keywords = [w for c in keyword_cols for w in as_str_list(row[c], split_words=True)]
            texts = as_str_list(row[TEXT_COLUMN]) if TEXT_COLUMN in incidents.columns else []
            rows.append(([" ".join(keywords)] if keywords else []) + texts)
        return rows
    if isinstance(incidents, str):
        raise TypeError("route() takes a list of incidents; wrap a single text in a list")
    return [as_str_list(item) for item in incidents]


class Router(BaseEstimator):
    """Sends each incident to the team whose description and examples it is nearest.

    Parameters
    ----------
    routes : a ``routes.yaml`` path, a :class:`Routes` from :func:`load_routes`, or the same
        structure as a dict.
    embedder : name, folder or object (see :func:`socialnlp.embed.get_embedder`).
    threshold : below this confidence an incident is ``unrouted``; default: the routes file's
        ``unrouted_threshold``, else 0.35.
    cache_dir : embedding cache (``False`` for none).

    >>> router = Router("routes.yaml").fit()                      # doctest: +SKIP
    >>> clusters.join(router.route(clusters))                     # doctest: +SKIP
    """

    def __init__(self, routes, embedder="use-multilingual", threshold: float | None = None, cache_dir=None):
        self.routes = routes
        self.embedder = embedder
        self.threshold = threshold
        self.cache_dir = cache_dir

    def _embedder(self) -> CachedEmbedder:
        if getattr(self, "_cached_embedder", None) is None:
            emb = self.embedder if isinstance(self.embedder, CachedEmbedder) else CachedEmbedder(self.embedder, cache_dir=self.cache_dir)
            self._cached_embedder = emb
        return self._cached_embedder

    def fit(self, X=None, y=None):
        """Embed every team's description and examples (``X`` and ``y`` are ignored)."""
        routes = _as_routes(self.routes)
        texts = [text for team in routes.teams for text in team.texts]
        owners = np.repeat(np.arange(len(routes.teams)), [len(team.texts) for team in routes.teams])
        vectors = self._embedder().encode(texts)
        prototypes = np.stack([vectors[owners == i].mean(axis=0) for i in range(len(routes.teams))])
        self.teams_ = [team.name for team in routes.teams]
        self.example_vectors_ = vectors
        self.example_team_ = owners
        self.prototypes_ = as_float32_unit(prototypes)
        chosen = self.threshold if self.threshold is not None else routes.unrouted_threshold
        self.threshold_ = float(DEFAULT_UNROUTED_THRESHOLD if chosen is None else chosen)
        return self

    def transform(self, incidents) -> np.ndarray:
        """One unit vector per incident: the normalised mean of its texts' embeddings
        (zeros for an incident with no text)."""
        return self._incident_vectors(incident_texts(incidents))

    def similarity(self, incidents) -> np.ndarray:
        """Confidence of every (incident, team) pair, shape (n_incidents, n_teams), in [0, 1]."""
        return self._scores(incident_texts(incidents))

    def route(self, incidents) -> pd.DataFrame:
        """The team, confidence and runner-up of each incident (index aligned with a DataFrame input).

        An incident whose best confidence is below ``threshold_`` gets team ``unrouted``; its
        ``runner_up`` then names the nearest team, so a person can forward it by hand.
        """
        groups = incident_texts(incidents)
        rows = [self._route_one(s, bool(g)) for s, g in zip(self._scores(groups), groups)]
        index = incidents.index if isinstance(incidents, pd.DataFrame) else None
        return pd.DataFrame(rows, columns=list(ROUTE_COLUMNS), index=index).astype({"confidence": float, "runner_up_confidence": float})

    def _incident_vectors(self, groups: list[list[str]]) -> np.ndarray:
        vectors = self._embedder().encode([text for group in groups for text in group])
        return group_means(vectors, [len(group) for group in groups])

    def _scores(self, groups: list[list[str]]) -> np.ndarray:
        check_is_fitted(self, "prototypes_")
        X = self._incident_vectors(groups)
        to_prototype = X @ self.prototypes_.T
        first_example_of_team = np.flatnonzero(np.r_[True, np.diff(self.example_team_) != 0])
        best_example = np.maximum.reduceat(X @ self.example_vectors_.T, first_example_of_team, axis=1)
        return np.clip((to_prototype + best_example) / 2, 0.0, 1.0)

    def _route_one(self, scores: np.ndarray, has_text: bool) -> tuple:
        if not has_text:
            return (UNROUTED, 0.0, None, np.nan)
        order = np.argsort(-scores, kind="stable")
        best, best_score = self.teams_[order[0]], float(scores[order[0]])
        if best_score < self.threshold_:
            return (UNROUTED, best_score, best, best_score)
        if len(order) == 1:
            return (best, best_score, None, np.nan)
        return (best, best_score, self.teams_[order[1]], float(scores[order[1]]))


def _as_routes(routes) -> Routes:
    if isinstance(routes, Routes):
        return routes
    if isinstance(routes, Mapping):
        return parse_routes(routes)
    if isinstance(routes, (str, Path)):
        return load_routes(routes)
    raise TypeError(f"routes must be a routes.yaml path, a Routes or a dict; got {type(routes).__name__}")


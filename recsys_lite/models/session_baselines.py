"""Next-item prediction in sessions: the evaluation and the simple baselines GRU4Rec is
compared with (Hidasi et al. 2016; Ludewig & Jannach 2018).

A *prediction point* is every position t >= 1 of a test session: from the prefix
items[0:t], predict items[t]. `next_item_points` lists them; a model's `score_points` gives one
row of item scores per point; `evaluate_next_item` ranks the full catalogue for each point
(the prefix's own items excluded, as a film is rated once) and reports Recall@k (the target
is in the top k) and MRR@k (1 / its rank, 0 beyond k), averaged over points.

Baselines, each fitted on training `Sessions`:

* `SessionPopularity` (POP): the items most frequent in training, the same for every point;
* `SessionItemPopularity` (S-POP): items frequent in the current prefix first, ties broken by
  POP (on rating sessions, where nothing repeats, this is POP);
* `SessionKNN` (SKNN): the items of the training sessions most similar to the prefix, weighted
  by their similarity (Jannach & Ludewig 2017);
* `MarkovChain`: the items that most often directly followed the prefix's last item in
  training sessions (a first-order Markov model of transitions), ties broken by POP.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._checks import fraction, one_of, whole_number
from ..data.sessions import Sessions
from ..evaluation import _resampled


def next_item_points(sessions: Sessions) -> tuple[np.ndarray, np.ndarray]:
    """(session number, position t) of every prediction point, t = 1 .. length - 1."""
    if not isinstance(sessions, Sessions):
        raise TypeError(f"sessions must be Sessions (cut_sessions), got {type(sessions).__name__}.")
    counts = np.maximum(sessions.lengths - 1, 0)
    session = np.repeat(np.arange(len(sessions)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return session, np.arange(len(session)) - first + 1


def _prefix_matrix(sessions: Sessions, session: np.ndarray, position: np.ndarray, *,
                   binary: bool = True) -> sp.csr_matrix:
    """points x items: 1 where an item is in the point's prefix, or (``binary=False``) how often
    it occurs there."""
    lengths = position
    rows = np.repeat(np.arange(len(session)), lengths)
    starts = np.repeat(sessions.offsets[session], lengths)
    within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    items = sessions.items[starts + within]
    m = sp.csr_matrix((np.ones(len(rows)), (rows, items)), shape=(len(session), sessions.n_items))
    m.sum_duplicates()
    if binary:
        m.data[:] = 1.0
    return m


class SessionBaseline:
    """Fit on training `Sessions` (the seconds it took in ``fit_seconds_``);
    `score_points(sessions, session, position)` gives one row of item scores per prediction
    point."""

    def fit(self, train: Sessions) -> "SessionBaseline":
        if not isinstance(train, Sessions):
            raise TypeError(f"train must be Sessions (cut_sessions), got {type(train).__name__}.")
        if not len(train.items):
            raise ValueError("train has no events.")
        self.n_items_ = train.n_items
        self.popularity_ = np.bincount(train.items, minlength=train.n_items).astype(float)
        start = time.perf_counter()
        self._fit(train)
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _fit(self, train: Sessions) -> None:
        pass

    def score_points(self, sessions: Sessions, session, position) -> np.ndarray:
        if not hasattr(self, "n_items_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet; call fit(train) first.")
        if not isinstance(sessions, Sessions) or sessions.n_items != self.n_items_:
            raise ValueError(f"sessions must be Sessions over the training catalogue of {self.n_items_} items.")
        session, position = np.asarray(session), np.asarray(position)
        problem = "session and position must be matching 1-D arrays of prediction points (next_item_points)"
        if session.shape != position.shape or session.ndim != 1:
            raise ValueError(f"{problem}; got shapes {session.shape} and {position.shape}.")
        if np.any((session < 0) | (session >= len(sessions))):
            raise ValueError(f"{problem}; a session number is outside 0 .. {len(sessions) - 1}.")
        if np.any((position < 1) | (position >= sessions.lengths[session])):
            raise ValueError(f"{problem}; a position is outside 1 .. its session's length - 1.")
        return self._score(sessions, session, position)

    def _tie_break(self) -> np.ndarray:
        """POP scaled into [0, 1): added to whole-number scores, it orders their ties."""
        return self.popularity_ / (self.popularity_.max() + 1)


class SessionPopularity(SessionBaseline):
    """POP: training frequency, the same ranking for every point."""

    def _score(self, sessions, session, position):
        return np.broadcast_to(self.popularity_, (len(session), self.n_items_)).copy()


class SessionItemPopularity(SessionBaseline):
    """S-POP: how often an item occurs in the prefix, ties broken by POP."""

    def _score(self, sessions, session, position):
        counts = _prefix_matrix(sessions, session, position, binary=False)
        return counts.toarray() + self._tie_break()


class MarkovChain(SessionBaseline):
    """First-order transitions: score(j | last item i) = how often j directly followed i in a
    training session; ties broken by POP."""

    def _fit(self, train):
        same = np.ones(len(train.items) - 1, dtype=bool)
        same[train.offsets[1:-1] - 1] = False                      # no transition across sessions
        src, dst = train.items[:-1][same], train.items[1:][same]
        self.transitions_ = sp.csr_matrix((np.ones(len(src)), (src, dst)), shape=(self.n_items_, self.n_items_))

    def _score(self, sessions, session, position):
        last = sessions.items[sessions.offsets[session] + position - 1]
        return self.transitions_[last].toarray() + self._tie_break()


def evaluate_next_item(model: SessionBaseline, sessions: Sessions, *, k: int = 20, batch: int = 2000) -> pd.DataFrame:
    """Recall@k and MRR@k of ``model`` at every prediction point of ``sessions``: a DataFrame
    with one row per point (session, position, target, rank (0 = first), recall, mrr). The full
    catalogue is ranked; the items of the point's own prefix are excluded (so a target that
    repeats one of them cannot be hit), and an item scoring the same as the target ranks ahead
    of it."""
    k = whole_number(k, "k")
    batch = whole_number(batch, "batch")
    session, position = next_item_points(sessions)
    if not len(session):
        raise ValueError("sessions have no prediction point (every session has one event).")
    target = sessions.items[sessions.offsets[session] + position]
    ranks = np.empty(len(session), dtype=np.int64)
    for start in range(0, len(session), batch):
        part = slice(start, start + batch)
        scores = np.asarray(model.score_points(sessions, session[part], position[part]), dtype=float)
        prefix = _prefix_matrix(sessions, session[part], position[part])
        rows = np.repeat(np.arange(prefix.shape[0]), np.diff(prefix.indptr))
        scores[rows, prefix.indices] = -np.inf
        own = scores[np.arange(scores.shape[0]), target[part]]
        # ties are counted against the target: a model that cannot tell items apart gains nothing
        ranks[part] = (scores >= own[:, None]).sum(axis=1) - 1
    hit = ranks < k
    return pd.DataFrame({"session": session, "position": position, "target": target, "rank": ranks,
                         "recall": hit.astype(float), "mrr": np.where(hit, 1.0 / (ranks + 1), 0.0)})


class SessionKNN(SessionBaseline):
    """Session-based kNN (Jannach & Ludewig 2017): compare the prefix s with every training
    session n by the cosine of their item sets, sim(s, n) = |s ∩ n| / sqrt(|s| |n|); keep the
    ``neighbours`` most similar; score(i) = Σ over those n containing i of sim(s, n). Ties (items
    no neighbour holds) are broken by POP. The original samples the most recent sessions first
    (for speed on large logs); this one compares with all of them."""

    def __init__(self, *, neighbours: int = 100):
        self.neighbours = neighbours

    def _fit(self, train):
        whole_number(self.neighbours, "neighbours")
        rows = np.repeat(np.arange(len(train)), train.lengths)
        m = sp.csr_matrix((np.ones(len(rows)), (rows, train.items)), shape=(len(train), self.n_items_))
        m.sum_duplicates()
        m.data[:] = 1.0
        self.sessions_ = m                                            # training sessions x items, binary
        self.session_sizes_ = np.asarray(m.sum(axis=1)).ravel()

    def _score(self, sessions, session, position):
        prefix = _prefix_matrix(sessions, session, position)
        overlap = (prefix @ self.sessions_.T).toarray()               # points x training sessions
        sizes = np.asarray(prefix.sum(axis=1))
        sim = overlap / np.sqrt(sizes * self.session_sizes_[None, :])
        k = min(whole_number(self.neighbours, "neighbours"), sim.shape[1])
        if k < sim.shape[1]:
            cut = np.argpartition(-sim, k - 1, axis=1)[:, k:]
            np.put_along_axis(sim, cut, 0.0, axis=1)
        scores = (sp.csr_matrix(sim) @ self.sessions_).toarray()
        # POP orders the ties, scaled far below any gap between two different neighbour sums
        return scores + self._tie_break() * (1e-6 * scores[scores > 0].min(initial=1.0))


def _by_session(points: pd.DataFrame, metric: str) -> pd.DataFrame:
    if not isinstance(points, pd.DataFrame) or not {"session", metric} <= set(points.columns):
        raise ValueError(f"expected the DataFrame evaluate_next_item returns, with a {metric!r} column.")
    return points.groupby("session")[metric].agg(["sum", "count"])


def session_interval(points: pd.DataFrame, metric: str = "recall", *, n_resamples: int = 2000, level: float = 0.95,
                     seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of a mean over prediction points, resampling whole sessions
    (the points of one session are not independent)."""
    one_of(metric, "metric", ("recall", "mrr"))
    (values,) = _resampled([_by_session(points, metric)], metric, whole_number(n_resamples, "n_resamples", minimum=100),
                           whole_number(seed, "seed", minimum=0))
    alpha = (1 - fraction(level, "level")) / 2
    return float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha))


def paired_session_difference(a: pd.DataFrame, b: pd.DataFrame, metric: str = "recall", *, n_resamples: int = 2000,
                              level: float = 0.95, seed: int = 0) -> dict:
    """``metric`` of ``a`` minus that of ``b`` (two `evaluate_next_item` results on the same test
    sessions) with a paired bootstrap interval over sessions."""
    one_of(metric, "metric", ("recall", "mrr"))
    fa, fb = _by_session(a, metric), _by_session(b, metric)
    if not fa.index.equals(fb.index) or not np.array_equal(fa["count"], fb["count"]):
        raise ValueError("a and b must be evaluated on the same sessions and prediction points.")
    va, vb = _resampled([fa, fb], metric, whole_number(n_resamples, "n_resamples", minimum=100),
                        whole_number(seed, "seed", minimum=0))
    alpha = (1 - fraction(level, "level")) / 2
    diff = va - vb
    return {"difference": float(fa["sum"].sum() / fa["count"].sum() - fb["sum"].sum() / fb["count"].sum()),
            "low": float(np.quantile(diff, alpha)), "high": float(np.quantile(diff, 1 - alpha)), "sessions": len(fa)}


"""Ranking, set-based and beyond-accuracy metrics: hand-computed cases, properties, agreement
with scikit-learn where definitions coincide, and the batched form against the one-user form."""
import math

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics import average_precision_score, ndcg_score, roc_auc_score

from recsys_lite import metrics as M

# The worked example used throughout: a ranked list of 6 items, relevant = {a, c, f, z}
# (z is never recommended).   position: 1  2  3  4  5  6
RANKED = ["a", "b", "c", "d", "e", "f"]   # rel:     1  0  1  0  0  1
RELEVANT = {"a", "c", "f", "z"}


def test_precision_recall_at_k_by_hand():
    assert M.precision_at_k(RANKED, RELEVANT, 1) == 1.0
    assert M.precision_at_k(RANKED, RELEVANT, 3) == pytest.approx(2 / 3)
    assert M.precision_at_k(RANKED, RELEVANT, 6) == pytest.approx(3 / 6)
    assert M.recall_at_k(RANKED, RELEVANT, 3) == pytest.approx(2 / 4)
    assert M.recall_at_k(RANKED, RELEVANT, 6) == pytest.approx(3 / 4)
    assert M.precision_at_k(RANKED, RELEVANT, 10) == pytest.approx(3 / 10)  # missing places are misses


def test_average_precision_by_hand():
    # hits at 1, 3, 6: P@1 = 1, P@3 = 2/3, P@6 = 1/2; sum = 13/6
    assert M.average_precision_at_k(RANKED, RELEVANT, 6) == pytest.approx((13 / 6) / 4)           # min(6, 4)
    assert M.average_precision_at_k(RANKED, RELEVANT, 3) == pytest.approx((1 + 2 / 3) / 3)       # min(3, 4)
    assert M.average_precision_at_k(RANKED, RELEVANT, 3, "relevant") == pytest.approx((5 / 3) / 4)
    assert M.average_precision_at_k(RANKED, RELEVANT, 3, "hits") == pytest.approx((5 / 3) / 2)
    assert M.average_precision_at_k(["b", "d"], RELEVANT, 2, "hits") == 0.0


def test_ndcg_by_hand():
    dcg = 1 / math.log2(2) + 1 / math.log2(4) + 1 / math.log2(7)
    idcg = sum(1 / math.log2(i + 1) for i in range(1, 5))
    assert M.ndcg_at_k(RANKED, RELEVANT, 6) == pytest.approx(dcg / idcg)
    idcg3 = sum(1 / math.log2(i + 1) for i in range(1, 4))
    assert M.ndcg_at_k(RANKED, RELEVANT, 3) == pytest.approx((1 + 0.5) / idcg3)
    gains = {"a": 1, "c": 3, "f": 2, "z": 5}
    graded = (1 / 1 + 3 / 2) / (5 / 1 + 3 / math.log2(3) + 2 / 2)
    assert M.ndcg_at_k(RANKED, RELEVANT, 3, gains=gains) == pytest.approx(graded)


def test_rank_metrics_by_hand():
    assert M.reciprocal_rank(["b", "c", "a"], RELEVANT) == pytest.approx(1 / 2)
    assert M.reciprocal_rank(["b", "d", "a"], RELEVANT, k=2) == 0.0
    assert M.hit_rate_at_k(["b", "d", "a"], RELEVANT, 2) == 0.0
    assert M.hit_rate_at_k(["b", "d", "a"], RELEVANT, 3) == 1.0


def test_mar_by_hand_and_its_closed_form():
    # hits at 1, 3, 6 with |R| = 4: R@1 = 1/4, R@3 = 2/4, R@6 = 3/4; (1/4 + 2/4 + 3/4) / 4
    assert M.mar_at_k(RANKED, RELEVANT, 6) == pytest.approx(1.5 / 4)
    h, n = 3, 4
    assert M.mar_at_k(RANKED, RELEVANT, 6) == pytest.approx(h * (h + 1) / (2 * n * n))
    # it ignores where the hits are: the same hits in another order give the same value
    assert M.mar_at_k(["b", "d", "e", "a", "c", "f"], RELEVANT, 6) == M.mar_at_k(RANKED, RELEVANT, 6)


def test_set_metrics_by_hand():
    rec, used = {1, 2, 3, 4}, {3, 4, 5}
    assert M.confusion_counts(rec, used, n_items=10) == {"TP": 2, "FP": 2, "FN": 1, "TN": 5}
    assert M.precision(rec, used) == 0.5 and M.recall(rec, used) == pytest.approx(2 / 3)
    assert M.f_measure(rec, used) == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert M.f_measure(rec, used, beta=2) == pytest.approx(5 * 0.5 * (2 / 3) / (4 * 0.5 + 2 / 3))
    assert M.f_measure({1}, {2}) == 0.0


def test_over_users():
    ranked = [RANKED, ["z", "q"], ["q"]]
    relevant = [RELEVANT, {"z"}, set()]   # the third user has nothing relevant: skipped
    assert M.map_at_k(ranked, relevant, 2) == pytest.approx((M.average_precision_at_k(RANKED, RELEVANT, 2) + 1) / 2)
    assert M.mean_recall_at_k(ranked, relevant, 2) == pytest.approx((1 / 4 + 1) / 2)
    assert M.mean_precision_at_k(ranked, relevant, 2) == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert M.mean_reciprocal_rank(ranked, relevant) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="one entry per user"):
        M.map_at_k(ranked, relevant[:2], 2)


def test_no_relevant_items_is_documented():
    assert M.precision_at_k(["a"], set(), 1) == 0.0
    for f in (M.recall_at_k, M.average_precision_at_k, M.ndcg_at_k, M.hit_rate_at_k, M.mar_at_k):
        assert math.isnan(f(["a"], set(), 1))
    assert math.isnan(M.reciprocal_rank(["a"], set()))
    assert math.isnan(M.auc([0.1, 0.2], [0, 0]))


# ---- properties ---------------------------------------------------------------------------------
rng = np.random.default_rng(0)
CASES = [(list(rng.permutation(30)), set(rng.choice(30, rng.integers(1, 12), replace=False).tolist()), int(k))
         for k in rng.integers(1, 25, 40)]


@pytest.mark.parametrize("ranked,relevant,k", CASES)
def test_bounds_and_reordering_below_k(ranked, relevant, k):
    fs = [M.precision_at_k, M.recall_at_k, M.average_precision_at_k, M.ndcg_at_k, M.hit_rate_at_k, M.mar_at_k]
    values = [f(ranked, relevant, k) for f in fs]
    assert all(0 <= v <= 1 for v in values)
    shuffled = ranked[:k] + list(np.random.default_rng(k).permutation(ranked[k:]))
    assert [f(shuffled, relevant, k) for f in fs] == values
    assert M.recall_at_k(ranked, relevant, k) <= M.recall_at_k(ranked, relevant, k + 1)  # monotone in k
    assert M.average_precision_at_k(ranked, relevant, k, "relevant") <= M.recall_at_k(ranked, relevant, k) + 1e-12


@pytest.mark.parametrize("ranked,relevant,k", CASES)
def test_perfect_and_worst_rankings(ranked, relevant, k):
    rest = [i for i in ranked if i not in relevant]
    perfect, worst = sorted(relevant) + rest, rest + sorted(relevant)
    assert M.ndcg_at_k(perfect, relevant, k) == pytest.approx(1.0)
    assert M.average_precision_at_k(perfect, relevant, k) == pytest.approx(1.0)
    assert M.precision_at_k(perfect, relevant, k) == pytest.approx(min(k, len(relevant)) / k)
    if k <= len(rest):
        assert M.ndcg_at_k(worst, relevant, k) == 0 and M.precision_at_k(worst, relevant, k) == 0
        assert M.reciprocal_rank(worst, relevant, k) == 0


# ---- against scikit-learn -------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(8))
def test_against_scikit_learn(seed):
    r = np.random.default_rng(seed)
    n = 40
    scores = r.permutation(n).astype(float)          # distinct scores: one ranking
    relevance = (r.random(n) < 0.3).astype(int)
    relevance[r.integers(n)] = 1
    ranked = list(np.argsort(-scores))
    relevant = set(np.flatnonzero(relevance).tolist())
    for k in (1, 5, 10, n):
        assert M.ndcg_at_k(ranked, relevant, k) == pytest.approx(ndcg_score([relevance], [scores], k=k))
    grades = r.integers(0, 4, n) * relevance
    graded_rel = set(np.flatnonzero(grades).tolist()) or {int(np.argmax(relevance))}
    gains = {i: float(grades[i]) for i in graded_rel}
    if sum(gains.values()) > 0:
        assert M.ndcg_at_k(ranked, graded_rel, 10, gains=gains) == pytest.approx(ndcg_score([grades], [scores], k=10))
    assert M.average_precision_at_k(ranked, relevant, n) == pytest.approx(average_precision_score(relevance, scores))
    assert M.auc(scores, relevance) == pytest.approx(roc_auc_score(relevance, scores))


def test_auc_with_ties_matches_scikit_learn():
    scores, labels = [0.1, 0.4, 0.4, 0.8, 0.4], [0, 1, 0, 1, 1]
    assert M.auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores))


# ---- beyond accuracy --------------------------------------------------------------------------------
def test_beyond_accuracy_by_hand():
    rec = np.array([[0, 1], [0, 2]])
    assert M.catalogue_coverage(rec, 4) == 0.75
    pop = np.array([0.5, 0.25, 0.125, 0.0])
    assert M.novelty(rec, pop) == pytest.approx((1 + 2 + 1 + 3) / 4)
    sim = np.array([[1, 0.5, 0.0, 0], [0.5, 1, 0, 0], [0.0, 0, 1, 0], [0, 0, 0, 1]])
    assert M.intra_list_diversity(rec, sim) == pytest.approx(((1 - 0.5) + (1 - 0.0)) / 2)
    # exposures 2, 1, 1, 0 sorted: 0, 1, 1, 2; G = (-3*0 - 1*1 + 1*1 + 3*2) / (4 * 4)
    assert M.gini_index(rec, 4) == pytest.approx(6 / 16)
    assert M.gini_index(np.array([[0, 1], [2, 3]]), 4) == 0.0
    assert M.gini_index(np.array([[0], [0], [0]]), 1000) == pytest.approx(999 / 1000)


# ---- batched --------------------------------------------------------------------------------------
def test_batched_matches_one_user_form():
    r = np.random.default_rng(1)
    n_users, n_items, k = 60, 50, 8
    top = np.array([r.permutation(n_items)[:k] for _ in range(n_users)])
    top[3, 5:] = -1                                         # padding
    dense = (r.random((n_users, n_items)) < 0.15) * r.integers(1, 6, (n_users, n_items))
    dense[7] = 0                                            # a user with nothing relevant
    rel = sp.csr_matrix(dense.astype(float))
    out = M.ranking_metrics(top, rel, k)
    graded = M.ranking_metrics(top, rel, k, graded=True)
    for u in range(n_users):
        ranked = [i for i in top[u] if i >= 0]
        relevant = set(np.flatnonzero(dense[u]).tolist())
        one = {"precision": M.precision_at_k(ranked, relevant, k) if relevant else math.nan,
               "recall": M.recall_at_k(ranked, relevant, k), "ndcg": M.ndcg_at_k(ranked, relevant, k),
               "map": M.average_precision_at_k(ranked, relevant, k), "mrr": M.reciprocal_rank(ranked, relevant, k),
               "hit_rate": M.hit_rate_at_k(ranked, relevant, k), "mar": M.mar_at_k(ranked, relevant, k)}
        for name, value in one.items():
            np.testing.assert_allclose(out[name][u], value, err_msg=f"{name} user {u}")
        if relevant:
            gains = {i: float(dense[u, i]) for i in relevant}
            np.testing.assert_allclose(graded["ndcg"][u], M.ndcg_at_k(ranked, relevant, k, gains=gains))


def test_auc_per_user_matches_scikit_learn():
    r = np.random.default_rng(2)
    scores = r.random((20, 30))
    rel = (r.random((20, 30)) < 0.2).astype(float)
    seen = (r.random((20, 30)) < 0.3) & (rel == 0)
    a = M.auc_per_user(scores, sp.csr_matrix(rel), sp.csr_matrix(seen))
    for u in range(20):
        keep = ~seen[u]
        if 0 < rel[u, keep].sum() < keep.sum():
            assert a[u] == pytest.approx(roc_auc_score(rel[u, keep], scores[u, keep]))
        else:
            assert math.isnan(a[u])


# ---- bad inputs name the argument -------------------------------------------------------------------
@pytest.mark.parametrize("k", [0, -2, 1.5, None, True])
def test_bad_k(k):
    with pytest.raises(ValueError, match="k must be"):
        M.precision_at_k(RANKED, RELEVANT, k)


def test_bad_inputs():
    with pytest.raises(ValueError, match="ranked contains an item more than once"):
        M.ndcg_at_k(["a", "a"], {"a"}, 2)
    with pytest.raises(ValueError, match="ranked must be a sequence"):
        M.recall_at_k(5, {"a"}, 2)
    with pytest.raises(ValueError, match="relevant contains NaN"):
        M.recall_at_k([1.0], {float("nan")}, 1)
    with pytest.raises(ValueError, match="normalize"):
        M.average_precision_at_k(RANKED, RELEVANT, 3, "total")
    with pytest.raises(ValueError, match="gains has no value"):
        M.ndcg_at_k(RANKED, RELEVANT, 3, gains={"a": 1})
    with pytest.raises(ValueError, match="n_items"):
        M.confusion_counts({1, 2}, {3}, n_items=2)
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        M.auc([0.1, 0.2], [0, 2])
    with pytest.raises(ValueError, match="top_items must be"):
        M.ranking_metrics(np.arange(3), sp.csr_matrix((1, 3)))
    with pytest.raises(ValueError, match="rows"):
        M.ranking_metrics(np.array([[0, 1, 2], [0, 1, 2]]), sp.csr_matrix((1, 3)))
    with pytest.raises(ValueError, match="item_popularity"):
        M.novelty(np.array([[0]]), [1.5])

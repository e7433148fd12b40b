"""Chapter 9's sessions: cutting a rating log at gaps, the time split, and GRU4Rec's
session-parallel mini-batches, on hand-made logs."""
import numpy as np
import pandas as pd
import pytest

from recsys_lite.data import Dataset
from recsys_lite.data.sessions import Sessions, cut_sessions, session_parallel_batches, split_sessions_by_time


def log(rows, n_users=3, n_items=8):
    """A Dataset from (user, item, timestamp) rows."""
    r = pd.DataFrame(rows, columns=["user", "item", "timestamp"]).assign(rating=4.0)
    users = pd.DataFrame({"user_id": np.arange(1, n_users + 1)})
    items = pd.DataFrame({"item_id": np.arange(1, n_items + 1), "title": [f"film {i}" for i in range(n_items)],
                          "genres": [("Drama",)] * n_items})
    return Dataset(r[["user", "item", "rating", "timestamp"]], users, items)


def sessions_of(lists, n_items=10):
    lengths = [len(x) for x in lists]
    return Sessions(np.concatenate(lists).astype(int), np.concatenate([[0], np.cumsum(lengths)]),
                    np.zeros(len(lists), dtype=int), np.arange(len(lists)), n_items)


def test_sessions_are_cut_at_gaps_per_user_in_time_order():
    data = log([(0, 1, 100), (0, 2, 0), (1, 3, 10), (0, 4, 5000), (1, 5, 20), (0, 6, 5100), (0, 7, 5100),
                (2, 0, 7)])
    s = cut_sessions(data, gap=3600)
    got = [(int(s.users[k]), s.session(k).tolist()) for k in range(len(s))]
    assert got == [(0, [2, 1]), (0, [4, 6, 7]), (1, [3, 5]), (2, [0])]      # time order; ties keep the log's order
    assert s.starts.tolist() == [0, 5000, 10, 7]
    assert len(cut_sessions(data, gap=10_000)) == 3                           # a longer gap merges user 0's two
    assert len(cut_sessions(data, gap=0)) == 7                                # only same-second ratings stay together


def test_session_parallel_batches_reset_exactly_at_session_ends():
    s = sessions_of([[1, 2, 3], [4, 5], [6], [7, 8, 9, 0]])
    steps = list(session_parallel_batches(s, 2))
    inputs = np.array([x[0] for x in steps])
    targets = np.array([x[1] for x in steps])
    resets = np.array([x[2] for x in steps])
    active = np.array([x[3] for x in steps])
    # slot 0 works through [1, 2, 3]; slot 1 through [4, 5], then (the one-event session [6]
    # skipped) takes [7, 8, 9, 0] with a reset; slot 0 then finds the queue empty
    assert inputs.tolist() == [[1, 4], [2, 7], [-1, 8], [-1, 9]]
    assert targets.tolist() == [[2, 5], [3, 8], [-1, 9], [-1, 0]]
    assert resets.tolist() == [[True, True], [False, True], [False, False], [False, False]]
    assert active.tolist() == [[True, True], [True, True], [False, True], [False, True]]


def test_session_parallel_batches_never_cross_a_session_and_miss_nothing():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 9, 60)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    lists = [np.arange(offsets[k], offsets[k + 1]) for k in range(60)]     # every event its own item id
    session_of = np.repeat(np.arange(60), lengths)
    s = sessions_of(lists, n_items=int(offsets[-1]))
    pairs, last = [], {}
    for inputs, targets, reset, active in session_parallel_batches(s, 7, order=rng.permutation(60)):
        for slot in np.flatnonzero(active):
            i, t = inputs[slot], targets[slot]
            assert t == i + 1 and session_of[i] == session_of[t]          # the next event of the same session
            assert reset[slot] == (i == offsets[session_of[i]])            # reset exactly at a session's start
            if not reset[slot]:
                assert last[slot] == i - 1                                 # no jump inside a slot
            last[slot] = i
            pairs.append(i)
        assert not reset[~active].any() and (inputs[~active] == -1).all()
    expected = [e for k in range(60) if lengths[k] >= 2 for e in lists[k][:-1]]
    assert sorted(pairs) == sorted(expected)                               # every pair once, none extra


def test_time_split_keeps_the_future_out_and_drops_unknown_items():
    s = Sessions(np.array([0, 1, 2, 1, 0, 5, 0, 2, 7]), np.array([0, 2, 4, 6, 9]), np.array([0, 1, 2, 3]),
                 np.array([40, 10, 30, 20]), 8)
    train, test = split_sessions_by_time(s, test_share=0.5)
    assert sorted(train.starts.tolist()) == [10, 20]                       # the two earliest
    assert test.starts.tolist() == [40] and test.session(0).tolist() == [0, 1]
    # the session started at 30 was [0, 5]: item 5 never occurs in training, so one event is left: dropped
    assert max(train.starts) < min(test.starts)


@pytest.mark.parametrize("call, message", [
    (lambda s: session_parallel_batches(s, 0), r"batch_size must be a whole number >= 1"),
    (lambda s: session_parallel_batches(s, 2, order=np.array([0, 9])), r"order must be a 1-D array"),
    (lambda s: session_parallel_batches(sessions_of([[1], [2]]), 2), r"no session has two or more events"),
    (lambda s: split_sessions_by_time(s, test_share=1.0), r"test_share must be strictly between 0 and 1"),
    (lambda s: cut_sessions(s), r"data must be a recsys_lite Dataset"),
])
def test_bad_input_is_refused(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(sessions_of([[1, 2], [3, 4]]))                  # refused at the call, not at the first step


# ---- the in-batch losses -------------------------------------------------------------------------
import torch  # noqa: E402

from recsys_lite.models.session import session_bpr_loss, top1_loss  # noqa: E402


def sig(x):
    return 1 / (1 + np.exp(-x))


def test_top1_and_bpr_match_the_papers_formulas_by_hand():
    r = np.array([[2.0, 0.5, -1.0], [0.3, 1.0, 0.8], [0.0, -0.2, 0.4]])
    top1 = np.mean([np.mean([sig(r[k, j] - r[k, k]) + sig(r[k, j] ** 2) for j in range(3) if j != k]) for k in range(3)])
    bpr = np.mean([np.mean([-np.log(sig(r[k, k] - r[k, j])) for j in range(3) if j != k]) for k in range(3)])
    assert np.isclose(top1_loss(torch.tensor(r)).item(), top1)
    assert np.isclose(session_bpr_loss(torch.tensor(r)).item(), bpr)
    # an inactive slot is neither a row nor a negative
    active = torch.tensor([True, False, True])
    sub = r[np.ix_([0, 2], [0, 2])]
    assert np.isclose(top1_loss(torch.tensor(r), active).item(),
                      np.mean([sig(sub[0, 1] - sub[0, 0]) + sig(sub[0, 1] ** 2), sig(sub[1, 0] - sub[1, 1]) + sig(sub[1, 0] ** 2)]))


def test_the_losses_fall_as_the_positives_rise():
    r = torch.zeros(4, 4)
    better = r + 3 * torch.eye(4)
    assert top1_loss(better) < top1_loss(r) and session_bpr_loss(better) < session_bpr_loss(r)
    assert np.isclose(session_bpr_loss(r).item(), np.log(2))           # all scores equal: ln 2
    assert np.isclose(top1_loss(r).item(), 1.0)                        # σ(0) + σ(0)


@pytest.mark.parametrize("loss", [top1_loss, session_bpr_loss])
def test_the_losses_refuse_bad_shapes(loss):
    with pytest.raises(ValueError, match="scores must be a square"):
        loss(torch.zeros(3, 4))
    with pytest.raises(ValueError, match="active must be a boolean vector of length 3"):
        loss(torch.zeros(3, 3), torch.tensor([True, False]))
    with pytest.raises(ValueError, match="at least two active slots"):
        loss(torch.zeros(3, 3), torch.tensor([True, False, False]))


# ---- next-item evaluation and the session baselines ----------------------------------------------
from recsys_lite.models.session_baselines import (MarkovChain, SessionItemPopularity,  # noqa: E402
                                                  SessionPopularity, evaluate_next_item, next_item_points)


def test_prediction_points_are_every_position_after_the_first():
    session, position = next_item_points(sessions_of([[4, 5, 6], [7], [8, 9]]))
    assert list(zip(session.tolist(), position.tolist())) == [(0, 1), (0, 2), (2, 1)]


def test_pop_and_markov_ranks_by_hand():
    train = sessions_of([[0, 1, 2], [0, 1, 3], [1, 2]], n_items=5)
    test = sessions_of([[1, 3, 2]], n_items=5)
    # POP counts 0:2 1:3 2:2 3:1 4:0; transitions 0→1 (2), 1→2 (2), 1→3 (1); none from 2 or 3, and
    # none across sessions (2→0, 3→1 are not transitions)
    markov = MarkovChain().fit(train)
    assert markov.transitions_.toarray()[:4].tolist() == [[0, 2, 0, 0, 0], [0, 0, 2, 1, 0], [0] * 5, [0] * 5]
    # point 1 (prefix [1], target 3): Markov puts 2 ahead of 3 (rank 1); POP puts 0 and 2 ahead (rank 2)
    # point 2 (prefix [1, 3], target 2): nothing follows 3, so both fall back to POP, where 0 ties
    # with 2 and a tie counts against the target (rank 1)
    for model, ranks in ((markov, [1, 1]), (SessionPopularity().fit(train), [2, 1]),
                         (SessionItemPopularity().fit(train), [2, 1])):
        result = evaluate_next_item(model, test, k=2)
        assert result["rank"].tolist() == ranks, type(model).__name__
        assert np.allclose(result["recall"], [r < 2 for r in ranks])
        assert np.allclose(result["mrr"], [1 / (r + 1) if r < 2 else 0 for r in ranks])


def test_a_model_that_cannot_tell_items_apart_scores_nothing():
    class Flat(SessionPopularity):
        def _score(self, sessions, session, position):
            return np.zeros((len(session), self.n_items_))
    train = sessions_of([[0, 1, 2]], n_items=4)
    result = evaluate_next_item(Flat().fit(train), sessions_of([[0, 1, 2]], n_items=4), k=1)
    assert result["recall"].sum() == 0                                     # ties never count as hits


@pytest.mark.parametrize("call, error, message", [
    (lambda: SessionPopularity().score_points(sessions_of([[1, 2]]), [0], [1]), RuntimeError, r"not fitted yet"),
    (lambda: SessionPopularity().fit([1, 2]), TypeError, r"train must be Sessions"),
    (lambda: SessionPopularity().fit(sessions_of([[1, 2]])).score_points(sessions_of([[1, 2]]), [0], [2]), ValueError,
     r"matching 1-D arrays of prediction points"),
    (lambda: SessionPopularity().fit(sessions_of([[1, 2]])).score_points(sessions_of([[1, 2]], n_items=3), [0], [1]),
     ValueError, r"Sessions over the training catalogue of 10 items"),
    (lambda: evaluate_next_item(SessionPopularity().fit(sessions_of([[1, 2]])), sessions_of([[1], [2]])), ValueError,
     r"no prediction point"),
    (lambda: evaluate_next_item(SessionPopularity().fit(sessions_of([[1, 2]])), sessions_of([[1, 2]]), k=0), ValueError,
     r"k must be a whole number >= 1"),
])
def test_session_models_refuse_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---- GRU4Rec -------------------------------------------------------------------------------------
from recsys_lite.models.gru4rec import GRU4Rec  # noqa: E402


def cycles(n_sessions, n_items=12, seed=0):
    """Sessions that walk a fixed cycle of the items: the next item is always predictable."""
    rng = np.random.default_rng(seed)
    lists = [(rng.integers(0, n_items) + np.arange(rng.integers(2, 8))) % n_items for _ in range(n_sessions)]
    return sessions_of(lists, n_items=n_items)


@pytest.mark.parametrize("loss", ["top1", "bpr", "ce"])
def test_gru4rec_learns_a_predictable_order_and_reproduces(loss):
    train, test = cycles(200), cycles(40, seed=1)
    model = GRU4Rec(embedding_size=8, hidden_size=16, loss=loss, batch_size=16, epochs=6, learning_rate=0.2).fit(train)
    assert model.history_[-1]["loss"] < model.history_[0]["loss"]
    gru = evaluate_next_item(model, test, k=1)["recall"].mean()
    pop = evaluate_next_item(SessionPopularity().fit(train), test, k=1)["recall"].mean()
    assert gru > 0.9 and gru > pop + 0.5
    again = GRU4Rec(embedding_size=8, hidden_size=16, loss=loss, batch_size=16, epochs=6, learning_rate=0.2).fit(train)
    session, position = next_item_points(test)
    assert np.array_equal(model.score_points(test, session, position), again.score_points(test, session, position))


def test_gru4rec_scores_a_prefix_from_its_own_items_only():
    model = GRU4Rec(embedding_size=4, hidden_size=6, batch_size=4, epochs=1).fit(cycles(20))
    test = sessions_of([[3, 4, 5, 6], [9, 10]], n_items=12)
    net = model.network_
    with torch.no_grad():
        h = torch.zeros(1, 6)
        for item in (3, 4, 5):                                         # the prefix of point (0, 3)
            h = net.step(torch.tensor([item]), h)
        by_hand = net.scores(h).numpy()[0]
    got = model.score_points(test, np.array([1, 0]), np.array([1, 3]))
    assert np.allclose(got[1], by_hand, atol=1e-6)


# ---- S-POP, session-kNN ----------------------------------------------------------------------------
from recsys_lite.models.session_baselines import SessionKNN  # noqa: E402


def test_spop_counts_repeats_in_the_prefix():
    train = sessions_of([[0, 1], [0, 1], [0, 2]], n_items=4)                # POP: 0 (3), 1 (2), 2 (1)
    test = sessions_of([[2, 3, 2, 3, 1]], n_items=4)
    scores = SessionItemPopularity().fit(train).score_points(test, np.array([0]), np.array([4]))[0]
    # the prefix [2, 3, 2, 3] holds 2 and 3 twice each: both ahead of 0, the most popular; 2 ahead of 3 by POP
    assert np.argsort(-scores).tolist() == [2, 3, 0, 1]


def test_session_knn_by_hand():
    train = sessions_of([[0, 1, 2], [0, 3], [4, 5]], n_items=6)
    test = sessions_of([[0, 1, 9 % 6]], n_items=6)
    # prefix {0, 1}: cosine with [0, 1, 2] = 2 / sqrt(2·3), with [0, 3] = 1 / sqrt(2·2), with [4, 5] = 0
    a, b = 2 / np.sqrt(6), 1 / 2
    scores = SessionKNN(neighbours=2).fit(train).score_points(test, np.array([0]), np.array([2]))[0]
    assert np.allclose(scores[[0, 1, 2, 3]], [a + b, a, a, b], atol=1e-5)
    assert scores[4] < 1e-5 and scores[5] < 1e-5 and scores[3] < scores[2]
    # one neighbour: only [0, 1, 2] counts, so item 3 falls to the tie-break
    one = SessionKNN(neighbours=1).fit(train).score_points(test, np.array([0]), np.array([2]))[0]
    assert np.allclose(one[[0, 1, 2]], [a, a, a], atol=1e-5) and one[3] < 1e-5


# ---- SASRec --------------------------------------------------------------------------------------
from recsys_lite.models.sasrec import SASRec, prefixes, windows  # noqa: E402


def test_windows_and_prefixes_by_hand():
    s = sessions_of([[1, 2, 3, 4, 5], [6], [7, 8]], n_items=10)
    # max_length 2: session 0 gives [1 2 3], [3 4 5]; session 1 nothing; session 2 [pad 7 8]
    assert windows(s, 2).tolist() == [[1, 2, 3], [3, 4, 5], [10, 7, 8]]
    assert prefixes(s, np.array([0, 0, 2]), np.array([1, 4, 1]), 3).tolist() == [[10, 10, 1], [2, 3, 4], [10, 10, 7]]


def test_sasrec_is_causal_learns_an_order_and_explains_with_weights():
    model = SASRec(embedding_size=16, max_length=6, blocks=1, dropout=0.0, epochs=30, batch_size=32,
                   learning_rate=0.01).fit(cycles(200))
    test = cycles(40, seed=1)
    assert evaluate_next_item(model, test, k=1)["recall"].mean() > 0.9
    net = model.network_
    with torch.no_grad():
        a, _ = net(torch.tensor([[12, 3, 4, 5, 6, 7]]))
        b, _ = net(torch.tensor([[12, 3, 4, 9, 1, 0]]))
    assert torch.allclose(a[0, :3], b[0, :3], atol=1e-6)                 # position t never sees a later item
    assert not torch.allclose(a[0, 3:], b[0, 3:])
    items, weights = model.attention(test, 0, 1)
    assert len(items) == 1 and np.isclose(weights.sum(), 1.0)
    for loss in ("ce", "bce"):
        first = SASRec(embedding_size=8, max_length=4, epochs=2, loss=loss).fit(cycles(30))
        again = SASRec(embedding_size=8, max_length=4, epochs=2, loss=loss).fit(cycles(30))
        session, position = next_item_points(test)
        assert np.array_equal(first.score_points(test, session, position), again.score_points(test, session, position))


# ---- RRN, the title GRU ----------------------------------------------------------------------------
from recsys_lite.models.mf import BiasedMF  # noqa: E402
from recsys_lite.models.rrn import RRN  # noqa: E402
from recsys_lite.models.text_gru import TextMF, TitleEncoder, encode_titles, title_words  # noqa: E402


def drifting(n_users=30, n_items=20, seed=0):
    """Ratings over ten days; items 0-9 gain a point after day 5 (a drift MF cannot follow)."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        for i in rng.choice(n_items, 12, replace=False):
            t = int(rng.integers(0, 10 * 86400))
            rows.append((u, i, 3.0 + (i < 10) * (t > 5 * 86400) + (u % 2) * 0.5, t))
    r = pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"])
    users = pd.DataFrame({"user_id": np.arange(1, n_users + 1)})
    items = pd.DataFrame({"item_id": np.arange(1, n_items + 1), "title": [f"film {i}" for i in range(n_items)],
                          "genres": [("Drama",)] * n_items})
    return Dataset(r, users, items)


def test_rrn_states_see_only_earlier_windows_and_start_from_mf():
    data = drifting()
    model = RRN(window=86400.0, epochs=3).fit(data)
    mf = BiasedMF().fit(data)
    assert np.allclose(model.stationary_.item_bias_, mf.item_bias_)       # the stationary part is the book's MF
    # the forecast is MF plus the dynamic term
    users, items = np.array([0, 1, 2]), np.array([3, 4, 5])
    dyn = (model.user_states_[users] * model.item_states_[items]).sum(1)
    assert np.allclose(model.predict(users, items), np.clip(mf._estimate(users, items) + dyn, 1, 5))
    # changing the ratings of day 7 leaves every state before day 7 unchanged
    r = data.ratings.copy()
    later = r["timestamp"] >= 7 * 86400
    r.loc[later, "rating"] = 1.0
    net = model.network_
    from recsys_lite.models.rrn import _window_inputs
    def states(ratings):
        res = ratings["rating"].to_numpy() - 3.0
        w = ratings["timestamp"].to_numpy() // 86400
        u, i = ratings["user"].to_numpy(), ratings["item"].to_numpy()
        return net.states(_window_inputs(u, i, res, 30, 10, w, 20), _window_inputs(i, u, res, 20, 10, w, 30))
    with torch.no_grad():
        (ua, ia), (ub, ib) = states(data.ratings), states(r)
    assert torch.allclose(ua[:, :8], ub[:, :8]) and torch.allclose(ia[:, :8], ib[:, :8])
    assert not torch.allclose(ua[:, 8:], ub[:, 8:])


def test_title_words_and_encoding_on_a_tiny_vocabulary():
    assert title_words("Star Wars (1977)") == ["star", "wars"]
    assert title_words("Monty Python's Life of Brian (1979)") == ["monty", "python's", "life", "of", "brian"]
    words, vocabulary = encode_titles(["Star Wars (1977)", "Star Trek (1982)", "Alien (1979)", "Trek (1990)"])
    assert vocabulary == ["<pad>", "<rare>", "star", "trek"]
    assert words.tolist() == [[2, 1], [2, 3], [1, 0], [3, 0]]
    encoder = TitleEncoder(len(vocabulary), 4, 5)
    with torch.no_grad():
        out = encoder(torch.as_tensor(words))
        wide = encoder(torch.as_tensor(np.hstack([words, np.zeros((4, 3), dtype=np.int64)])))
        empty = encoder(torch.zeros(1, 3, dtype=torch.long))
    assert torch.allclose(out, wide, atol=1e-6)                           # padding changes nothing
    assert torch.equal(empty, torch.zeros(1, 5))


def test_text_mf_learns_and_reproduces():
    data = drifting()
    model = TextMF(factors=4, word_size=4, text_size=4, epochs=30, batch_size=64, learning_rate=0.02).fit(data)
    assert model.history_[-1] < model.history_[0]
    assert model.title_vectors().shape == (20, 4)
    again = TextMF(factors=4, word_size=4, text_size=4, epochs=30, batch_size=64, learning_rate=0.02).fit(data)
    assert np.array_equal(model.predict([0, 1], [2, 3]), again.predict([0, 1], [2, 3]))
    with pytest.raises(ValueError, match="text=False"):
        TextMF(text=False, epochs=1).fit(data).title_vectors()


# ---- the session explorer ------------------------------------------------------------------------
def test_session_card_and_explorer_show_one_point():
    from recsys_lite.widgets import session_card, session_explorer
    data = log([(0, 1, 0), (0, 2, 10), (0, 3, 20), (1, 1, 0), (1, 2, 5), (1, 4, 9), (2, 5, 0), (2, 6, 3)])
    s = cut_sessions(data)
    models = {"pop": SessionPopularity().fit(s), "markov": MarkovChain().fit(s)}
    so_far, target, guesses = session_card(s, data, 0, 2, models, k=3)
    assert so_far["title"].tolist() == ["film 1", "film 2"] and target == "film 3"
    # after 1, 2 the chain saw 3 and 4 follow 2 once each; films already in the session never appear
    assert set(guesses["markov"].head(2)) == {"film 3", "film 4"}
    assert not {"film 1", "film 2"} & set(guesses.to_numpy().ravel())
    view = session_explorer(s, data, models, k=3)
    (which, position), html = view.children[0].children, view.children[1]
    first = html.value
    position.value = 2
    assert html.value != first and "film 3" in html.value
    which.value = 2
    assert position.max == 1 and "film 6" in html.value
    with pytest.raises(ValueError, match="a position is outside"):
        session_card(s, data, 0, 3, models)


def test_session_bootstrap_resamples_whole_sessions():
    from recsys_lite.models.session_baselines import paired_session_difference, session_interval
    a = pd.DataFrame({"session": [0, 0, 0, 1], "recall": [1.0, 1.0, 1.0, 0.0], "mrr": [1.0, 0.5, 0.5, 0.0]})
    b = a.assign(recall=[0.0, 0.0, 0.0, 0.0])
    # a draw takes whole sessions: its mean is 1 (session 0 only), 0 (session 1 only) or 3/4 (both once)
    low, high = session_interval(a, "recall", n_resamples=500)
    assert low == 0.0 and high == 1.0
    d = paired_session_difference(a, b, "recall", n_resamples=500)
    assert np.isclose(d["difference"], 0.75) and d["sessions"] == 2 and d["low"] == 0.0 and d["high"] == 1.0
    same = paired_session_difference(a, a, "mrr")
    assert same["difference"] == same["low"] == same["high"] == 0.0

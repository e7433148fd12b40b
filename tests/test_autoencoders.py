"""Chapter 7's library: AutoRec, CDAE, Mult-VAE and CDL on tiny problems, their losses against
hand computation and independent formulas, and CDL's item step against a direct solution."""
import numpy as np
import pytest
import scipy.sparse as sp
import torch

from recsys_lite.data import simulate_world
from recsys_lite.models import ImplicitMF
from recsys_lite.models.autoencoders import (CDAE, CDL, AutoRec, MultVAE, autorec_loss, cdae_loss, corrupt, gaussian_kl,
                                             multinomial_nll, vae_loss)
from recsys_lite.split import random_split
from recsys_lite.train import heldout_ndcg, hold_out


@pytest.fixture(scope="module")
def split():
    data, _ = simulate_world(n_users=60, n_items=40, density=0.3, seed=5)
    return random_split(data, seed=2)


# ---- losses by hand ----------------------------------------------------------------------------
def test_autorec_loss_counts_observed_cells_only():
    target = torch.tensor([[5.0, 0.0, 3.0], [0.0, 4.0, 0.0]])
    mask = (target > 0).float()
    predicted = torch.tensor([[4.0, 9.0, 3.5], [-7.0, 2.0, 100.0]])
    # (5-4)² + (3-3.5)² + (4-2)² = 1 + 0.25 + 4; the unobserved cells' wild guesses do not count
    assert autorec_loss(predicted, target, mask).item() == pytest.approx(5.25)
    w = [torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0]])]
    assert autorec_loss(predicted, target, mask, w, reg=0.5).item() == pytest.approx(5.25 + 0.25 * (1 + 4 + 9))


def test_corruption_drops_at_the_rate_and_keeps_the_expectation():
    y = torch.ones(400, 500)
    out = corrupt(y, 0.3, torch.Generator().manual_seed(0))
    dropped = (out == 0).float().mean().item()
    assert dropped == pytest.approx(0.3, abs=0.01)
    assert torch.allclose(out[out > 0], torch.tensor(1 / 0.7))
    assert out.mean().item() == pytest.approx(1.0, abs=0.02)
    assert torch.equal(corrupt(y, 0.0), y)
    again = corrupt(y, 0.3, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)


def test_cdae_loss_is_the_logistic_loss_on_the_masked_cells():
    logits = torch.tensor([[0.0, 2.0, -1.0], [1.0, 0.5, 3.0]])
    y = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    p = 1 / (1 + np.exp(-logits.numpy()))
    by_hand = (-np.log(p[0, 0]) - np.log(1 - p[0, 1]) - np.log(p[1, 1]) - np.log(1 - p[1, 2])) / 2
    assert cdae_loss(logits, y, mask).item() == pytest.approx(by_hand, rel=1e-6)


def test_gaussian_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(1)
    mean, logvar = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    q = torch.distributions.Normal(mean, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros(5, 3), torch.ones(5, 3))
    assert torch.allclose(gaussian_kl(mean, logvar), torch.distributions.kl_divergence(q, p).sum(1), atol=1e-5)
    assert torch.allclose(gaussian_kl(torch.zeros(2, 4), torch.zeros(2, 4)), torch.zeros(2))


def test_multinomial_likelihood_and_the_elbo_by_hand():
    logits = torch.tensor([[1.0, 2.0, 0.0]])
    x = torch.tensor([[1.0, 0.0, 2.0]])
    logp = logits.numpy()[0] - np.log(np.exp(logits.numpy()[0]).sum())
    assert multinomial_nll(logits, x).item() == pytest.approx(-(logp[0] + 2 * logp[2]), rel=1e-6)
    mean, logvar = torch.tensor([[0.5, -1.0]]), torch.tensor([[0.2, -0.3]])
    kl = 0.5 * sum(np.exp(lv) + m * m - 1 - lv for m, lv in ((0.5, 0.2), (-1.0, -0.3)))
    assert vae_loss(logits, x, mean, logvar, beta=0.2).item() == pytest.approx(-(logp[0] + 2 * logp[2]) + 0.2 * kl,
                                                                              rel=1e-5)


def test_hold_out_splits_the_cells_and_heldout_ndcg_ranks_only_unseen_items():
    m = sp.random(30, 20, density=0.4, random_state=0, format="csr")
    kept, held = hold_out(m, 0.25, np.random.default_rng(0))
    assert (kept + held != m).nnz == 0 and kept.multiply(held).nnz == 0
    assert held.nnz / m.nnz == pytest.approx(0.25, abs=0.08)
    seen = sp.csr_matrix(np.array([[1.0, 0, 0, 0], [0, 0, 0, 0]]))
    held = sp.csr_matrix(np.array([[0, 0, 1.0, 0], [0, 0, 0, 0]]))
    scores = np.array([[9.0, 1.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    # user 0: item 0 is seen, so item 2 ranks first among the rest: NDCG 1; user 1 has nothing held out
    assert heldout_ndcg(scores, seen, held) == pytest.approx(1.0)
    assert heldout_ndcg(np.array([[9.0, 3.0, 2.0, 0.0], [0, 0, 0, 0]]), seen, held, k=1) == 0.0


# ---- the models --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["item", "user"])
def test_autorec_estimates_come_from_the_network_learn_and_reproduce(split, kind):
    a = AutoRec(kind=kind, hidden=(8,), epochs=30, patience=30, learning_rate=0.01, seed=1).fit(split.train)
    b = AutoRec(kind=kind, hidden=(8,), epochs=30, patience=30, learning_rate=0.01, seed=1).fit(split.train)
    losses = [h["train_loss"] for h in a.history_]
    assert losses[-1] < 0.7 * losses[0]
    assert np.array_equal(a.predict([0, 1], [2, 3]), b.predict([0, 1], [2, 3]))
    r = split.train.to_csr().toarray()
    rows = r if kind == "user" else r.T
    with torch.no_grad():
        out = a.network_(torch.as_tensor(rows, dtype=torch.float32)).numpy()
    out = np.clip(out if kind == "user" else out.T, 1, 5)
    keep = np.diff((split.train.to_csr() if kind == "user" else split.train.to_csr().T.tocsr()).indptr) > 0
    est = a.score(np.arange(split.train.n_users))
    if kind == "user":
        assert np.allclose(est[keep], out[keep], atol=1e-5)
        assert np.allclose(est[~keep], a.mean_)
    else:
        assert np.allclose(est[:, keep], out[:, keep], atol=1e-5)
        assert np.allclose(est[:, ~keep], a.mean_)


def test_autorec_gives_an_unrated_item_the_mean(split):
    r = split.train.ratings
    train = split.train.with_ratings(r[r["item"] != 7], "without item 7")
    model = AutoRec(hidden=(4,), epochs=2).fit(train)
    assert np.allclose(model.predict(np.arange(5), np.full(5, 7)), train.ratings["rating"].mean())


def test_cdae_scores_are_its_network_on_uncorrupted_rows_and_a_seed_reproduces(split):
    a = CDAE(hidden=8, epochs=20, patience=20, learning_rate=0.02, seed=1).fit(split.train)
    b = CDAE(hidden=8, epochs=20, patience=20, learning_rate=0.02, seed=1).fit(split.train)
    assert [h["train_loss"] for h in a.history_][-1] < a.history_[0]["train_loss"]
    y = torch.as_tensor(split.train.to_csr(binary=True).toarray(), dtype=torch.float32)
    with torch.no_grad():
        direct = a.network_(y[[3, 4]], torch.tensor([3, 4])).numpy()
    assert np.allclose(a.score([3, 4]), direct, atol=1e-6)
    assert np.array_equal(a.score([0]), b.score([0]))
    c = CDAE(hidden=8, epochs=20, patience=20, learning_rate=0.02, seed=2).fit(split.train)
    assert not np.array_equal(a.score([0]), c.score([0]))
    plain = CDAE(hidden=8, epochs=2, user_node=False, negatives=None).fit(split.train)
    assert plain.network_.user is None


def test_mult_vae_scores_from_the_mean_and_reproduces(split):
    a = MultVAE(hidden=(16,), latent=4, epochs=20, patience=20, anneal_steps=10, seed=1).fit(split.train)
    b = MultVAE(hidden=(16,), latent=4, epochs=20, patience=20, anneal_steps=10, seed=1).fit(split.train)
    assert np.array_equal(a.score([0, 5]), b.score([0, 5]))
    assert a.history_[-1]["train_loss"] < a.history_[0]["train_loss"]
    x = torch.as_tensor(split.train.to_csr(binary=True).toarray()[[0, 5]], dtype=torch.float32)
    with torch.no_grad():
        mean, _ = a.network_.encode(x)
        assert np.allclose(a.score([0, 5]), a.network_.decode(mean).numpy(), atol=1e-6)
        # evaluation mode: the score is deterministic (z = μ, no dropout)
        assert np.array_equal(a.score([0, 5]), a.score([0, 5]))


def test_cdl_without_content_is_ials(split):
    cdl = CDL(embedding_size=4, reg=2.0, item_reg=2.0, epochs=5, seed=3).fit(split.train)
    ials = ImplicitMF(embedding_size=4, reg=2.0, epochs=5, seed=3).fit(split.train)
    assert np.allclose(cdl.score([0, 1, 2]), ials.score([0, 1, 2]))


def test_cdl_item_step_solves_the_penalised_least_squares(split):
    """v_j minimises Σ_u c_uj (p_uj − x_uᵀ v)² + λ_v ‖v − θ_j‖², checked by a dense solve."""
    rng = np.random.default_rng(0)
    n_users, n_items, f, alpha, lam = split.train.n_users, split.train.n_items, 3, 5.0, 4.0
    x, theta = rng.normal(size=(n_users, f)), rng.normal(size=(n_items, f))
    p = split.train.to_csr(binary=True)
    extra = sp.csr_matrix(alpha * p)
    model = CDL(embedding_size=f, item_reg=lam)
    v = model._half_step(extra.T.tocsr(), x, row_weight=np.ones(n_items), other_weight=np.ones(n_users),
                         reg=lam, prior=theta)
    dense = p.toarray()
    for j in (0, 7, 19):
        c = 1 + alpha * dense[:, j]
        direct = np.linalg.solve(x.T @ (c[:, None] * x) + lam * np.eye(f), x.T @ (c * dense[:, j]) + lam * theta[j])
        assert np.allclose(v[j], direct)


def test_cdl_content_pulls_items_towards_the_encoder_and_reproduces(split):
    rng = np.random.default_rng(1)
    features = (rng.random((split.train.n_items, 12)) < 0.3).astype(float)
    a = CDL(features=features, embedding_size=4, hidden=(8,), epochs=4, network_steps=5, seed=2).fit(split.train)
    b = CDL(features=features, embedding_size=4, hidden=(8,), epochs=4, network_steps=5, seed=2).fit(split.train)
    assert np.array_equal(a.score([0]), b.score([0]))
    assert a.content_factors_.shape == (split.train.n_items, 4) and len(a.history_) == 4
    strong = CDL(features=features, embedding_size=4, hidden=(8,), epochs=4, network_steps=5, item_reg=1e6,
                 seed=2).fit(split.train)
    # with a huge λ_v every item vector is (nearly) its content vector θ_j
    assert np.allclose(strong.item_factors_, strong.content_factors_, atol=0.05)

"""One torch training loop for every deep model: seeded mini-batches, a progress bar, early
stopping on a validation loss, and the best weights restored at the end."""
from __future__ import annotations

import copy
import functools
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from ._checks import flag, fraction, one_of, real_number, whole_number


def seed_everything(seed: int) -> np.random.Generator:
    """Seed torch and return a numpy Generator; the same seed gives the same run."""
    import torch

    seed = whole_number(seed, "seed", minimum=0)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def check_training_settings(model) -> None:
    """The settings every model trained by `train_loop` shares: ``epochs``, ``batch_size`` and
    ``patience`` (whole numbers >= 1), ``learning_rate`` (> 0), ``validation`` (a fraction) and
    ``progress`` (a bool); a ValueError names the first one that is wrong."""
    for name in ("epochs", "batch_size", "patience"):
        whole_number(getattr(model, name), name)
    real_number(model.learning_rate, "learning_rate", above=0)
    fraction(model.validation, "validation")
    flag(model.progress, "progress")


def bpr_loss(positive, negative):
    """Bayesian personalised ranking (Rendle et al. 2009): −mean log σ(s_ui − s_uj), for the scores
    of interacted items i and of sampled items j the same users did not interact with."""
    import torch

    if positive.shape != negative.shape:
        raise ValueError(f"positive and negative must have the same shape, got {tuple(positive.shape)} "
                         f"and {tuple(negative.shape)}.")
    return -torch.nn.functional.logsigmoid(positive - negative).mean()


def lookup(table, index):
    """``table[index]`` (rows of a 2-D tensor, for an index tensor of any shape), differentiable
    with respect to ``table``. Its backward pass adds the gradients into the rows with one
    ``index_add_``, several times faster on the CPU than the sort-based backward of
    ``torch.nn.functional.embedding`` and far faster than indexing's; the training loops of the
    deep models spend much of their time here."""
    return _lookup_function().apply(table, index)


@functools.cache
def _lookup_function():
    """The autograd function behind `lookup`, built on first use so that importing this module
    does not load torch."""
    import torch

    class Lookup(torch.autograd.Function):
        @staticmethod
        def forward(ctx, table, index):
            ctx.save_for_backward(index)
            ctx.rows = table.shape[0]
            return table.index_select(0, index.reshape(-1)).reshape(*index.shape, *table.shape[1:])

        @staticmethod
        def backward(ctx, grad):
            (index,) = ctx.saved_tensors
            flat = grad.reshape(index.numel(), *grad.shape[index.dim():])
            return grad.new_zeros((ctx.rows, *flat.shape[1:])).index_add_(0, index.reshape(-1), flat), None

    return Lookup


def negative_items(seen, users, rng: np.random.Generator) -> np.ndarray:
    """One item per entry of ``users`` that this user has *not* interacted with in ``seen`` (a
    users x items sparse matrix), drawn uniformly over the user's unseen items; entries draw
    independently, so a user who appears often gets repeats. Vectorised rejection: redraw only
    the entries that hit a seen item, then finish the rare stubborn rows exactly. Never returns
    a seen item; a user who has seen every item is an error."""
    from .split import _interactions, is_seen

    seen = _interactions(seen)
    n_users, n_items = seen.shape
    users = np.asarray(users)
    if users.ndim != 1 or (len(users) and (not np.issubdtype(users.dtype, np.integer)
                                           or users.min() < 0 or users.max() >= n_users)):
        raise ValueError(f"users must be a 1-D array of user ids in [0, {n_users}).")
    full = np.flatnonzero(np.diff(seen.indptr) >= n_items)
    if len(users) and np.isin(users, full).any():
        raise ValueError(f"user {users[np.isin(users, full)][0]} has interacted with every item; no negative exists.")
    out = rng.integers(0, n_items, len(users))
    bad = is_seen(seen, users, out)
    for _ in range(30):
        if not bad.any():
            return out
        out[bad] = rng.integers(0, n_items, int(bad.sum()))
        bad[bad] = is_seen(seen, users[bad], out[bad])
    for row in np.flatnonzero(bad):
        u = users[row]
        out[row] = rng.choice(np.setdiff1d(np.arange(n_items), seen.indices[seen.indptr[u]:seen.indptr[u + 1]]))
    return out


def bpr_batches(seen: sp.csr_matrix, batch_size: int, rng: np.random.Generator) -> list:
    """One epoch of BPR triples as tensors: every interaction of ``seen`` once, in a fresh random
    order, with one negative item drawn for it (`negative_items`), cut into batches of
    ``batch_size``; returns a list of (users, positives, negatives) tensor triples."""
    import torch

    users, items = seen.nonzero()
    order = rng.permutation(len(users))
    u, i = users[order], items[order]
    tensors = [torch.as_tensor(x) for x in (u, i, negative_items(seen, u, rng))]
    return list(zip(*(t.split(batch_size) for t in tensors)))


def train_loop(module, *, batches: Callable[[int], list], loss: Callable, validate: Callable[[], float],
               epochs: int, learning_rate: float, weight_decay: float, patience: int = 3,
               progress: bool = False, description: str = "training", optimiser: str = "adam") -> list[dict]:
    """Train ``module`` with Adam (or plain SGD, ``optimiser="sgd"``).

    ``batches(epoch)`` returns the epoch's list of batches (each a tuple of tensors);
    ``loss(batch)`` returns a scalar tensor; ``validate()`` returns the validation loss (lower is
    better). Stops after ``patience`` epochs without improvement and restores the best weights.
    Returns one dict per epoch: train and validation loss.
    """
    import torch
    from tqdm.auto import tqdm

    whole_number(epochs, "epochs")
    whole_number(patience, "patience")
    real_number(learning_rate, "learning_rate", above=0)
    real_number(weight_decay, "weight_decay", minimum=0)
    for name, fn in (("batches", batches), ("loss", loss), ("validate", validate)):
        if not callable(fn):
            raise TypeError(f"{name} must be a function, got {type(fn).__name__}.")
    kind = one_of(optimiser, "optimiser", ("adam", "sgd"))
    make = torch.optim.Adam if kind == "adam" else torch.optim.SGD
    optimiser = make(module.parameters(), lr=learning_rate, weight_decay=weight_decay)
    history, best, best_state, waited = [], np.inf, None, 0
    bar = tqdm(total=epochs, desc=description, disable=not progress, unit="epoch")
    for epoch in range(epochs):
        module.train()
        total, count = 0.0, 0
        for batch in batches(epoch):
            optimiser.zero_grad()
            value = loss(batch)
            value.backward()
            optimiser.step()
            total += value.item() * len(batch[0])
            count += len(batch[0])
        module.eval()
        with torch.no_grad():
            val = float(validate())
        history.append({"epoch": epoch + 1, "train_loss": total / max(count, 1), "val_loss": val})
        bar.set_postfix(train=f"{total / max(count, 1):.4f}", val=f"{val:.4f}")
        bar.update(1)
        if val < best - 1e-5:
            best, best_state, waited = val, copy.deepcopy(module.state_dict()), 0
        else:
            waited += 1
            if waited >= patience:
                bar.set_description(f"{description}: stopped early after {epoch + 1} epochs")
                break
    # Stopping early is success, not failure: end the bar full (a notebook bar closed short of
    # its total turns red, which reads as an error).
    bar.total = bar.n
    bar.refresh()
    bar.close()
    if best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    return history


def hold_out(matrix: sp.csr_matrix, share: float, rng: np.random.Generator) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Split the stored cells of ``matrix`` at random into (kept, held out), ``share`` of them
    held out; both have the shape of ``matrix``."""
    matrix = sp.csr_matrix(matrix)
    held = rng.random(matrix.nnz) < share
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))

    def part(mask):
        return sp.csr_matrix((matrix.data[mask], (rows[mask], matrix.indices[mask])), shape=matrix.shape)

    return part(~held), part(held)


def heldout_ndcg(scores: np.ndarray, seen: sp.csr_matrix, held: sp.csr_matrix, k: int = 10) -> float:
    """Mean NDCG@k of the ``held`` items of each user who has some, ranking every item except
    the ``seen`` ones by ``scores`` (users x items): the validation measure of the top-n models."""
    from .metrics import ranking_metrics
    from .models.base import top_k

    users = np.flatnonzero(np.diff(held.indptr) > 0)
    s = np.array(scores[users], dtype=float)
    part = seen[users]
    s[np.repeat(np.arange(len(users)), np.diff(part.indptr)), part.indices] = -np.inf
    k = min(k, s.shape[1])
    return float(np.mean(ranking_metrics(top_k(s, k)[0], held[users], k)["ndcg"]))

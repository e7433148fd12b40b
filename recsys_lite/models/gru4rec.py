"""GRU4Rec (Hidasi, Karatzoglou, Baltrunas & Tikk 2016): a recurrent network reads a session
item by item, and after each item scores every item as the next one.

    h_t = GRU(e(x_t), h_{t-1}),   r̂_t = W h_t + b      (W, b: one output vector and bias per item)

Training follows the paper: session-parallel mini-batches (`session_parallel_batches`; a slot's
hidden state is zeroed when it starts a new session), and output sampling with in-batch
negatives (each step scores only the batch's target items, B x B), under the TOP1 or BPR loss
(`recsys_lite.models.session`). ``loss="ce"`` departs from the 2016 paper: the softmax
cross-entropy over the whole catalogue (cheap at MovieLens' size), which separates what the
recurrent network does from what sampled ranking losses do. The input is a learned item
embedding (the paper found one-hot input slightly better on its data, at a higher cost); the
optimiser is Adagrad, as in the paper. There is no early stopping: ``epochs`` is a
hyper-parameter to choose on validation sessions.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn

from .._checks import flag, one_of, real_number, whole_number
from ..data.sessions import Sessions, session_parallel_batches
from ..train import seed_everything
from .session import session_bpr_loss, top1_loss
from .session_baselines import SessionBaseline


class GRU4RecNet(nn.Module):
    def __init__(self, n_items: int, embedding_size: int, hidden_size: int):
        super().__init__()
        # sparse gradients: Adagrad then updates only the rows a step used (the same result, since
        # a row with a zero gradient does not move under Adagrad, at a fraction of the cost)
        self.embedding = nn.Embedding(n_items, embedding_size, sparse=True)
        self.gru = nn.GRUCell(embedding_size, hidden_size)
        self.out = nn.Embedding(n_items, hidden_size, sparse=True)
        self.bias = nn.Embedding(n_items, 1, sparse=True)
        nn.init.normal_(self.out.weight, std=0.05)
        nn.init.zeros_(self.bias.weight)

    def step(self, items, h):
        """The hidden states after reading ``items`` (one per row of ``h``)."""
        return self.gru(self.embedding(items), h)

    def scores(self, h, items=None):
        """Scores of ``items`` (default: every item) for each row of ``h``."""
        if items is None:
            return h @ self.out.weight.T + self.bias.weight.T
        return h @ self.out(items).T + self.bias(items).T


class GRU4Rec(SessionBaseline):
    """GRU4Rec on training `Sessions`; see the module docstring."""

    def __init__(self, *, embedding_size: int = 64, hidden_size: int = 100, loss: str = "top1", batch_size: int = 50,
                 epochs: int = 5, learning_rate: float = 0.05, seed: int = 0, progress: bool = False):
        self.embedding_size = embedding_size
        self.hidden_size = hidden_size
        self.loss = loss
        self.batch_size = batch_size
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.seed = seed
        self.progress = progress

    def _fit(self, train: Sessions) -> None:
        embedding = whole_number(self.embedding_size, "embedding_size")
        hidden = whole_number(self.hidden_size, "hidden_size")
        loss_name = one_of(self.loss, "loss", ("top1", "bpr", "ce"))
        loss_fn = {"top1": top1_loss, "bpr": session_bpr_loss, "ce": None}[loss_name]
        batch = whole_number(self.batch_size, "batch_size", minimum=2)
        epochs = whole_number(self.epochs, "epochs")
        lr = real_number(self.learning_rate, "learning_rate", above=0)
        flag(self.progress, "progress")
        rng = seed_everything(whole_number(self.seed, "seed", minimum=0))
        self.network_ = net = GRU4RecNet(self.n_items_, embedding, hidden)
        optimiser = torch.optim.Adagrad(net.parameters(), lr=lr)
        self.history_ = []
        with warnings.catch_warnings():
            # Adagrad builds sparse tensors without checking them, and says so once; they are its own
            warnings.filterwarnings("ignore", message="Sparse invariant checks are implicitly disabled")
            self._epochs(net, optimiser, train, loss_fn, batch, epochs, hidden, rng)

    def _epochs(self, net, optimiser, train, loss_fn, batch, epochs, hidden, rng):
        """Session-parallel mini-batches, one pass over the training sessions per epoch."""
        from tqdm.auto import tqdm

        for epoch in tqdm(range(epochs), desc="GRU4Rec", disable=not self.progress, unit="epoch"):
            h = torch.zeros(batch, hidden)
            total, steps = 0.0, 0
            for inputs, targets, reset, active in session_parallel_batches(train, batch, order=rng.permutation(len(train))):
                if active.sum() < 2:                            # one session left: no negative to compare with
                    break
                keep = torch.as_tensor(~reset, dtype=torch.float32)[:, None]
                h = net.step(torch.as_tensor(np.maximum(inputs, 0)), h.detach() * keep)
                on = torch.as_tensor(active)
                if loss_fn is None:                                     # softmax over the whole catalogue
                    loss = nn.functional.cross_entropy(net.scores(h[on]), torch.as_tensor(targets[active]))
                else:
                    loss = loss_fn(net.scores(h[on], torch.as_tensor(targets[active])))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total, steps = total + float(loss.detach()), steps + 1
            self.history_.append({"epoch": epoch + 1, "loss": total / max(steps, 1)})

    def hidden_states(self, sessions: Sessions, which) -> torch.Tensor:
        """The hidden state after reading each whole session in ``which``, step by step: a tensor
        (max length, len(which), hidden), entry t after the first t + 1 items (zero-padded)."""
        which = np.asarray(which)
        lengths = sessions.lengths[which]
        h = torch.zeros(len(which), self.network_.gru.hidden_size)
        states = torch.zeros(int(lengths.max()), len(which), h.shape[1])
        with torch.no_grad():
            for t in range(int(lengths.max())):
                going = np.flatnonzero(lengths > t)
                items = torch.as_tensor(sessions.items[sessions.offsets[which[going]] + t])
                h = h.clone()
                h[going] = self.network_.step(items, h[going])
                states[t] = h
        return states

    def _score(self, sessions, session, position):
        which, inverse = np.unique(session, return_inverse=True)
        states = self.hidden_states(sessions, which)
        h = states[torch.as_tensor(position - 1), torch.as_tensor(inverse)]
        with torch.no_grad():
            return self.network_.scores(h).numpy().astype(float)

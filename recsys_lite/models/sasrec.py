"""A self-attentive sequential recommender in the style of SASRec (Kang & McAuley 2018).

Each position t of a sequence attends to the positions up to t (a causal mask), so the output
at t summarises the items read so far and scores every item as the next one:

    x_t = E[item_t] + P[t]                                     (item and position embeddings)
    block:  a = x + Attention(LN(x)),   x' = a + FFN(LN(a))    (one head, as in the paper)
    Attention(z) = softmax(Q Kᵀ / sqrt(d) + causal mask) V,    Q, K, V = z W_Q, z W_K, z W_V
    r̂_{t,i} = LN(x'_t) · E[i]                                  (the item embeddings are shared)

Sequences are cut from training sessions into windows of at most ``max_length`` inputs,
padded on the left. Two losses: ``"bce"``, the paper's (each position's next item against
one random item, binary cross-entropy), and ``"ce"``, the softmax cross-entropy over the whole
catalogue, cheap at 1,682 items and usually better (Klenitskiy & Vasilev 2023). There is no
early stopping: ``epochs`` is chosen on validation sessions. The attention weights of the last
position over a prefix (`attention`) show which earlier items a recommendation rests on.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .._checks import one_of, real_number, whole_number
from ..data.sessions import Sessions
from ..train import seed_everything
from .session_baselines import SessionBaseline


class CausalSelfAttention(nn.Module):
    """One head of self-attention in which position t sees positions 0 .. t that are not padding."""

    def __init__(self, size: int):
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(size, size, bias=False) for _ in range(3))

    def forward(self, z, padding):
        """``z``: (B, L, d); ``padding``: (B, L) true at padded positions. Returns the output and
        the attention weights (B, L, L), row t summing to 1 over the positions t attends to."""
        length = z.shape[1]
        logits = self.query(z) @ self.key(z).transpose(1, 2) / math.sqrt(z.shape[2])
        future = torch.ones(length, length, dtype=torch.bool).triu(1)
        hidden = future | padding[:, None, :]
        hidden = hidden & ~torch.eye(length, dtype=torch.bool)           # a padded row attends to itself only
        weights = torch.softmax(logits.masked_fill(hidden, float("-inf")), dim=-1)
        return weights @ self.value(z), weights


class SASRecBlock(nn.Module):
    def __init__(self, size: int, dropout: float):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(size), nn.LayerNorm(size)
        self.attention = CausalSelfAttention(size)
        self.ffn = nn.Sequential(nn.Linear(size, size), nn.ReLU(), nn.Dropout(dropout), nn.Linear(size, size))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, padding):
        out, weights = self.attention(self.norm1(x), padding)
        x = x + self.dropout(out)
        x = x + self.dropout(self.ffn(self.norm2(x)))
        return x.masked_fill(padding[..., None], 0.0), weights


class SASRecNet(nn.Module):
    def __init__(self, n_items: int, size: int, max_length: int, blocks: int, dropout: float):
        super().__init__()
        self.n_items = n_items
        self.items = nn.Embedding(n_items + 1, size, padding_idx=n_items)   # the last row is padding
        self.positions = nn.Embedding(max_length, size)
        self.blocks = nn.ModuleList(SASRecBlock(size, dropout) for _ in range(blocks))
        self.norm = nn.LayerNorm(size)
        self.dropout = nn.Dropout(dropout)
        nn.init.normal_(self.items.weight, std=0.05)
        nn.init.normal_(self.positions.weight, std=0.05)
        with torch.no_grad():
            self.items.weight[n_items].zero_()

    def forward(self, sequences):
        """(B, L) item ids, padding = n_items on the left -> outputs (B, L, d) and each block's
        attention weights."""
        padding = sequences == self.n_items
        x = self.items(sequences) * math.sqrt(self.items.embedding_dim) + self.positions.weight[None]
        x = self.dropout(x).masked_fill(padding[..., None], 0.0)
        weights = []
        for block in self.blocks:
            x, w = block(x, padding)
            weights.append(w)
        return self.norm(x), weights

    def scores(self, outputs, items=None):
        """Every item's score for each output (default), or the score of ``items``, one per output."""
        if items is None:
            return outputs @ self.items.weight[:self.n_items].T
        return (outputs * self.items(items)).sum(-1)


def windows(sessions: Sessions, max_length: int) -> np.ndarray:
    """Every session cut into windows of at most ``max_length`` + 1 events (consecutive windows
    share one event, so every event but a session's first is a target once), left-padded with
    n_items: an (n_windows, max_length + 1) array."""
    lengths = sessions.lengths
    count = np.where(lengths >= 2, -(-(lengths - 1) // max_length), 0)
    session = np.repeat(np.arange(len(sessions)), count)
    start = (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)) * max_length
    size = np.minimum(max_length + 1, lengths[session] - start)
    j = np.arange(max_length + 1)[None, :]
    shift = j - (max_length + 1 - size[:, None])
    index = sessions.offsets[session][:, None] + start[:, None] + shift
    return np.where(shift >= 0, sessions.items[np.clip(index, 0, len(sessions.items) - 1)], sessions.n_items)


def prefixes(sessions: Sessions, session: np.ndarray, position: np.ndarray, max_length: int) -> np.ndarray:
    """The last ``max_length`` items before each prediction point, left-padded with n_items."""
    j = np.arange(max_length)[None, :]
    before = position[:, None] - max_length + j
    index = sessions.offsets[session][:, None] + before
    return np.where(before >= 0, sessions.items[np.clip(index, 0, len(sessions.items) - 1)], sessions.n_items)


class SASRec(SessionBaseline):
    """A SASRec-style model on training `Sessions`; see the module docstring."""

    def __init__(self, *, embedding_size: int = 64, max_length: int = 50, blocks: int = 2, dropout: float = 0.2,
                 loss: str = "ce", batch_size: int = 128, epochs: int = 20, learning_rate: float = 0.001,
                 seed: int = 0):
        self.embedding_size = embedding_size
        self.max_length = max_length
        self.blocks = blocks
        self.dropout = dropout
        self.loss = loss
        self.batch_size = batch_size
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.seed = seed

    def _fit(self, train: Sessions) -> None:
        size = whole_number(self.embedding_size, "embedding_size")
        length = whole_number(self.max_length, "max_length")
        blocks = whole_number(self.blocks, "blocks")
        dropout = real_number(self.dropout, "dropout", minimum=0, below=1)
        loss = one_of(self.loss, "loss", ("ce", "bce"))
        batch = whole_number(self.batch_size, "batch_size")
        epochs = whole_number(self.epochs, "epochs")
        lr = real_number(self.learning_rate, "learning_rate", above=0)
        rng = seed_everything(whole_number(self.seed, "seed", minimum=0))
        data = windows(train, length)
        if not len(data):
            raise ValueError("train has no session of two or more events to learn from.")
        self.network_ = net = SASRecNet(self.n_items_, size, length, blocks, dropout)
        optimiser = torch.optim.Adam(net.parameters(), lr=lr, betas=(0.9, 0.98))
        self.history_ = []
        net.train()
        for epoch in range(epochs):
            total = 0.0
            order = rng.permutation(len(data))
            for start in range(0, len(data), batch):
                chunk = torch.as_tensor(data[order[start:start + batch]])
                inputs, targets = chunk[:, :-1], chunk[:, 1:]
                real = targets != self.n_items_
                outputs, _ = net(inputs)
                if loss == "ce":
                    value = nn.functional.cross_entropy(net.scores(outputs[real]), targets[real])
                else:
                    negatives = torch.as_tensor(rng.integers(0, self.n_items_, size=tuple(targets.shape)))
                    pos = net.scores(outputs, targets.clamp(max=self.n_items_ - 1))[real]
                    neg = net.scores(outputs, negatives)[real]
                    value = (nn.functional.softplus(-pos) + nn.functional.softplus(neg)).mean()
                optimiser.zero_grad()
                value.backward()
                optimiser.step()
                total += float(value.detach()) * len(chunk)
            self.history_.append({"epoch": epoch + 1, "loss": total / len(data)})
        net.eval()

    def attention(self, sessions: Sessions, session: int, position: int) -> tuple[np.ndarray, np.ndarray]:
        """The prefix items of one prediction point and the last block's attention weights of
        the point's query over them (summing to 1)."""
        if not hasattr(self, "network_"):
            raise RuntimeError("SASRec is not fitted yet; call fit(train) first.")
        self.score_points(sessions, [session], [position])               # validates the point
        seq = prefixes(sessions, np.array([session]), np.array([position]), self.max_length)
        with torch.no_grad():
            _, weights = self.network_(torch.as_tensor(seq))
        w = weights[-1][0, -1].numpy()
        real = seq[0] != self.n_items_
        return seq[0][real], w[real]

    def _score(self, sessions, session, position):
        seq = torch.as_tensor(prefixes(sessions, session, position, self.max_length))
        with torch.no_grad():
            outputs, _ = self.network_(seq)
            return self.network_.scores(outputs[:, -1]).numpy().astype(float)

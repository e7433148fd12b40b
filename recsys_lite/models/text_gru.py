"""Item features learned from text with a GRU, after Bansal, Belanger & McCallum (2016), "Ask
the GRU": a recurrent encoder reads an item's text, its output joins the item's factors, and an
auxiliary head predicts the item's tags from the same encoding (multi-task learning), so the
text vector is trained by every rating and by the tags at once.

Here the text is a MovieLens title (words, the year removed) and the tags are its genres:

    t_i = GRU(words of title_i)                     (the last hidden state)
    r̂_ui = μ + b_u + b_i + p_u · (q_i + W t_i)
    loss = mean squared rating error + ``genre_weight`` · BCE(V t_i, genres_i) (the batch's items)
           + ``reg`` · mean over the batch of (|p_u|² + |q_i|² + |W t_i|² + b_u² + b_i²)

An item with few ratings has a poorly learned q_i, but its title is always there. ``text=False``
drops the encoder (q_i alone, the same training): the ablation that shows what the title adds.
"""
from __future__ import annotations

import re

import numpy as np
import torch
from torch import nn

from .._checks import flag, real_number, whole_number
from ..data.dataset import Dataset
from ..data.movielens import genre_matrix
from ..train import seed_everything
from .base import Recommender


def title_words(title: str) -> list[str]:
    """Lower-case words of a title, without its year: 'Toy Story (1995)' -> ['toy', 'story']."""
    if not isinstance(title, str):
        raise TypeError(f"title must be a string, got {type(title).__name__}.")
    return re.findall(r"[a-z0-9']+", re.sub(r"\(\d{4}\)\s*$", "", title.strip()).lower())


def encode_titles(titles, *, min_count: int = 2) -> tuple[np.ndarray, list[str]]:
    """Titles as rows of word ids, left-aligned and padded with 0: word ids start at 2 (1 is
    any word in fewer than ``min_count`` titles). Returns the (n_titles, longest) array and the
    vocabulary (index = id; 0 '<pad>', 1 '<rare>')."""
    min_count = whole_number(min_count, "min_count")
    words = [title_words(t) for t in titles]
    if not words:
        raise ValueError("titles is empty.")
    counts: dict[str, int] = {}
    for ws in words:
        for w in set(ws):
            counts[w] = counts.get(w, 0) + 1
    vocabulary = ["<pad>", "<rare>"] + sorted(w for w, c in counts.items() if c >= min_count)
    index = {w: i for i, w in enumerate(vocabulary)}
    longest = max(1, max(len(ws) for ws in words))
    out = np.zeros((len(words), longest), dtype=np.int64)
    for row, ws in enumerate(words):
        out[row, :len(ws)] = [index.get(w, 1) for w in ws]
    return out, vocabulary


class TitleEncoder(nn.Module):
    """Word embeddings read by a GRU; the last hidden state of each title (an empty title gives 0)."""

    def __init__(self, vocabulary_size: int, embedding_size: int, hidden_size: int):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary_size, embedding_size, padding_idx=0)
        self.gru = nn.GRU(embedding_size, hidden_size, batch_first=True)

    def forward(self, words):
        lengths = (words != 0).sum(1)
        out = torch.zeros(words.shape[0], self.gru.hidden_size)
        some = lengths > 0
        if some.any():
            packed = nn.utils.rnn.pack_padded_sequence(self.embedding(words[some]), lengths[some],
                                                       batch_first=True, enforce_sorted=False)
            _, h = self.gru(packed)
            out = out.index_put((some.nonzero()[:, 0],), h[0])
        return out


class TextMF(Recommender):
    """Biased MF whose item vectors add a GRU encoding of the title; see the module docstring."""

    def __init__(self, *, factors: int = 16, word_size: int = 16, text_size: int = 32, text: bool = True,
                 genre_weight: float = 1.0, reg: float = 0.05, batch_size: int = 1024, epochs: int = 10,
                 learning_rate: float = 0.005, min_count: int = 2, seed: int = 0):
        self.factors = factors
        self.word_size = word_size
        self.text_size = text_size
        self.text = text
        self.genre_weight = genre_weight
        self.reg = reg
        self.batch_size = batch_size
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.min_count = min_count
        self.seed = seed

    def _fit(self, train: Dataset) -> None:
        factors = whole_number(self.factors, "factors")
        word_size, text_size = whole_number(self.word_size, "word_size"), whole_number(self.text_size, "text_size")
        text = flag(self.text, "text")
        genre_weight = real_number(self.genre_weight, "genre_weight", minimum=0)
        reg = real_number(self.reg, "reg", minimum=0)
        batch, epochs = whole_number(self.batch_size, "batch_size"), whole_number(self.epochs, "epochs")
        lr = real_number(self.learning_rate, "learning_rate", above=0)
        rng = seed_everything(whole_number(self.seed, "seed", minimum=0))
        if text and "title" not in train.items.columns:
            raise ValueError("text=True needs the items' titles (a 'title' column in the dataset's items).")
        r = train.ratings
        users, items = (torch.as_tensor(r[c].to_numpy().copy()) for c in ("user", "item"))
        y = torch.as_tensor(r["rating"].to_numpy(dtype=np.float32))
        self.global_mean_ = float(y.mean())
        self.rating_range_ = (float(y.min()), float(y.max()))
        net = nn.ModuleDict({"p": nn.Embedding(self.n_users_, factors), "q": nn.Embedding(self.n_items_, factors),
                             "bu": nn.Embedding(self.n_users_, 1), "bi": nn.Embedding(self.n_items_, 1)})
        for name in ("p", "q"):
            nn.init.normal_(net[name].weight, std=0.05)
        for name in ("bu", "bi"):
            nn.init.zeros_(net[name].weight)
        if text:
            words, self.vocabulary_ = encode_titles(train.items["title"].tolist(), min_count=self.min_count)
            self.words_ = torch.as_tensor(words)
            genres = torch.as_tensor(genre_matrix(train).to_numpy(dtype=np.float32, copy=True))
            net["encoder"] = TitleEncoder(len(self.vocabulary_), word_size, text_size)
            net["to_factors"] = nn.Linear(text_size, factors, bias=False)
            net["to_genres"] = nn.Linear(text_size, genres.shape[1])
        self.network_ = net
        optimiser = torch.optim.Adam(net.parameters(), lr=lr)
        self.history_ = []
        for _ in range(epochs):
            order = torch.as_tensor(rng.permutation(len(y)))
            total = 0.0
            for start in range(0, len(y), batch):
                part = order[start:start + batch]
                u, i = users[part], items[part]
                penalty = (net["p"](u) ** 2).sum(1) + (net["q"](i) ** 2).sum(1) + net["bu"](u)[:, 0] ** 2 \
                    + net["bi"](i)[:, 0] ** 2
                if text:                                        # read only the batch's titles
                    batch_items, where = torch.unique(i, return_inverse=True)
                    encoded = net["encoder"](self.words_[batch_items])
                    from_text = net["to_factors"](encoded)[where]
                    q = net["q"](i) + from_text
                    penalty = penalty + (from_text ** 2).sum(1)
                else:
                    q = net["q"](i)
                est = self.global_mean_ + net["bu"](u)[:, 0] + net["bi"](i)[:, 0] + (net["p"](u) * q).sum(1)
                loss = ((est - y[part]) ** 2).mean()
                total += float(loss.detach()) * len(part)
                loss = loss + reg * penalty.mean()
                if text and genre_weight:                       # the auxiliary task, on the same titles
                    loss = loss + genre_weight * nn.functional.binary_cross_entropy_with_logits(
                        net["to_genres"](encoded), genres[batch_items])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            self.history_.append(float(np.sqrt(total / len(y))))
        with torch.no_grad():
            q = net["q"].weight + (net["to_factors"](net["encoder"](self.words_)) if text else 0)
            self.item_vectors_ = q.numpy().astype(float)
            self.user_factors_ = net["p"].weight.numpy().astype(float)
            self.user_bias_ = net["bu"].weight[:, 0].numpy().astype(float)
            self.item_bias_ = net["bi"].weight[:, 0].numpy().astype(float)

    def title_vectors(self) -> np.ndarray:
        """Every item's title encoding t_i (n_items x text_size)."""
        self._check_fitted()
        if not self.text:
            raise ValueError("this model was fitted with text=False: it has no title encoder.")
        with torch.no_grad():
            return self.network_["encoder"](self.words_).numpy().astype(float)

    def _score(self, users):
        return (self.global_mean_ + self.user_bias_[users, None] + self.item_bias_[None, :]
                + self.user_factors_[users] @ self.item_vectors_.T)

    def _predict(self, users, items):
        est = (self.global_mean_ + self.user_bias_[users] + self.item_bias_[items]
               + (self.user_factors_[users] * self.item_vectors_[items]).sum(1))
        return np.clip(est, *self.rating_range_)

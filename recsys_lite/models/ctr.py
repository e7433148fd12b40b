"""Click-through prediction with categorical fields: logistic regression, a factorisation
machine, Wide & Deep and DeepFM, all on one encoding of the data.

Each (user, item) pair is a handful of *fields* (user id, age group, gender, occupation, item id,
decade, genres, knowledge-graph entities); each field holds one or more active *features*
x_f (genres and entities are multi-hot, every feature a 1). The label is whether the user liked
the item (rating ≥ ``threshold``), and every model gives a logit x̂, with P(like) = σ(x̂):

* logistic regression:  x̂ = w_0 + Σ_f w_f x_f;
* factorisation machine (Rendle 2010):  x̂ = w_0 + Σ_f w_f x_f + Σ_{f<g} ⟨v_f, v_g⟩ x_f x_g,
  whose pairwise sum is computed in O(kn) as ½ Σ_k [(Σ_f v_fk x_f)² − Σ_f v_fk² x_f²];
* Wide & Deep (Cheng et al. 2016):  P = σ(w_wideᵀ [x, φ(x)] + w_deepᵀ a^(L) + b), the wide part a
  linear model over the raw features x *and* cross-product features φ(x) (here gender × genre and
  occupation × genre), the deep part an MLP a^(L) over the fields' embeddings, trained jointly;
* DeepFM (Guo et al. 2017):  x̂ = y_FM + y_DNN, a factorisation machine and an MLP that share the
  feature embeddings, so no cross features are engineered by hand.

A multi-hot field's embedding, as input of the MLP, is the mean of its active features' vectors.
The models follow the book's contract: `predict_proba(users, items)` is P(like), and `score`
ranks every item for a user by it (the probability that the user would like an item, *if* they
rated it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from .._checks import flag, fraction, real_number, whole_number
from ..data.dataset import Dataset
from ..train import lookup, seed_everything, train_loop
from .base import Recommender

AGE_GROUPS = (0, 18, 25, 35, 45, 50, 56)     # MovieLens-1M's age groups: under 18, 18-24, ..., 56+


@dataclass(frozen=True)
class ClickFields:
    """The encoding: every feature has an index (0 is padding, never active). ``user_index`` (users
    x user columns) and ``item_index`` / ``item_value`` (items x item columns, value 0 where a
    multi-hot field has fewer features than columns) list each one's active features;
    ``column_field`` names the field of every column, users' first. ``gender`` and ``occupation``
    (per user) and ``genre_index`` / ``genre_value`` (per item, genre numbers 0..n_genres−1) feed
    the cross-product features."""

    user_index: np.ndarray
    item_index: np.ndarray
    item_value: np.ndarray
    column_field: tuple
    fields: tuple
    n_features: int
    gender: np.ndarray
    occupation: np.ndarray
    genre_index: np.ndarray
    genre_value: np.ndarray
    n_genres: int
    n_occupations: int
    names: tuple

    def pairs(self, users, items, crosses: bool = False):
        """Feature indices and values of the pairs (users[j], items[j]): two arrays (pairs x
        columns); with ``crosses``, a third and fourth for the cross-product features, whose
        indices count from 0 in their own table (gender × genre, then occupation × genre)."""
        users, items = np.asarray(users), np.asarray(items)
        index = np.concatenate([self.user_index[users], self.item_index[items]], axis=1)
        value = np.concatenate([np.ones((len(users), self.user_index.shape[1]), np.float32),
                                self.item_value[items]], axis=1)
        if not crosses:
            return index, value
        g = self.genre_index[items]
        by_gender = self.gender[users, None] * self.n_genres + g
        by_job = 2 * self.n_genres + self.occupation[users, None] * self.n_genres + g
        cross_value = np.concatenate([self.genre_value[items]] * 2, axis=1)
        return index, value, np.concatenate([by_gender, by_job], axis=1), cross_value

    @property
    def n_crosses(self) -> int:
        return (2 + self.n_occupations) * self.n_genres


def _age_group(age: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(AGE_GROUPS), age, side="right") - 1


def _padded(lists: list, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Lists of feature numbers as a padded index matrix (index + start; padding 0) and its values."""
    width = max(1, max((len(x) for x in lists), default=0))
    index = np.zeros((len(lists), width), np.int64)
    value = np.zeros((len(lists), width), np.float32)
    for row, x in enumerate(lists):          # one row per film: a loop over 1,682 films, not ratings
        index[row, :len(x)] = np.asarray(x, dtype=np.int64) + start
        value[row, :len(x)] = 1.0
    return index, value


def click_fields(data: Dataset, facts: pd.DataFrame | None = None, *, min_films: int = 10) -> ClickFields:
    """Encode MovieLens-style users (age, gender, occupation) and items (year, genres) as fields,
    plus, if ``facts`` (`recsys_lite.data.load_knowledge_graph`) is given, the knowledge-graph
    entities linked to at least ``min_films`` films. Uses no ratings, so it is the same for every
    split of ``data``."""
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a recsys_lite Dataset, got {type(data).__name__}.")
    missing = [c for c in ("age", "gender", "occupation") if c not in data.users]
    if missing or "genres" not in data.items or "year" not in data.items:
        raise ValueError("click_fields needs users with age, gender and occupation and items with year and genres "
                         f"(MovieLens-100K has them); missing: {missing or ['year or genres']}.")
    min_films = whole_number(min_films, "min_films")
    users, items = data.users, data.items
    age = _age_group(users["age"].to_numpy())
    gender = (users["gender"] == "F").to_numpy().astype(np.int64)
    occupation, occupations = pd.factorize(users["occupation"], sort=True)
    year = pd.to_numeric(items["year"], errors="coerce").to_numpy(dtype=float)
    decade, decades = pd.factorize(np.where(np.isnan(year), -1, year // 10 * 10).astype(int), sort=True)
    genre_names = sorted({g for gs in items["genres"] for g in gs})
    genre_lists = [[genre_names.index(g) for g in gs] for gs in items["genres"]]
    blocks = [("user", data.n_users), ("age", len(AGE_GROUPS)), ("gender", 2), ("occupation", len(occupations)),
              ("item", data.n_items), ("decade", len(decades)), ("genre", len(genre_names))]
    entity_lists, entity_names = None, []
    if facts is not None:
        if not isinstance(facts, pd.DataFrame) or not {"item", "entity"} <= set(facts):
            raise ValueError("facts must be the table of load_knowledge_graph (columns item, relation, entity).")
        pairs = facts[["item", "entity"]].drop_duplicates()
        counts = pairs["entity"].value_counts()
        entity_names = sorted(counts.index[counts >= min_films])
        kept = pairs[pairs["entity"].isin(entity_names)]
        code = pd.Categorical(kept["entity"], categories=entity_names).codes
        by_item = pd.Series(code, index=kept["item"].to_numpy()).groupby(level=0).agg(list)
        entity_lists = [by_item.get(i, []) for i in range(data.n_items)]
        blocks.append(("entity", len(entity_names)))
    start = np.cumsum([1] + [n for _, n in blocks])          # feature 0 is padding
    offset = dict(zip([b for b, _ in blocks], start[:-1]))
    user_index = np.stack([np.arange(data.n_users) + offset["user"], age + offset["age"],
                           gender + offset["gender"], occupation + offset["occupation"]], axis=1)
    genre_index, genre_value = _padded(genre_lists, 0)
    item_parts = [(np.arange(data.n_items)[:, None] + offset["item"], np.ones((data.n_items, 1), np.float32)),
                  ((decade + offset["decade"])[:, None], np.ones((data.n_items, 1), np.float32)),
                  (genre_index + offset["genre"], genre_value)]
    if entity_lists is not None:
        item_parts.append(_padded(entity_lists, offset["entity"]))
    item_index = np.concatenate([p[0] for p in item_parts], axis=1)
    item_value = np.concatenate([p[1] for p in item_parts], axis=1)
    item_index[item_value == 0] = 0                                       # padding points at feature 0
    column_field = ("user", "age", "gender", "occupation", "item", "decade") + ("genre",) * genre_index.shape[1]
    if entity_lists is not None:
        column_field += ("entity",) * item_parts[-1][0].shape[1]
    names = (["<pad>"] + [f"user {u}" for u in range(data.n_users)]
             + [f"age {a}+" for a in AGE_GROUPS] + ["gender M", "gender F"]
             + [f"occupation {o}" for o in occupations] + [f"item {i}" for i in range(data.n_items)]
             + [f"decade {d}" for d in decades] + [f"genre {g}" for g in genre_names]
             + [f"entity {e}" for e in entity_names])
    return ClickFields(user_index=user_index.astype(np.int64), item_index=item_index, item_value=item_value,
                       column_field=column_field, fields=tuple(dict.fromkeys(column_field)), n_features=int(start[-1]),
                       gender=gender, occupation=occupation.astype(np.int64), genre_index=genre_index,
                       genre_value=genre_value, n_genres=len(genre_names), n_occupations=len(occupations),
                       names=tuple(names))


def rows(at, table):
    """``table[at]`` for a 1-D or 2-D table, by `recsys_lite.train.lookup`: the same values, and on
    the CPU a much faster backward pass than indexing's when ``at`` repeats rows many times."""
    if table.dim() == 1:
        return lookup(table[:, None], at)[:, 0]
    return lookup(table, at)


def fm_pairwise(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Σ_{f<g} ⟨v_f, v_g⟩ x_f x_g for each row, in O(kn): ½ Σ_k [(Σ_f v_fk x_f)² − Σ_f v_fk² x_f²].
    ``v``: (rows, features, k) vectors of the active features; ``x``: (rows, features) values."""
    vx = v * x[..., None]
    return 0.5 * (vx.sum(dim=1) ** 2 - (vx ** 2).sum(dim=1)).sum(dim=1)


class ClickNet(nn.Module):
    """Every model's parts: w_0 and w (linear), the cross-product weights (wide), the shared
    feature vectors v (FM and deep), and the MLP over the fields' mean vectors.

    A pair's features are its user's plus its item's, so every sum over a pair's features splits
    into a user part and an item part, computed once per user and per item and then indexed:
    Σ_f w_f x_f = lin(u) + lin(i), and with S = Σ_f v_f x_f and P = ½(|S|² − Σ_f |v_f|² x_f²) on
    each side, the FM's pairwise sum is P(u) + P(i) + ⟨S(u), S(i)⟩; a user's gender × genre and
    occupation × genre weights, dotted with an item's genres, give the crosses. `ClickFields.pairs`
    and `fm_pairwise` compute the same by rows; the tests check that the two agree."""

    def __init__(self, fields: ClickFields, *, linear: bool, crosses: bool, fm: bool, deep: bool,
                 k: int, hidden: tuple):
        super().__init__()
        self.use_crosses, self.use_fm, self.use_deep = crosses, fm, deep
        n_user_columns = fields.user_index.shape[1]
        self.register_buffer("user_index", torch.as_tensor(fields.user_index))
        self.register_buffer("item_index", torch.as_tensor(fields.item_index))
        self.register_buffer("item_value", torch.as_tensor(fields.item_value))
        self.bias = nn.Parameter(torch.zeros(()))
        self.linear = nn.Embedding(fields.n_features, 1, padding_idx=0) if linear else None
        if self.linear is not None:
            nn.init.zeros_(self.linear.weight)
        if crosses:
            genres = np.zeros((len(fields.genre_index), fields.n_genres), np.float32)
            np.put_along_axis(genres, fields.genre_index, fields.genre_value, axis=1)
            self.register_buffer("genres", torch.as_tensor(genres))                   # items x genres, multi-hot
            self.register_buffer("gender", torch.as_tensor(fields.gender))
            self.register_buffer("occupation", torch.as_tensor(fields.occupation))
            self.by_gender = nn.Embedding(2, fields.n_genres)
            self.by_occupation = nn.Embedding(fields.n_occupations, fields.n_genres)
            nn.init.zeros_(self.by_gender.weight)
            nn.init.zeros_(self.by_occupation.weight)
        if fm or deep:
            self.vectors = nn.Embedding(fields.n_features, k, padding_idx=0)
            nn.init.normal_(self.vectors.weight, std=0.01)
            with torch.no_grad():
                self.vectors.weight[0] = 0
        if deep:
            item_fields = list(dict.fromkeys(fields.column_field[n_user_columns:]))
            column_field = [item_fields.index(f) for f in fields.column_field[n_user_columns:]]
            membership = np.eye(len(item_fields), dtype=np.float32)[column_field]          # item columns x item fields
            self.register_buffer("membership", torch.as_tensor(membership))
            widths = ((n_user_columns + len(item_fields)) * k,) + tuple(hidden)
            layers = []
            for a, b in zip(widths[:-1], widths[1:]):
                layers += [nn.Linear(a, b), nn.ReLU()]
            self.mlp = nn.Sequential(*layers, nn.Linear(widths[-1], 1))

    @staticmethod
    def _fm_side(v, x):
        # S = Σ v x and P = ½(|S|² − Σ |v|² x²) for each row of one side
        vx = v * x[..., None]
        s = vx.sum(dim=1)
        return s, 0.5 * ((s ** 2).sum(dim=1) - (vx ** 2).sum(dim=(1, 2)))

    def forward(self, u, i):
        """Logits of the pairs (u[j], i[j])."""
        users, items = torch.unique(u, return_inverse=True), torch.unique(i, return_inverse=True)
        uu, ii = users[0], items[0]                  # each distinct user and item once
        u_at, i_at = users[1], items[1]
        user_index, item_index, item_value = self.user_index[uu], self.item_index[ii], self.item_value[ii]
        user_value = torch.ones(user_index.shape)
        logit = self.bias.expand(len(u))
        if self.linear is not None:
            logit = logit + rows(u_at, self.linear(user_index)[..., 0].sum(dim=1)) \
                + rows(i_at, (self.linear(item_index)[..., 0] * item_value).sum(dim=1))
        if self.use_crosses:
            user_cross = self.by_gender(self.gender[uu]) + self.by_occupation(self.occupation[uu])
            logit = logit + (rows(u_at, user_cross) * self.genres[ii][i_at]).sum(dim=1)
        if self.use_fm or self.use_deep:
            vu, vi = self.vectors(user_index), self.vectors(item_index)
        if self.use_fm:
            (su, pu), (si, pi) = self._fm_side(vu, user_value), self._fm_side(vi, item_value)
            logit = logit + rows(u_at, pu) + rows(i_at, pi) + (rows(u_at, su) * rows(i_at, si)).sum(dim=1)
        if self.use_deep:
            # each item field's mean vector: value-weighted vectors summed over its columns / its active count
            pooled = torch.einsum("bck,cf->bfk", vi * item_value[..., None], self.membership)
            pooled = pooled / (item_value @ self.membership).clamp(min=1.0)[..., None]
            logit = logit + self.mlp(torch.cat([rows(u_at, vu.flatten(1)), rows(i_at, pooled.flatten(1))], dim=1))[:, 0]
        return logit


class ClickModel(Recommender):
    """The shared fitting and scoring; the four models below only choose the parts."""

    parts: dict = {}
    #: scoring a batch of users builds (users x items) feature rows: keep batches moderate
    batch_size = 256

    def __init__(self, *, fields: ClickFields | None = None, threshold: float = 4.0, embedding_size: int = 8,
                 hidden=(64, 32), crosses: bool = True, epochs: int = 30, batch_size: int = 4096,
                 learning_rate: float = 0.01, reg: float = 1e-5, validation: float = 0.1, patience: int = 1,
                 seed: int = 0, progress: bool = False):
        self.fields = fields
        self.threshold = threshold
        self.embedding_size = embedding_size
        self.hidden = hidden
        self.crosses = crosses
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.reg = reg
        self.validation = validation
        self.patience = patience
        self.seed = seed
        self.progress = progress

    def _uses_crosses(self) -> bool:
        return bool(self.parts.get("crosses")) and bool(self.crosses)

    def _fit(self, train: Dataset) -> None:
        fields = self.fields
        if not isinstance(fields, ClickFields):
            raise ValueError(f"fields must be the encoding from click_fields(data), got {type(fields).__name__}.")
        if (fields.user_index.shape[0], fields.item_index.shape[0]) != (self.n_users_, self.n_items_):
            raise ValueError(f"fields encodes {fields.user_index.shape[0]} users x {fields.item_index.shape[0]} items, "
                             f"but the training data has {self.n_users_} x {self.n_items_}.")
        real_number(self.threshold, "threshold")
        for name in ("embedding_size", "epochs", "batch_size", "patience"):
            whole_number(getattr(self, name), name)
        hidden = self.hidden
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__len__") or not len(hidden):
            raise ValueError(f"hidden must be a non-empty list of layer widths, got {hidden!r}.")
        hidden = tuple(whole_number(w, "hidden") for w in hidden)
        real_number(self.learning_rate, "learning_rate", above=0)
        real_number(self.reg, "reg", minimum=0)
        fraction(self.validation, "validation")
        flag(self.crosses, "crosses")
        flag(self.progress, "progress")
        rng = seed_everything(whole_number(self.seed, "seed", minimum=0))
        parts = {"linear": True, "fm": False, "deep": False, **self.parts, "crosses": self._uses_crosses()}
        self.network_ = ClickNet(fields, k=self.embedding_size, hidden=hidden, **parts)
        r = train.ratings
        labels = (r["rating"].to_numpy() >= self.threshold).astype(np.float32)
        if labels.min() == labels.max():
            raise ValueError(f"every training rating is {'at or above' if labels[0] else 'below'} threshold="
                             f"{self.threshold}: a click model needs both liked and not-liked pairs.")
        encoded = [torch.tensor(r["user"].to_numpy()), torch.tensor(r["item"].to_numpy())]
        y = torch.as_tensor(labels)
        order = rng.permutation(len(r))
        n_val = max(1, int(round(self.validation * len(r))))
        held, fit = torch.as_tensor(order[:n_val]), torch.as_tensor(order[n_val:])
        loss_of = nn.functional.binary_cross_entropy_with_logits

        def batches(epoch):
            rows = fit[torch.as_tensor(rng.permutation(len(fit)))]
            return [tuple(a[chunk] for a in encoded) + (y[chunk],) for chunk in rows.split(self.batch_size)]

        self.history_ = train_loop(self.network_, batches=batches,
                                   loss=lambda batch: loss_of(self.network_(*batch[:-1]), batch[-1]),
                                   validate=lambda: loss_of(self.network_(*(a[held] for a in encoded)), y[held]),
                                   epochs=self.epochs, learning_rate=self.learning_rate, weight_decay=self.reg,
                                   patience=self.patience, progress=self.progress, description=type(self).__name__)

    def _logits(self, users, items) -> np.ndarray:
        with torch.no_grad():
            return self.network_(torch.as_tensor(users), torch.as_tensor(items)).numpy().astype(float)

    def predict_proba(self, users, items) -> np.ndarray:
        """P(the user likes the item) = σ(logit) for the pairs (users[j], items[j])."""
        self._check_fitted()
        users = self._check_ids(users, self.n_users_, "users")
        items = self._check_ids(items, self.n_items_, "items")
        if users.shape != items.shape:
            raise ValueError(f"users and items must have the same length, got {len(users)} and {len(items)}.")
        return 1.0 / (1.0 + np.exp(-self._logits(users, items)))

    def _score(self, users):
        u = np.repeat(users, self.n_items_)
        i = np.tile(np.arange(self.n_items_), len(users))
        return self._logits(u, i).reshape(len(users), self.n_items_)


class LogisticRegression(ClickModel):
    """x̂ = w_0 + Σ w_f x_f, plus the cross-product features' weights if ``crosses=True``
    (default False: the plain model)."""

    parts = {"linear": True, "crosses": True}

    def __init__(self, *, fields=None, threshold=4.0, crosses=False, epochs=30, batch_size=4096,
                 learning_rate=0.02, reg=1e-6, validation=0.1, patience=1, seed=0, progress=False):
        super().__init__(fields=fields, threshold=threshold, crosses=crosses, epochs=epochs, batch_size=batch_size,
                         learning_rate=learning_rate, reg=reg, validation=validation, patience=patience, seed=seed,
                         progress=progress)


class FactorizationMachine(ClickModel):
    """Rendle's factorisation machine of degree 2 over the fields' features."""

    parts = {"linear": True, "fm": True}

    def __init__(self, *, fields=None, threshold=4.0, embedding_size=8, epochs=30, batch_size=4096,
                 learning_rate=0.01, reg=1e-5, validation=0.1, patience=1, seed=0, progress=False):
        super().__init__(fields=fields, threshold=threshold, embedding_size=embedding_size, crosses=False,
                         epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, reg=reg,
                         validation=validation, patience=patience, seed=seed, progress=progress)


class WideAndDeep(ClickModel):
    """Cheng et al.'s Wide & Deep: a linear wide part over the features and (``crosses=True``)
    their gender × genre and occupation × genre products, and a deep MLP over field embeddings."""

    parts = {"linear": True, "crosses": True, "deep": True}


class DeepFM(ClickModel):
    """Guo et al.'s DeepFM: a factorisation machine and an MLP sharing the feature vectors."""

    parts = {"linear": True, "fm": True, "deep": True}

    def __init__(self, *, fields=None, threshold=4.0, embedding_size=8, hidden=(64, 32), epochs=30,
                 batch_size=4096, learning_rate=0.01, reg=1e-5, validation=0.1, patience=1, seed=0,
                 progress=False):
        super().__init__(fields=fields, threshold=threshold, embedding_size=embedding_size, hidden=hidden,
                         crosses=False, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, reg=reg,
                         validation=validation, patience=patience, seed=seed, progress=progress)

"""Losses of session-based recommendation with in-batch negatives (GRU4Rec, Hidasi,
Karatzoglou, Baltrunas & Tikk 2016).

With session-parallel mini-batches, the B slots' target items serve as each other's negative
samples: ``scores`` is B x B, row k holding slot k's scores for the batch's B targets, so the
diagonal holds each slot's positive r̂_{s,i} and the rest of row k its N_S = B - 1 negatives
r̂_{s,j} (popularity-based sampling for free: a popular item is more often someone's target).

* TOP1, a regularised approximation of the relative rank of the positive:
  L = 1/N_S Σ_j [σ(r̂_{s,j} − r̂_{s,i}) + σ(r̂_{s,j}²)];
* BPR: L = −1/N_S Σ_j ln σ(r̂_{s,i} − r̂_{s,j}).

Both are averaged over the active slots (``active``: a slot with no session left takes no part,
as a row or as a negative). A negative that happens to be the row's own target item is kept, as
in the paper's implementation.
"""
from __future__ import annotations

import torch


def _parts(scores, active):
    if scores.ndim != 2 or scores.shape[0] != scores.shape[1]:
        raise ValueError(f"scores must be a square B x B matrix (slots x the batch's targets), got {tuple(scores.shape)}.")
    if active is not None:
        active = torch.as_tensor(active, dtype=torch.bool)
        if active.shape != (scores.shape[0],):
            raise ValueError(f"active must be a boolean vector of length {scores.shape[0]}, got {tuple(active.shape)}.")
        scores = scores[active][:, active]
    n = scores.shape[0]
    if n < 2:
        raise ValueError("scores need at least two active slots: with one, there is no negative.")
    positive = scores.diagonal().unsqueeze(1)                       # r̂_{s,i}, as a column
    negative = ~torch.eye(n, dtype=torch.bool)
    return scores, positive, negative, n


def top1_loss(scores, active=None):
    """GRU4Rec's TOP1 loss of a B x B in-batch score matrix (see the module docstring)."""
    scores, positive, negative, n = _parts(scores, active)
    terms = torch.sigmoid(scores - positive) + torch.sigmoid(scores ** 2)
    return (terms * negative).sum(dim=1).div(n - 1).mean()


def session_bpr_loss(scores, active=None):
    """GRU4Rec's BPR loss of a B x B in-batch score matrix (see the module docstring)."""
    scores, positive, negative, n = _parts(scores, active)
    terms = -torch.nn.functional.logsigmoid(positive - scores)
    return (terms * negative).sum(dim=1).div(n - 1).mean()

"""Sessions cut from a rating log, and the session-parallel mini-batches of GRU4Rec.

A *session* here is a run of one user's ratings with no pause longer than ``gap`` seconds
between two of them. On MovieLens these are rating sessions (a user catching up on films seen
long before, often many in a few minutes), not browsing: the order inside a session says how
someone filled in a form as much as what they watched next.

`Sessions` keeps every session's items in one flat array with offsets, as a CSR matrix keeps
its rows: session ``s`` is ``items[offsets[s]:offsets[s + 1]]``, in time order (ties in time
keep the log's order).

`session_parallel_batches` is Hidasi et al.'s (2016) mini-batch scheme: ``batch_size`` slots
each work through one session, one event per step (input: the current item, target: the next);
when a slot's session has no next item, the slot takes the next session in the queue and its
hidden state must be reset. Sessions of one event have no target and are skipped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import real_number, whole_number
from .dataset import Dataset


@dataclass(frozen=True)
class Sessions:
    """Sessions as one flat array of item ids (``items``) cut by ``offsets`` (length
    n_sessions + 1), with each session's ``users`` and ``starts`` (the time of its first
    event); ``n_items`` is the catalogue's size."""
    items: np.ndarray
    offsets: np.ndarray
    users: np.ndarray
    starts: np.ndarray
    n_items: int

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def session(self, s: int) -> np.ndarray:
        return self.items[self.offsets[s]:self.offsets[s + 1]]

    def subset(self, keep) -> "Sessions":
        """The sessions where the boolean mask ``keep`` is true, in their order."""
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != (len(self),):
            raise ValueError(f"keep must be a boolean mask of length {len(self)}, got shape {keep.shape}.")
        lengths = self.lengths[keep]
        event_keep = np.repeat(keep, self.lengths)
        return Sessions(self.items[event_keep], np.concatenate([[0], np.cumsum(lengths)]), self.users[keep],
                        self.starts[keep], self.n_items)

    def __repr__(self) -> str:
        return (f"Sessions({len(self):,} sessions, {len(self.items):,} events, "
                f"median length {np.median(self.lengths) if len(self) else 0:g})")


def cut_sessions(data: Dataset, *, gap: float = 3600.0) -> Sessions:
    """Cut each user's ratings, in time order, wherever more than ``gap`` seconds pass between
    two consecutive ratings. Returns `Sessions` ordered by user, then time."""
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a recsys_lite Dataset, got {type(data).__name__}.")
    gap = real_number(gap, "gap", minimum=0)
    r = data.ratings
    if not len(r):
        raise ValueError("data has no ratings to cut into sessions.")
    order = np.lexsort((np.arange(len(r)), r["timestamp"].to_numpy(), r["user"].to_numpy()))
    users = r["user"].to_numpy()[order]
    times = r["timestamp"].to_numpy()[order].astype(np.int64)
    items = r["item"].to_numpy()[order]
    new = np.ones(len(r), dtype=bool)
    new[1:] = (users[1:] != users[:-1]) | (times[1:] - times[:-1] > gap)
    starts = np.flatnonzero(new)
    return Sessions(items, np.append(starts, len(r)), users[starts], times[starts], data.n_items)


def split_sessions_by_time(sessions: Sessions, *, test_share: float = 0.2) -> tuple[Sessions, Sessions]:
    """(train, test): the latest ``test_share`` of the sessions by start time are the test set,
    the rest train (a time-based split: the model never sees the future). Test sessions keep
    only items that occur in training (a model cannot predict an item it has never seen) and
    are dropped if fewer than two events remain."""
    if not isinstance(sessions, Sessions):
        raise TypeError(f"sessions must be Sessions (cut_sessions), got {type(sessions).__name__}.")
    test_share = real_number(test_share, "test_share", minimum=0)
    if not 0 < test_share < 1:
        raise ValueError(f"test_share must be strictly between 0 and 1, got {test_share}.")
    order = np.argsort(sessions.starts, kind="stable")
    is_test = np.zeros(len(sessions), dtype=bool)
    is_test[order[len(sessions) - int(round(test_share * len(sessions))):]] = True
    train = sessions.subset(~is_test)
    test = sessions.subset(is_test)
    known = np.zeros(sessions.n_items, dtype=bool)
    known[train.items] = True
    keep_event = known[test.items]
    session_of = np.repeat(np.arange(len(test)), test.lengths)
    lengths = np.bincount(session_of[keep_event], minlength=len(test))
    test = Sessions(test.items[keep_event], np.concatenate([[0], np.cumsum(lengths)]), test.users, test.starts,
                    test.n_items)
    return train, test.subset(test.lengths >= 2)


def session_parallel_batches(sessions: Sessions, batch_size: int, *, order=None):
    """Yield, step by step, ``(inputs, targets, reset, active)`` for ``batch_size`` parallel
    slots: arrays of length ``batch_size``; ``inputs[k]`` is slot k's current item and
    ``targets[k]`` the next item of the same session; ``reset[k]`` is true when slot k has
    just started a new session (its hidden state must be zeroed before this step);
    ``active[k]`` is false once slot k has no session left (its entries are -1). Sessions are
    taken in ``order`` (default: as stored); those of one event are skipped."""
    if not isinstance(sessions, Sessions):
        raise TypeError(f"sessions must be Sessions (cut_sessions), got {type(sessions).__name__}.")
    batch_size = whole_number(batch_size, "batch_size")
    queue = np.arange(len(sessions)) if order is None else np.asarray(order)
    if queue.ndim != 1 or not np.issubdtype(queue.dtype, np.integer) or np.any((queue < 0) | (queue >= len(sessions))):
        raise ValueError(f"order must be a 1-D array of session numbers in [0, {len(sessions)}).")
    queue = queue[sessions.lengths[queue] >= 2]
    if not len(queue):
        raise ValueError("no session has two or more events: nothing to predict.")
    return _steps(sessions, batch_size, queue)


def _steps(sessions: Sessions, batch_size: int, queue: np.ndarray):
    slots = min(batch_size, len(queue))
    pos = np.full(batch_size, -1)
    end = np.full(batch_size, -1)
    active = np.zeros(batch_size, dtype=bool)
    pos[:slots] = sessions.offsets[queue[:slots]]
    end[:slots] = sessions.offsets[queue[:slots] + 1]
    active[:slots] = True
    reset = active.copy()
    taken = slots
    while active.any():
        inputs = np.where(active, sessions.items[np.where(active, pos, 0)], -1)
        targets = np.where(active, sessions.items[np.where(active, pos + 1, 0)], -1)
        yield inputs, targets, reset, active.copy()
        pos = np.where(active, pos + 1, pos)
        done = active & (pos + 1 >= end)                  # no next item: take the next session
        reset = np.zeros(batch_size, dtype=bool)
        if done.any():
            finished = np.flatnonzero(done)
            fresh = queue[taken:taken + len(finished)]
            refilled = finished[:len(fresh)]
            pos[refilled] = sessions.offsets[fresh]
            end[refilled] = sessions.offsets[fresh + 1]
            reset[refilled] = True
            active[finished[len(fresh):]] = False
            taken += len(fresh)

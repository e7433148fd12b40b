"""One torch training loop for every deep model: seeded mini-batches, a progress bar, early
stopping on a validation loss, and the best weights restored at the end."""
from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from ._checks import real_number, whole_number


def seed_everything(seed: int) -> np.random.Generator:
    """Seed torch and return a numpy Generator; the same seed gives the same run."""
    import torch

    seed = whole_number(seed, "seed", minimum=0)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def bpr_loss(positive, negative):
    """Bayesian personalised ranking (Rendle et al. 2009): −mean log σ(s_ui − s_uj), for the scores
    of interacted items i and of sampled items j the same users did not interact with."""
    import torch

    if positive.shape != negative.shape:
        raise ValueError(f"positive and negative must have the same shape, got {tuple(positive.shape)} "
                         f"and {tuple(negative.shape)}.")
    return -torch.nn.functional.logsigmoid(positive - negative).mean()


def train_loop(module, *, batches: Callable[[int], list], loss: Callable, validate: Callable[[], float],
               epochs: int, learning_rate: float, weight_decay: float, patience: int = 3,
               progress: bool = False, description: str = "training") -> list[dict]:
    """Train ``module`` with Adam.

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
    optimiser = torch.optim.Adam(module.parameters(), lr=learning_rate, weight_decay=weight_decay)
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

"""Synthetic film posters: MovieLens has no images, and real posters cannot be shipped, so each
film gets a small picture drawn from what the data knows about it.

What a poster encodes, by construction (and therefore all a model can learn from it):

* each of the film's genres (up to three, in the data's order) is a motif of its own shape and
  colour (19 genres, 9 shapes, 19 hues), drawn in its own quadrant of the picture (the quadrants
  shuffled per film), a little off its centre, at a random size, so that no motif hides another;
* the background is a dark shade of the first genre's colour, brightening towards the top;
* a "studio style": a border whose colour is fixed by the film's first production company in
  the knowledge graph, for companies with at least ``min_studio_films`` films (a style is what
  many films share: a colour of its own for each film would be a name tag, which a model could
  memorise instead of learning what the picture shows); other films have no border;
* per-film nuisance: the motifs' places and sizes, and pixel noise.

Everything is drawn from ``np.random.default_rng(seed)``: the same seed gives the same posters.
"""
from __future__ import annotations

import colorsys
import zlib

import numpy as np
import pandas as pd

from .._checks import real_number, whole_number
from .dataset import Dataset
from .movielens import GENRES

#: one shape per genre (genre index modulo 9)
MOTIFS = ("disc", "ring", "horizontal stripes", "vertical stripes", "diagonal stripes", "checks", "triangle",
          "cross", "diamond")


def genre_colour(g: int) -> np.ndarray:
    """The RGB colour (0..1) of genre number ``g``: evenly spaced hues, saturated and bright."""
    return np.array(colorsys.hsv_to_rgb((g * 7 % len(GENRES)) / len(GENRES), 0.85, 0.95))


def _motif(kind: int, dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Where motif ``kind`` covers the pixels at offsets (dx, dy) from its centre, radius r
    (arrays of shape films x size x size, r films x 1 x 1)."""
    box = (np.abs(dx) < r) & (np.abs(dy) < r)
    dist2 = dx ** 2 + dy ** 2
    name = MOTIFS[kind]
    if name == "disc":
        return dist2 < r ** 2
    if name == "ring":
        return (dist2 < r ** 2) & (dist2 > (r / 2) ** 2)
    if name == "horizontal stripes":
        return box & (np.floor(dy / 2) % 2 == 0)
    if name == "vertical stripes":
        return box & (np.floor(dx / 2) % 2 == 0)
    if name == "diagonal stripes":
        return box & (np.floor((dx + dy) / 2) % 2 == 0)
    if name == "checks":
        return box & ((np.floor(dx / 3) + np.floor(dy / 3)) % 2 == 0)
    if name == "triangle":
        return (dy > -r) & (dy < r) & (np.abs(dx) < (dy + r) / 2)
    if name == "cross":
        return box & ((np.abs(dx) < 2) | (np.abs(dy) < 2))
    return np.abs(dx) + np.abs(dy) < r                                     # diamond


def _studio(dataset: Dataset, knowledge: pd.DataFrame | None, min_films: int) -> np.ndarray:
    """Each film's studio-style hue in [0, 1), or NaN: from its first production company, where
    that company made at least ``min_films`` films of the catalogue (a stable hash of its id)."""
    hue = np.full(dataset.n_items, np.nan)
    if knowledge is None or not len(knowledge):
        return hue
    first = knowledge[knowledge["relation"] == "company"].groupby("item")["entity"].first()
    first = first[first.map(first.value_counts()) >= min_films]
    hue[first.index.to_numpy()] = [zlib.crc32(e.encode()) % 1000 / 1000 for e in first.to_numpy()]
    return hue


def render_posters(dataset: Dataset, *, size: int = 32, knowledge: pd.DataFrame | None = None, noise: float = 0.08,
                   min_studio_films: int = 5, seed: int = 0) -> np.ndarray:
    """A poster per film of ``dataset``: float32 array (films, 3, size, size), values in [0, 1],
    channels first (torch's layout). ``knowledge`` (`load_knowledge_graph`) adds the studio
    borders of companies with at least ``min_studio_films`` films; see the module docstring for
    what is drawn."""
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset must be a recsys_lite Dataset, got {type(dataset).__name__}.")
    size = whole_number(size, "size", minimum=16)
    min_studio_films = whole_number(min_studio_films, "min_studio_films")
    noise = real_number(noise, "noise", minimum=0)
    rng = np.random.default_rng(whole_number(seed, "seed", minimum=0))
    n = dataset.n_items
    index = {g: k for k, g in enumerate(GENRES)}
    genres = [[index[g] for g in gs if g in index][:3] or [0] for gs in dataset.items["genres"]]
    ys, xs = np.mgrid[0:size, 0:size].astype(float)
    first = np.array([genre_colour(gs[0]) for gs in genres])                          # films x 3
    shade = 0.25 + 0.2 * (1 - ys / (size - 1))                                        # brighter at the top
    img = first[:, :, None, None] * shade[None, None]                                  # films x 3 x size x size
    # the film's k-th genre goes to the k-th of four quadrants in a random order, a little off
    # its centre: every motif stays visible, and where it sits says nothing about the genre
    quadrant = np.argsort(rng.random((n, 4)), axis=1)
    jitter = rng.uniform(-0.06 * size, 0.06 * size, (n, 4, 2))
    radii = rng.uniform(0.12 * size, 0.19 * size, (n, 4))
    centres = np.zeros((n, len(GENRES), 2))
    radius = np.zeros((n, len(GENRES)))
    for f, gs in enumerate(genres):
        for k, g in enumerate(gs):
            q = quadrant[f, k]
            centres[f, g] = (np.array([q % 2, q // 2]) + 0.5) * size / 2 + jitter[f, k]
            radius[f, g] = radii[f, k]
    for g in range(len(GENRES)):
        films = np.array([f for f, gs in enumerate(genres) if g in gs], dtype=int)
        if not len(films):
            continue
        dx = xs[None] - centres[films, g, 0][:, None, None]
        dy = ys[None] - centres[films, g, 1][:, None, None]
        cover = _motif(g % len(MOTIFS), dx, dy, radius[films, g][:, None, None])[:, None]
        img[films] = np.where(cover, genre_colour(g)[None, :, None, None], img[films])
    hue = _studio(dataset, knowledge, min_studio_films)
    framed = np.flatnonzero(~np.isnan(hue))
    if len(framed):
        colours = np.array([colorsys.hsv_to_rgb(h, 0.6, 0.8) for h in hue[framed]])
        edge = (xs < 2) | (xs >= size - 2) | (ys < 2) | (ys >= size - 2)
        img[framed] = np.where(edge[None, None], colours[:, :, None, None], img[framed])
    img = img + rng.normal(0, noise, img.shape)
    return np.clip(img, 0, 1).astype(np.float32)

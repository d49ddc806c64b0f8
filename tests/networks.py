"""Random activity networks the engine tests share (test modules cannot import each other under
--import-mode=importlib; `tests` is on the path, see pyproject.toml)."""

from __future__ import annotations

import numpy as np


def random_network(n: int, seed: int) -> tuple[np.ndarray, ...]:
    """A seeded acyclic network of `n` tasks: durations in working minutes (0 to 5 days), and links (source,
    target, type 0-3 for FS/SS/FF/SF, lag in minutes, half of them zero, some negative), each task after
    index 0 having up to two predecessors, in a shuffled order."""
    rng = np.random.default_rng(seed)
    dst = np.repeat(np.arange(1, n), 2)
    src = (rng.random(dst.size) * dst).astype(np.int64)
    key = np.unique(dst * n + src)
    dst, src = key // n, key % n
    perm = rng.permutation(n)
    src, dst = perm[src], perm[dst]
    typ = rng.integers(0, 4, src.size)
    lag = np.where(rng.random(src.size) < 0.5, 0, rng.integers(-300, 900, src.size))
    dur = rng.integers(0, 5, n) * 480 + rng.integers(0, 480, n)
    return dur, src, dst, typ, lag

"""Class breaks for choropleths, by mapclassify. Pure: values in, breaks and classes out.

Schemes: ``quantiles``, ``equal_interval``, ``natural_breaks`` (Fisher–Jenks) and ``user`` (breaks
given). Missing values get no class (-1): they are drawn in their own colour and legend entry.

mapclassify is imported by ``classify()`` on its first call, not with this module: its import
(scipy, scikit-learn, numba compiling its kernels) takes seconds, and the web app imports this
module at start-up (pages for ``SCHEMES``, the map model for ``classify``). The first map a process
classifies pays that import instead, through ``load_mapclassify()``, which keeps mapclassify's numba
kernel compiled on disk: mapclassify compiles it eagerly at every import and does not ask numba to
cache it, which alone cost 3-9 s per process (bench/cli_bench.py measures the import both ways).
"""
from __future__ import annotations

import sys
import threading
import warnings
from dataclasses import dataclass

import numpy as np

from geohub.errors import InputError

SCHEMES = {
    "quantiles": "Quantiles",
    "equal_interval": "Equal interval",
    "natural_breaks": "Natural breaks (Fisher–Jenks)",
    "user": "User-defined breaks",
}
DEFAULT_SCHEME, DEFAULT_K = "quantiles", 5
K_RANGE = (2, 9)


_IMPORT_LOCK = threading.Lock()


def load_mapclassify():
    """``mapclassify``, imported with numba's on-disk cache for the kernel it compiles at import.

    mapclassify decorates its Fisher-Jenks kernel with ``numba.njit(signature)`` and no
    ``cache=True``, so numba compiles it again in every process. During the import only, ``njit``
    defaults to ``cache=True``: the first process writes the compiled kernel (next to mapclassify,
    or in NUMBA_CACHE_DIR / the user cache when that is read-only), later ones load it.
    """
    if "mapclassify" in sys.modules:
        return sys.modules["mapclassify"]
    with _IMPORT_LOCK:
        try:
            import numba
        except ImportError:  # mapclassify runs without numba (pure Python kernel)
            import mapclassify
            return mapclassify
        njit = numba.njit

        def cached_njit(*args, **kwargs):
            kwargs.setdefault("cache", True)
            return njit(*args, **kwargs)

        numba.njit = cached_njit
        try:
            import mapclassify
        finally:
            numba.njit = njit
        return mapclassify


@dataclass(frozen=True)
class Classification:
    """Upper bounds of each class (the last is the maximum), the class of every value (-1 for
    missing), and the scheme that made them."""

    scheme: str
    bins: tuple[float, ...]
    classes: np.ndarray
    minimum: float | None

    @property
    def k(self) -> int:
        return len(self.bins)

    def ranges(self) -> list[tuple[float, float]]:
        """(lower, upper) of each class; the first lower bound is the minimum value."""
        if not self.bins:
            return []
        lowers = [self.minimum if self.minimum is not None else self.bins[0], *self.bins[:-1]]
        return list(zip(lowers, self.bins))


def parse_breaks(text: str | None) -> list[float] | None:
    if not text:
        return None
    try:
        return sorted(float(b) for b in text.split(","))
    except ValueError as exc:
        raise InputError(f"Breaks {text!r} are not numbers.", "Give them as breaks=10,20,30.") from exc


def classify(values, scheme: str = DEFAULT_SCHEME, k: int = DEFAULT_K,
             breaks: list[float] | None = None) -> Classification:
    """Classes of ``values`` (NaN = missing) by ``scheme`` into ``k`` classes (or ``breaks``)."""
    if scheme not in SCHEMES:
        raise InputError(f"Unknown classification {scheme!r}.", f"Use one of: {', '.join(SCHEMES)}.")
    if not K_RANGE[0] <= int(k) <= K_RANGE[1]:
        raise InputError(f"k={k} classes is out of range.", f"Use {K_RANGE[0]} to {K_RANGE[1]} classes.")
    x = np.asarray(values, dtype=float)
    present = ~np.isnan(x)
    classes = np.full(len(x), -1, dtype=int)
    if not present.any():
        return Classification(scheme, (), classes, None)
    mapclassify = load_mapclassify()  # here, not at module level: see the module docstring
    data = x[present]
    if scheme == "user":
        if not breaks:
            raise InputError("User-defined classes need breaks.", "Give them as breaks=10,20,30.")
        # UserDefined adds the maximum as a last bin when the breaks stop below it
        classifier = mapclassify.UserDefined(data, sorted(set(breaks)))
    else:
        unique = np.unique(data)
        k = min(int(k), len(unique))  # no more classes than distinct values (at least one)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            classifier = {"quantiles": mapclassify.Quantiles, "equal_interval": mapclassify.EqualInterval,
                          "natural_breaks": mapclassify.FisherJenks}[scheme](data, k=k)
    classes[present] = classifier.yb
    return Classification(scheme, tuple(float(b) for b in classifier.bins), classes, float(data.min()))

"""Class breaks for choropleths, by mapclassify. Pure: values in, breaks and classes out.

Schemes: ``quantiles``, ``equal_interval``, ``natural_breaks`` (Fisher–Jenks) and ``user`` (breaks
given). Missing values get no class (-1): they are drawn in their own colour and legend entry.

Quantiles, equal intervals and user breaks are computed here exactly as mapclassify computes them
(``_arithmetic_bins``; tests/test_classify.py checks they are equal), so only natural breaks (and
the odd case mapclassify treats specially) need mapclassify itself.

mapclassify is imported by ``classify()`` when it needs it, not with this module: its import
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

from geohub.errors import InputError, option



@dataclass(frozen=True)
class Scheme:
    """A classification scheme: what forms call it, the mapclassify classifier that computes it
    (named, so mapclassify is imported only when a map needs it), and whether it takes the user's
    breaks instead of a number of classes."""

    label: str
    classifier: str
    user_breaks: bool = False


# The schemes, declared once: the map page's control, the CLI's --scheme choices and classify()'s
# check and dispatch read this, so a scheme mapclassify offers is one entry here.
SCHEMES = {
    "quantiles": Scheme("Quantiles", "Quantiles"),
    "equal_interval": Scheme("Equal interval", "EqualInterval"),
    "natural_breaks": Scheme("Natural breaks (Fisher–Jenks)", "FisherJenks"),
    "user": Scheme("User-defined breaks", "UserDefined", user_breaks=True),
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
        raise InputError(f"Breaks {text!r} are not numbers.",
                         f"Give them as {option('breaks', '10,20,30')}.") from exc


def _percentile(ordered: np.ndarray, per: float) -> float:
    """scipy.stats.scoreatpercentile(..., interpolation_method="fraction"), term for term."""
    idx = per / 100.0 * (len(ordered) - 1)
    i = int(idx)
    if i == idx:
        return ordered[i]
    weights = np.array([(i + 1 - idx), (idx - i)], float)
    return np.add.reduce(ordered[i:i + 2] * weights) / weights.sum()


def _arithmetic_bins(scheme: str, data: np.ndarray, k: int, breaks) -> np.ndarray | None:
    """The bins mapclassify gives for the schemes that are plain arithmetic (Quantiles,
    EqualInterval, UserDefined), computed as it computes them, so that a map that needs no
    Fisher-Jenks does not import mapclassify (scipy, scikit-learn, matplotlib: seconds per
    process). None: ask mapclassify (natural breaks, and the cases it treats specially).
    tests/test_classify.py checks these equal mapclassify's own, bins and classes."""
    if scheme == "user":
        if not breaks:
            return None
        bins = np.array(sorted(set(breaks)), dtype=float)
        return np.append(bins, data.max()) if bins[-1] < data.max() else bins
    k = min(k, len(np.unique(data)))
    if k < 2:
        return None
    if scheme == "quantiles":  # mapclassify.classifiers.quantile
        w = 100.0 / k
        p = np.arange(w, 100 + w, w)
        if p[-1] > 100.0:
            p[-1] = 100.0
        ordered = np.sort(data)
        return np.unique(np.array([_percentile(ordered, pct) for pct in p]))
    if scheme == "equal_interval":  # mapclassify.EqualInterval._set_bins
        max_y, min_y = max(data), min(data)
        width = (max_y - min_y) * 1.0 / k
        cuts = np.arange(min_y + width, max_y + width, width)
        if len(cuts) > k:
            cuts = cuts[0:k]
        cuts[-1] = max_y
        return cuts.copy()
    return None


def classify(values, scheme: str = DEFAULT_SCHEME, k: int = DEFAULT_K,
             breaks: list[float] | None = None) -> Classification:
    """Classes of ``values`` (NaN = missing) by ``scheme`` into ``k`` classes (or ``breaks``)."""
    if scheme not in SCHEMES:
        raise InputError(f"Unknown classification {scheme!r}.", f"Use one of: {', '.join(SCHEMES)}.")
    if not K_RANGE[0] <= int(k) <= K_RANGE[1]:
        raise InputError(f"{option('k', k)} classes is out of range.",
                         f"Use {K_RANGE[0]} to {K_RANGE[1]} classes.")
    x = np.asarray(values, dtype=float)
    present = ~np.isnan(x)
    classes = np.full(len(x), -1, dtype=int)
    if not present.any():
        return Classification(scheme, (), classes, None)
    data = x[present]
    fast = _arithmetic_bins(scheme, data, int(k), breaks)
    if fast is not None:
        bins = fast
        classes[present] = np.searchsorted(bins, data, side="left")  # mapclassify's bin1d: (lo, hi]
        return Classification(scheme, tuple(float(b) for b in bins), classes, float(data.min()))
    mapclassify = load_mapclassify()  # here, not at module level: see the module docstring
    chosen = SCHEMES[scheme]
    make = getattr(mapclassify, chosen.classifier)
    if chosen.user_breaks:
        if not breaks:
            raise InputError("User-defined classes need breaks.",
                             f"Give them as {option('breaks', '10,20,30')}.")
        # UserDefined adds the maximum as a last bin when the breaks stop below it
        classifier = make(data, sorted(set(breaks)))
    else:
        unique = np.unique(data)
        k = min(int(k), len(unique))  # no more classes than distinct values (at least one)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            classifier = make(data, k=k)
    classes[present] = classifier.yb
    return Classification(scheme, tuple(float(b) for b in classifier.bins), classes, float(data.min()))

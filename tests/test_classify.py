"""geohub's arithmetic classes (quantiles, equal interval, user breaks) are mapclassify's, bin for
bin and class for class, so that maps that need no Fisher-Jenks skip mapclassify's import."""
from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geohub.maps.classify import classify, load_mapclassify

values = st.one_of(
    st.lists(st.floats(-1e6, 1e9, allow_nan=False, allow_infinity=False), min_size=1, max_size=400),
    st.lists(st.integers(0, 12).map(float), min_size=1, max_size=400),  # many ties
)


def theirs(data, scheme, k, breaks=None):
    mapclassify = load_mapclassify()
    data = np.asarray(data, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if scheme == "user":
            c = mapclassify.UserDefined(data, sorted(set(breaks)))
        else:
            k = min(k, len(np.unique(data)))
            c = {"quantiles": mapclassify.Quantiles,
                 "equal_interval": mapclassify.EqualInterval}[scheme](data, k=k)
    return tuple(float(b) for b in c.bins), list(c.yb)


@settings(max_examples=300, deadline=None)
@given(values, st.sampled_from(["quantiles", "equal_interval"]), st.integers(2, 9))
def test_quantiles_and_equal_intervals_are_mapclassifys(data, scheme, k):
    if scheme == "equal_interval" and len(set(data)) < 2:
        return  # mapclassify refuses; geohub hands that case to it (below)
    ours = classify(data, scheme, k)
    assert (ours.bins, list(ours.classes)) == theirs(data, scheme, k)


@settings(max_examples=200, deadline=None)
@given(values, st.lists(st.floats(-1e6, 1e9, allow_nan=False), min_size=1, max_size=8))
def test_user_breaks_are_mapclassifys(data, breaks):
    ours = classify(data, "user", 5, breaks)
    assert (ours.bins, list(ours.classes)) == theirs(data, "user", 5, breaks)


def test_one_distinct_value_is_left_to_mapclassify():
    result = classify([3.0, 3.0, np.nan], "quantiles", 5)
    assert result.bins == (3.0,) and list(result.classes) == [0, 0, -1]

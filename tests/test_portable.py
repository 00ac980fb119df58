"""The CPU-independent maths: accurate, exact at the edges, and drawing what numpy draws."""

from __future__ import annotations

import math
from decimal import Decimal, getcontext

import numpy as np
import pytest

from clustersim import portable


def _ulps(got: float, exact: Decimal) -> float:
    return float(abs(Decimal(got) - exact) / Decimal(math.ulp(float(exact))))


def test_exp_is_within_one_unit_in_the_last_place():
    getcontext().prec = 40
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-20, 20, 3000), rng.uniform(-700, 700, 1000)])
    pairs = zip(portable.exp(x).tolist(), x.tolist(), strict=True)
    errors = [_ulps(got, Decimal(v).exp()) for got, v in pairs]
    assert max(errors) < 1.0


def test_log_is_within_one_unit_in_the_last_place():
    getcontext().prec = 40
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(0.5, 2, 3000), 10 ** rng.uniform(-300, 300, 1000)])
    x = x[x != 1.0]
    pairs = zip(portable.log(x).tolist(), x.tolist(), strict=True)
    errors = [_ulps(got, Decimal(v).ln()) for got, v in pairs]
    assert max(errors) < 1.0


def test_edges_are_exact():
    assert portable.exp(0.0) == 1.0
    assert portable.log(1.0) == 0.0
    got = portable.exp(np.array([np.inf, -np.inf, 710.0, -746.0]))
    assert got.tolist() == [np.inf, 0.0, np.inf, 0.0]
    assert np.isnan(portable.exp(np.nan))
    logs = portable.log(np.array([0.0, np.inf, -1.0, np.nan]))
    assert logs[:2].tolist() == [-np.inf, np.inf] and np.isnan(logs[2:]).all()
    assert isinstance(portable.exp(1.0), float) and isinstance(portable.log(2.0), float)


def test_power_and_log10_agree_with_the_c_library_to_a_few_ulps():
    rng = np.random.default_rng(2)
    base, exponent = rng.uniform(0.1, 50, 500), rng.uniform(-3, 3, 500)
    assert np.allclose(portable.power(base, exponent), base**exponent, rtol=1e-14, atol=0)
    assert np.allclose(portable.log10(base), np.log10(base), rtol=1e-15, atol=1e-16)


@pytest.mark.parametrize(
    ("ours", "numpys"),
    [
        (lambda g: portable.lognormal(g, 0.2, 0.4, 5000), lambda g: g.lognormal(0.2, 0.4, 5000)),
        (lambda g: portable.gumbel(g, 0.0, 0.05, 5000), lambda g: g.gumbel(0.0, 0.05, 5000)),
    ],
    ids=["lognormal", "gumbel"],
)
def test_draws_are_numpys_draws_from_the_same_stream(ours, numpys):
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    assert np.allclose(ours(a), numpys(b), rtol=1e-15, atol=1e-16)  # Gumbel draws cross 0
    assert a.random() == b.random()  # the same number of draws was taken


def test_scalar_draws_are_floats():
    rng = np.random.default_rng(4)
    assert isinstance(portable.lognormal(rng, 0.0, 0.3), float)
    assert isinstance(portable.gumbel(rng, 0.0, 0.3), float)


def test_dirichlet_half_has_the_dirichlet_moments():
    areas, n = 6, 40_000
    draws = portable.dirichlet_half(np.random.default_rng(5), areas, n)
    assert draws.shape == (n, areas) and (draws >= 0).all()
    assert np.allclose(draws.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    total = 0.5 * areas
    variance = 0.5 * (total - 0.5) / (total * total * (total + 1))  # Dirichlet(1/2, ...)
    assert np.allclose(draws.mean(axis=0), 1 / areas, atol=4 * math.sqrt(variance / n))
    assert np.allclose(draws.var(axis=0), variance, rtol=0.05)


def test_one_float_gives_the_bits_of_an_array():
    rng = np.random.default_rng(6)
    x = np.concatenate([rng.uniform(-750, 750, 2000), rng.uniform(-3, 3, 2000), [0.0, -0.0]])
    assert np.array_equal(portable.exp(x), [portable.exp(v) for v in x.tolist()])
    y = np.concatenate([np.abs(x) + 1e-300, 10 ** rng.uniform(-300, 300, 2000)])
    assert np.array_equal(portable.log(y), [portable.log(v) for v in y.tolist()])


def test_small_arrays_give_the_bits_of_large_ones():
    """Arrays up to `SMALL` elements go element by element: the same bits, specials too."""
    rng = np.random.default_rng(7)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 710.0, -746.0, -1.0, 5e-324]
    x = np.concatenate([special, rng.uniform(-750, 750, 500), 10 ** rng.uniform(-300, 300, 500)])
    for function in (portable.exp, portable.log):
        with np.errstate(all="ignore"):
            large = function(x)
        assert len(x) > portable.SMALL
        for start in range(0, len(x), portable.SMALL):
            piece = x[start : start + portable.SMALL].reshape(-1, 1)  # shapes are kept
            small = function(piece)
            assert small.shape == piece.shape
            assert np.array_equal(
                small.ravel(), large[start : start + portable.SMALL], equal_nan=True
            )

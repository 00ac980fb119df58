"""Floating-point functions and random draws that give the same bits on every x86-64 CPU.

The same seed must give the same results on any machine. numpy's `exp` and `log` take
AVX-512 code on some CPUs and the C library's on others, and glibc picks an FMA or a
plain variant of `exp`, `log` and `pow` by CPU; each rounds the last bit its own way,
and one last bit can flip a partner choice. numpy's `lognormal`, `gumbel` and
`dirichlet` pass their draws through those same C functions.

Everything here uses only operations that IEEE 754 rounds exactly (+, -, *, /, sqrt,
and numpy's rint, frexp and ldexp), each a separate numpy call, so nothing can be fused
or reordered. `exp` and `log` follow the classic fdlibm reductions and approximations
(Sun Microsystems, 1993), vectorised: below one unit in the last place of the true
value, and identical on every CPU. The test `tests/test_portable.py` holds them to
Python's `decimal` and runs the model under every numpy and glibc CPU mask.

What stays with numpy's generator is exact on every CPU: uniform doubles, integers,
permutations, normals (ziggurat: arithmetic, but for a C-library `log1p` in its
rarest tail, which glibc 2.36 computes identically on every CPU level) and gamma-based
betas with both shapes above 1 (arithmetic results; the C library only decides
acceptance, where a last bit can matter once in about 10^16 draws).
"""

from __future__ import annotations

import math

import numpy as np

_LN2_HI = 6.93147180369123816490e-01  # ln 2 in 32 bits, so k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_INV_LN2 = 1.44269504088896338700e00
_EXP_MAX = 709.782712893383973096  # above: overflow
_EXP_MIN = -745.13321910194110842  # below: underflow to 0
_EXP_SAFE = 708.0  # within it, no special case
# Remez coefficients of fdlibm's e_exp.c: r(exp(r)+1)/(exp(r)-1) on [-ln2/2, ln2/2].
_EXP_P = (
    1.66666666666666019037e-01,
    -2.77777777770155933842e-03,
    6.61375632143793436117e-05,
    -1.65339022054652515390e-06,
    4.13813679705723846039e-08,
)
# fdlibm's e_log.c: log(1+f) = f - f*f/2 + s*(f*f/2 + R(s*s)), s = f / (2 + f).
_LOG_LG = (
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
)
_SQRT_HALF = 0.7071067811865476
SMALL = 16  # arrays up to this size go element by element (`_elementwise`)
_LN10 = 2.302585092994045684


def exp(x):
    """e**x, the same bits on every CPU; a float for a float, an array for an array."""
    if isinstance(x, float | int):
        return _exp_float(float(x))
    x = np.asarray(x, dtype=float)
    if 0 < x.size <= SMALL:
        return _elementwise(_exp_float, x)
    inside = np.fmin(np.fmax(x, _EXP_MIN - 1.0), _EXP_MAX + 1.0)  # nan too; fixed below
    k = np.rint(inside * _INV_LN2)
    y = _exp_reduced(inside - k * _LN2_HI, k * _LN2_LO)
    with np.errstate(over="ignore", under="ignore"):
        result = np.ldexp(y, k.astype(np.int64))
    if not (np.abs(x) <= _EXP_SAFE).all():  # rare: overflow, underflow or nan
        result = np.where(x > _EXP_MAX, np.inf, np.where(x < _EXP_MIN, 0.0, result))
        result = np.where(np.isnan(x), np.nan, result)
    return _like_input(result)


def _exp_float(x: float) -> float:
    """`exp` of one float in Python arithmetic: the same operations, 30 times faster."""
    if x != x:
        return x
    if x > _EXP_MAX:
        return math.inf
    if x < _EXP_MIN:
        return 0.0
    k = round(x * _INV_LN2)  # half to even, as np.rint
    return math.ldexp(_exp_reduced(x - k * _LN2_HI, k * _LN2_LO), k)


def _exp_reduced(hi, lo):
    """e**(hi - lo) for |hi - lo| <= ln(2)/2, on floats and arrays alike (fdlibm)."""
    r = hi - lo
    t = r * r
    poly = _EXP_P[4]
    for coefficient in _EXP_P[3::-1]:
        poly = coefficient + t * poly
    c = r - t * poly
    return 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)


def log(x):
    """Natural logarithm, the same bits on every CPU (-inf at 0, nan below)."""
    if isinstance(x, float | int):
        return _log_float(float(x))
    x = np.asarray(x, dtype=float)
    if 0 < x.size <= SMALL:
        return _elementwise(_log_float, x)
    positive = np.isfinite(x) & (x > 0)
    mantissa, k = np.frexp(np.where(positive, x, 1.0))  # mantissa in [0.5, 1)
    low = mantissa < _SQRT_HALF
    m = np.where(low, mantissa * 2.0, mantissa)  # in [sqrt(1/2), sqrt(2))
    result = _log_reduced(m - 1.0, (k - low).astype(float))  # m - 1 is exact
    with np.errstate(invalid="ignore"):
        special = np.where(x == 0, -np.inf, np.where(x == np.inf, np.inf, np.nan))
    return _like_input(np.where(positive, result, special))


def _log_float(x: float) -> float:
    """`log` of one float in Python arithmetic: the same operations, 30 times faster."""
    if not (x > 0 and x < math.inf):
        return -math.inf if x == 0 else (x if x == math.inf else math.nan)
    m, k = math.frexp(x)
    if m < _SQRT_HALF:
        m, k = m * 2.0, k - 1
    return _log_reduced(m - 1.0, float(k))


def _log_reduced(f, k):
    """log(2**k (1 + f)) for 1 + f in [sqrt(1/2), sqrt(2)), on floats and arrays (fdlibm)."""
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    tail_w = w * (_LOG_LG[1] + w * (_LOG_LG[3] + w * _LOG_LG[5]))
    tail_z = z * (_LOG_LG[0] + w * (_LOG_LG[2] + w * (_LOG_LG[4] + w * _LOG_LG[6])))
    half_f_squared = 0.5 * f * f
    correction = s * (half_f_squared + (tail_z + tail_w)) + k * _LN2_LO
    return k * _LN2_HI - ((half_f_squared - correction) - f)


def log10(x):
    """Base-10 logarithm from `log`: the same bits on every CPU."""
    return log(x) / _LN10


def power(base, exponent):
    """base**exponent for positive bases, as exp(exponent * log(base)).

    Within a few units in the last place of the true power (more for huge results);
    what matters here is that every CPU gives the same bits.
    """
    return exp(np.multiply(exponent, log(base)))


def lognormal(rng: np.random.Generator, mean: float, sigma: float, size=None):
    """numpy's `lognormal` draws (the same normals, in the same order) through `exp`."""
    return exp(mean + sigma * rng.standard_normal(size))


def gumbel(rng: np.random.Generator, loc: float, scale: float, size=None):
    """numpy's `gumbel` draws (loc - scale log(-log U), the same uniforms) through `log`.

    numpy redraws the uniform when it is exactly 1 (chance 2**-53); here it becomes the
    largest double below 1 instead, which keeps the draws one per value.
    """
    u = 1.0 - rng.random(size)
    u = np.minimum(u, np.nextafter(1.0, 0.0))
    return _like_input(loc - scale * log(-log(u)), like=size is None)


def dirichlet_half(rng: np.random.Generator, areas: int, n: int) -> np.ndarray:
    """n draws from the symmetric Dirichlet(1/2, ..., 1/2) over `areas` components.

    A Dirichlet draw is independent gammas divided by their sum, and Gamma(1/2) is half
    a squared standard normal: arithmetic only, where numpy's gamma sampler for shapes
    below 1 goes through the C library's `pow` and `log`.
    """
    z = rng.standard_normal((n, areas))
    gammas = 0.5 * (z * z)
    return gammas / gammas.sum(axis=1, keepdims=True)


def _elementwise(function, x: np.ndarray):
    """`function` of each element of a small array: numpy's per-call costs (about 15 us
    for `exp`, 25 for `log`, whatever the size) outweigh the Python loop's up to about
    two dozen elements. The float functions perform the same operations, so the bits
    are the same either way (tests/test_portable.py)."""
    values = [function(v) for v in x.ravel().tolist()]
    return _like_input(np.array(values).reshape(x.shape))


def _like_input(result: np.ndarray, like: bool | None = None):
    """A Python float for a 0-d result, so scalar callers get scalars back."""
    if result.ndim == 0 if like is None else like:
        return float(result)
    return result

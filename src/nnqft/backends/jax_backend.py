"""The jax backend: jit-compiled block accumulators on the CPU or a GPU.

One block of a :class:`nnqft.estimate.SamplingPlan` is one call of a jit-compiled function of
the block's PRNG key. The key of block ``b`` of a run with seed ``s`` for the configuration
with content hash ``c`` is the threefry2x32 key whose two words are
``numpy.random.SeedSequence([s, c, b]).generate_state(2)``: a pure function of (seed, content
hash, block index), as for the numpy backend (design in docs/backends.md), so that the numbers
are bit-identical for any chunking, executor, worker count or resume history on one device
kind. Inside a block, networks are generated in sub-batches of a fixed size S (a function of the
plan and the device platform only); sub-batch i uses ``fold_in(key, i)``; the networks of the
last sub-batch beyond the block's end are drawn and masked out, so that every block of a plan
runs the same compiled code.

Per sub-batch, with (kn, ku) = ``split(fold_in(key, i))``, one float64 standard-normal vector
(key kn; Box-Muller from threefry bits, :func:`normal64`) and, where needed, one float64
uniform[-1, 1) vector (key ku) are drawn and cut, in this order, into: the first layer's
weights and biases, as one (S, N, d + 1) array, each neuron's weights then its bias (cos-net:
weights, and phases pi u from the uniforms); for each deeper layer its latent normals (below)
and biases, again adjacent per neuron; then, for the raw estimator, the output layer: d_out
latent normals per input (outputs drawn in law, below), or the last-layer weights W1 (normal,
or uniform on [-a, a] with a = sqrt(3) sigma_w / sqrt(N)) and output biases b1. This is the
jax stream version 2 of the draws (``nnqft.backends.STREAM_VERSIONS``; version 1 drew
jax.random.normal and weights and biases as separate arrays); version 3 keeps these draws and
sums over networks in an order fixed by the shapes alone, whatever the number of threads
(below, and docs/backends.md, "What is guaranteed").

Deeper layers are sampled in law rather than weight by weight. Given the previous layer's
features h (N_prev x n_x), the pre-activations z_j(x_a) = sum_k W_jk h_k(x_a) + b_j of a layer
with i.i.d. N(0, sigma_w^2 / N_prev) weights are linear combinations of independent Gaussians,
hence, independently for each neuron j, Gaussian with covariance sigma_b^2 (the bias, common to
all inputs) plus (sigma_w^2 / N_prev) G, G = h^T h the n_x x n_x Gram matrix of the features.
So z_j = (sigma_w / sqrt(N_prev)) L g_j + b_j with G = L L^T and g_j ~ N(0, 1_{n_x}) has
exactly the law of the weight-by-weight construction (this conditional Gaussianity given the
previous layer is also the starting point of the layer-to-layer recursions of [PDLT] Roberts,
Yaida, Hanin, arXiv:2106.10165, ch. 4; see docs/deep.md), at the cost of N n_x instead of
N N_prev random numbers and N N_prev n_x multiply-adds per layer. It is used when N_prev > n_x
(otherwise the direct product is cheaper). L comes from a Cholesky factorisation that tolerates
a singular G (rank-deficient features, e.g. repeated inputs or dead ReLU units): a pivot below
n eps max(diag G) sets its column to zero, which is exact for an exactly singular G and changes
G by at most that threshold otherwise.

Precision: the draws are float64, rounded to ``plan.dtype`` (float64 or float32), in which the
forward pass runs, with matrix products at ``Precision.HIGHEST`` (so a GPU does not silently use TF32 for float32
products); the per-network vectors that are accumulated (outputs, or centred kernel entries) are
converted to float64 and every sum over networks is float64, carried across sub-batches inside
the block and across blocks by :meth:`nnqft.accumulate.MomentSums.merge`. Inside a sub-batch the
networks are summed in an order fixed by its size (:func:`_contract_rows`, :func:`_tree_sum`,
groups of 256 networks one after the other), never by one long XLA reduction or contraction,
whose order XLA's CPU runtime makes depend on the number of threads the process may use.
float64 arithmetic is switched on only inside this module's calls (``jax.enable_x64`` context,
thread-local), so the rest of a program's JAX configuration is untouched.
"""

from __future__ import annotations

import math
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from ..accumulate import MomentSums
from ..combinatorics import sorted_tuples, tuple_index

__all__ = [
    "block_key",
    "compute_block_jax",
    "compute_blocks_jax",
    "default_device_description",
    "sub_batch_size_jax",
    "block_function",
    "block_vectors",
    "paired_precision_block",
]

try:  # jax >= 0.4.36 exports the context manager at the top level
    _enable_x64 = jax.enable_x64
except AttributeError:  # pragma: no cover - older jax
    from jax.experimental import enable_x64 as _enable_x64

_HIGHEST = jax.lax.Precision.HIGHEST
#: Largest array of one sub-batch, in elements, per device platform.
_SUB_BATCH_ELEMENTS = {"cpu": 1 << 22}
_SUB_BATCH_ELEMENTS_ACCEL = 1 << 25


def default_device_description() -> str:
    """``"platform:device kind"`` of JAX's default device (e.g. ``"cpu:cpu"``)."""
    d = jax.devices()[0]
    return f"{d.platform}:{d.device_kind}"


def _platform() -> str:
    return jax.devices()[0].platform


def block_key(seed: int, config_hash: int, block: int):
    """The threefry2x32 key of a block: words ``SeedSequence([seed, hash, block]).generate_state(2)``."""
    words = np.random.SeedSequence([int(seed), int(config_hash), int(block)]).generate_state(
        2, np.uint32
    )
    return jax.random.wrap_key_data(jnp.asarray(words, dtype=jnp.uint32), impl="threefry2x32")


def _gram_layer(n_prev: int, n_x: int) -> bool:
    """Whether a deeper layer is sampled through the Gram matrix (cheaper when N_prev > n_x)."""
    return n_prev > n_x


def sub_batch_size_jax(widths: tuple[int, ...], d_in: int, n_x: int, block_size: int,
                       platform: str, d_out: int = 1) -> int:
    """Networks per sub-batch: a function of the architecture, block size and platform only
    (the largest array of a sub-batch holds at most 2^22 elements on a CPU, 2^25 on a GPU)."""
    per_net = [widths[0] * max(d_in, n_x), widths[-1] * n_x * 2, widths[-1] * d_out]
    for l in range(1, len(widths)):
        if _gram_layer(widths[l - 1], n_x):
            per_net.append(widths[l] * n_x)
        else:
            per_net.append(widths[l] * widths[l - 1])
    budget = _SUB_BATCH_ELEMENTS.get(platform, _SUB_BATCH_ELEMENTS_ACCEL)
    largest = max(1, min(int(block_size), budget // max(per_net)))
    # equal sub-batches: as few as the budget allows, without a mostly empty last one
    return math.ceil(int(block_size) / math.ceil(int(block_size) / largest))


def _psd_cholesky(G, eps: float):
    """Lower-triangular L with L L^T = G for batched symmetric PSD G (..., n, n), singular allowed.

    Column-by-column Cholesky; a pivot below n eps max(diag G) zeroes its column.
    """
    n = G.shape[-1]
    tiny = n * eps * jnp.max(jnp.diagonal(G, axis1=-2, axis2=-1), axis=-1)
    L = jnp.zeros_like(G)
    rows = jnp.arange(n)
    for k in range(n):
        Lk = L[..., k, :k]
        d = G[..., k, k] - jnp.sum(Lk * Lk, axis=-1)
        ok = d > tiny
        lkk = jnp.sqrt(jnp.where(ok, d, 1.0))
        col = G[..., :, k] - jnp.einsum("...ij,...j->...i", L[..., :, :k], Lk, precision=_HIGHEST)
        col = jnp.where((rows > k), col / lkk[..., None], 0.0)
        col = jnp.where(rows == k, lkk[..., None], col)
        col = jnp.where(ok[..., None], col, 0.0)
        L = L.at[..., :, k].set(col)
    return L


# erf in float64 from multiply-adds, one division and one exp (docs/backends.md, "erf in
# float64"): XLA's own float64 erf calls the C library's scalar erf, one element at a time.
# |x| < 1: the Taylor series erf(x) = (2 / sqrt(pi)) sum_k (-1)^k x^(2k+1) / (k! (2k+1)), 19
# terms (the first neglected one is below 2e-18 relative), with 2 / sqrt(pi) split in a
# double and its rounding error. 1 <= |x| < 8: erf = 1 - exp(-x^2) P(x) / Q(x), the degree-8
# rational approximation of exp(x^2) erfc(x) of the Cephes library (S. L. Moshier, "Methods
# and Programs for Mathematical Functions", 1989, ndtr.c; also XLA's and scipy's). |x| >= 8:
# +-1 (erfc(8) ~ 1e-29). Measured accuracy: tests/test_jax_backend.py::test_erf64_accuracy.
_TWO_OVER_SQRT_PI = 1.1283791670955126
_TWO_OVER_SQRT_PI_LO = 1.533545961316588e-17
_ERF_TAYLOR = tuple(
    _TWO_OVER_SQRT_PI * (-1) ** k / (math.factorial(k) * (2 * k + 1)) for k in range(1, 19)
)
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_ERFC_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)


def _horner(coef, x):
    """sum_i coef[i] x^(n - i) (highest power first)."""
    acc = jnp.full_like(x, coef[0])
    for c in coef[1:]:
        acc = acc * x + c
    return acc


def erf64(x):
    """erf of a float64 array from vectorisable arithmetic (accuracy: docs/backends.md)."""
    ax = jnp.abs(x)
    z = jnp.minimum(x * x, 1.0)
    series = _TWO_OVER_SQRT_PI * x + x * (_TWO_OVER_SQRT_PI_LO + z * _horner(_ERF_TAYLOR[::-1], z))
    a = jnp.clip(ax, 1.0, 8.0)
    tail = 1.0 - jnp.exp(-a * a) * (_horner(_ERFC_P, a) / _horner(_ERFC_Q, a))
    return jnp.where(ax < 1.0, series, jnp.where(x < 0, -tail, tail))


def _phi(activation: str, dt=jnp.float64):
    if activation == "erf":
        return erf64 if dt == jnp.float64 else jax.lax.erf
    if activation == "relu":
        return lambda z: jnp.maximum(z, 0.0)
    if activation == "tanh":
        return jnp.tanh
    raise ValueError(f"activation {activation!r} has no deep form")  # pragma: no cover


def _draw_layout(activation: str, widths: tuple[int, ...], weight_law: str, n_x: int, d: int,
                 estimator: str, S: int, d_out: int = 1) -> list[tuple[str, str, tuple]]:
    """(law, name, shape) of every draw of a sub-batch, in the order they are taken (the
    output layer's only for the raw estimator: the conditional one integrates it out).

    A neuron's weights (or latent normals) and its bias are adjacent ("Wb" arrays, bias last),
    so that each layer is one matrix product with the bias as an extra input of value 1."""
    if activation == "cos":
        lay = [("normal", "W0", (S, widths[0], d)), ("uniform", "b0", (S, widths[0]))]
    else:
        lay = [("normal", "Wb0", (S, widths[0], d + 1))]
    for l in range(1, len(widths)):
        n_prev, n_cur = widths[l - 1], widths[l]
        k = n_x if _gram_layer(n_prev, n_x) else n_prev
        lay += [("normal", f"Wb{l}", (S, n_cur, k + 1))]
    if estimator == "raw" and _gram_output(weight_law, widths[-1], n_x):
        lay += [("normal", "Wout", (S, n_x, d_out))]
    elif estimator == "raw":
        lay += [("normal" if weight_law == "normal" else "uniform", "Wout",
                 (S, d_out, widths[-1])),
                ("normal", "bout", (S, d_out))]
    return lay


def _gram_output(weight_law: str, N: int, n_x: int) -> bool:
    """Whether the outputs (raw estimator) are sampled in law from the kernel Kh: for a normal
    last layer, f given h is Gaussian with covariance Kh = sigma_b^2 + (sigma_w^2 / N) h^T h."""
    return weight_law == "normal" and N > n_x


# Standard normals by the Box-Muller transform (G. E. P. Box and M. E. Muller, Ann. Math.
# Statist. 29 (1958) 610): with u1 uniform on (0, 1] and theta uniform on [0, 2 pi),
# sqrt(-2 ln u1) (cos theta, sin theta) are two independent N(0, 1). ln and cos are evaluated
# here from multiply-adds (measured on a CPU: XLA's float64 sin and cos take ~45 ns an element,
# log ~8 ns, jax.random.normal's inverse error function ~12 ns):
# - ln u = e ln 2 + ln m with u = 2^e m, m in [1/sqrt(2), sqrt(2)), and
#   ln m = 2 atanh(s) = 2 sum_k s^(2k+1) / (2k+1), s = (m - 1) / (m + 1), |s| < 0.172, 12 terms
#   (the next one is below 1e-19);
# - theta = (pi / 2)(q + f), q = round(4 u2), |f| <= 1/2: cos theta is +-cos t or +-sin t of
#   t = (pi / 2) f by the quarter q mod 4, from their Taylor series to t^16 and t^15 (the next
#   terms are below 1e-17 at |t| = pi / 4); sin theta = cos(theta - pi / 2).
# Uniforms carry 53 random bits, so |normal| <= sqrt(2 * 53 ln 2) = 8.6.
# Tested: test_normal64_is_standard_normal.
_LN2 = math.log(2.0)
_ATANH_SERIES = tuple(2.0 / (2 * k + 1) for k in range(12))
_SIN_SERIES = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(8))
_COS_SERIES = tuple((-1) ** k / math.factorial(2 * k) for k in range(9))


def _log64(u):
    """ln u for positive, normal float64 u (within a few ulp)."""
    bits = jax.lax.bitcast_convert_type(u, jnp.uint64)
    e = (bits >> 52).astype(jnp.int64) - 1023
    m = jax.lax.bitcast_convert_type(
        (bits & jnp.uint64(0xFFFFFFFFFFFFF)) | jnp.uint64(0x3FF0000000000000), jnp.float64)
    big = m > math.sqrt(2.0)
    m = jnp.where(big, 0.5 * m, m)
    e = e + big.astype(jnp.int64)
    s = (m - 1.0) / (m + 1.0)
    return e.astype(jnp.float64) * _LN2 + s * _horner(_ATANH_SERIES[::-1], s * s)


def normal64(key, n: int):
    """n float64 standard normals from ``key`` (Box-Muller, comment above).

    The first half holds r cos(theta) of the ceil(n / 2) pairs and the second r sin(theta) =
    r cos(theta - pi / 2): one elementwise formula over the whole vector, whose inputs (not
    outputs) are concatenated, so that XLA emits a single vectorised loop."""
    m = (n + 1) // 2
    bits = jax.random.bits(key, (2, m), jnp.uint64) >> 11  # 53 random bits each
    u1 = 1.0 - bits[0].astype(jnp.float64) * 2.0**-53     # (0, 1]
    v = bits[1].astype(jnp.float64) * 2.0**-51             # 4 u2 = theta / (pi / 2), in [0, 4)
    u1 = jnp.concatenate([u1, u1])[:n]
    v = jnp.concatenate([v, v - 1.0])[:n]                  # exact; in [-1, 4)
    q = jnp.round(v)
    t = (v - q) * (math.pi / 2)                             # v - q is exact, |t| <= pi / 4
    t2 = t * t
    sin_t = t * _horner(_SIN_SERIES[::-1], t2)
    cos_t = _horner(_COS_SERIES[::-1], t2)
    quarter = q.astype(jnp.int32) & 3                       # -1 & 3 = 3
    cos_theta = jnp.where(quarter == 0, cos_t, jnp.where(quarter == 1, -sin_t,
                                                         jnp.where(quarter == 2, -cos_t, sin_t)))
    return jnp.sqrt(-2.0 * _log64(u1)) * cos_theta


def _draw(key, layout, dt) -> dict:
    """All draws of a sub-batch from two calls: one normal and one uniform[-1, 1) vector of the
    total sizes (keys ``split(key)``), cut in layout order (one threefry graph per law keeps the
    compiled function small)."""
    kn, ku = jax.random.split(key)
    out = {}
    for law, k in (("normal", kn), ("uniform", ku)):
        items = [(name, shape) for lw, name, shape in layout if lw == law]
        total = sum(math.prod(shape) for _, shape in items)
        if not total:
            continue
        if law == "normal":
            flat = normal64(k, total) if dt == jnp.float64 else jax.random.normal(k, (total,), dt)
        else:
            flat = jax.random.uniform(k, (total,), dt, -1.0, 1.0)
        at = 0
        for name, shape in items:
            size = math.prod(shape)
            out[name] = flat[at:at + size].reshape(shape)
            at += size
    return out


def _features(r: dict, X, sw, sb, activation: str, widths: tuple[int, ...], dt):
    """Last hidden layer h of S networks at the inputs X from the draws r: (S, N_L, n_x).

    Each layer is one batched matrix product of its normals ("Wb": weights or latent normals,
    then the bias) with the scaled previous features (or inputs) extended by a constant row
    sigma_b, so that every random number is read once (an elementwise formula would let XLA
    recompute each normal's transform once per input). Pre-activations are formed input-major,
    (S, n_x, N): XLA's CPU code generator vectorises an elementwise loop over the last axis,
    and one over n_x ~ 6 entries stays scalar (measured: erf 5x slower). h is returned
    (S, N, n_x), the layout in which the batched Gram products are fastest."""
    n_x, d = X.shape
    if activation == "cos":
        W0 = r["W0"] * (sw * (1.0 / math.sqrt(d)))
        z = jnp.einsum("snd,xd->sxn", W0, X, precision=_HIGHEST) + (math.pi * r["b0"])[:, None, :]
        return jnp.swapaxes(jnp.asarray(math.sqrt(2.0), dt) * jnp.cos(z), 1, 2)
    Xa = jnp.concatenate([X * (sw * (1.0 / math.sqrt(d))), jnp.full((n_x, 1), sb, dt)], axis=1)
    z = jnp.einsum("snd,xd->sxn", r["Wb0"], Xa, precision=_HIGHEST)
    if activation == "gauss":
        mxx = sb * sb + sw * sw * jnp.sum(X * X, axis=1) * (1.0 / d)
        return jnp.swapaxes(jnp.exp(z - mxx[None, :, None]), 1, 2)
    phi = _phi(activation, dt)
    h = jnp.swapaxes(phi(z), 1, 2)
    eps = float(jnp.finfo(dt).eps)
    S = h.shape[0]
    for l in range(1, len(widths)):
        n_prev = widths[l - 1]
        scale = sw * (1.0 / math.sqrt(n_prev))
        if _gram_layer(n_prev, n_x):
            G = jnp.einsum("snx,sny->sxy", h, h, precision=_HIGHEST)
            La = jnp.concatenate([scale * _psd_cholesky(G, eps),
                                  jnp.full((S, n_x, 1), sb, dt)], axis=2)
            z = jnp.einsum("sjc,sac->saj", r[f"Wb{l}"], La, precision=_HIGHEST)
        else:
            ha = jnp.concatenate([scale * h, jnp.full((S, 1, n_x), sb, dt)], axis=1)
            z = jnp.einsum("sjk,skx->sxj", r[f"Wb{l}"], ha, precision=_HIGHEST)
        h = jnp.swapaxes(phi(z), 1, 2)
    return h


def _monomial_plan(m: int, orders: tuple[int, ...]):
    """Static index maps for the order-k sums (same tuple order as nnqft.accumulate)."""
    plan = {}
    for k in orders:
        if k == 1:
            continue
        T = sorted_tuples(m, k)
        a = (k + 1) // 2
        Ta, Tb = sorted_tuples(m, a), sorted_tuples(m, k - a)
        plan[k] = (Ta, Tb, tuple_index(T[:, :a], m), tuple_index(T[:, a:], m))
    return plan


def _mono(V, T):
    out = V[:, T[:, 0]]
    for j in range(1, T.shape[1]):
        out = out * V[:, T[:, j]]
    return out


def _vector_sampler(activation: str, widths: tuple[int, ...], weight_law: str, n_x: int,
                    estimator: str, dtype: str, S: int, draw_dtype: str | None = None,
                    d_out: int = 1):
    """``sample_V(key, X, shift, sw, sb)``: the float64 vectors accumulated for S networks
    (outputs for ``raw``, (S, n_x d_out) in the combined point order p = i d_out + a of
    docs/vector.md; Kh on the sorted input pairs minus ``shift`` for ``conditional``, the same
    for any number of outputs: the output deltas are applied when the sums are finalized).

    The random draws are float64 (``draw_dtype``, default "float64"), rounded to ``dtype`` for
    the forward pass: a float32 run evaluates, in float32, exactly the networks of the float64
    run of the same plan, rounded, so that :func:`paired_precision_block` measures its bias free
    of Monte Carlo noise, and the normal tails are those of the float64 generator (float32
    uniforms would cut them near 5.2 standard deviations)."""
    dt = jnp.float32 if dtype == "float32" else jnp.float64
    ddt = jnp.float32 if draw_dtype == "float32" else jnp.float64
    N = widths[-1]
    P = sorted_tuples(n_x, 2)

    def sample_V(key, X, shift, sw, sb):
        X, sw, sb = X.astype(dt), sw.astype(dt), sb.astype(dt)
        r = _draw(key, _draw_layout(activation, widths, weight_law, n_x, X.shape[1], estimator,
                                    S, d_out), ddt)
        r = {k: v.astype(dt) for k, v in r.items()}
        h = _features(r, X, sw, sb, activation, widths, dt)
        if estimator == "raw" and _gram_output(weight_law, N, n_x):
            # given h, the d_out output rows are independent with covariance Kh each
            G = jnp.einsum("snx,sny->sxy", h, h, precision=_HIGHEST)
            Lc = _psd_cholesky(sb * sb + (sw * sw * (1.0 / N)) * G, float(jnp.finfo(dt).eps))
            f = jnp.einsum("sac,sco->sao", Lc, r["Wout"], precision=_HIGHEST)
            return f.reshape(S, n_x * d_out).astype(jnp.float64)
        if estimator == "raw":
            if weight_law == "normal":
                W1 = r["Wout"] * (sw * (1.0 / math.sqrt(N)))
            else:  # uniform on [-a, a] with a = sqrt(3) sigma_w / sqrt(N): variance sigma_w^2 / N
                W1 = r["Wout"] * (math.sqrt(3.0) / math.sqrt(N) * sw)
            f = (jnp.einsum("son,snx->sxo", W1, h, precision=_HIGHEST)
                 + (r["bout"] * sb)[:, None, :])
            return f.reshape(S, n_x * d_out).astype(jnp.float64)
        G = jnp.einsum("snx,sny->sxy", h, h, precision=_HIGHEST)[:, P[:, 0], P[:, 1]]
        Kh = (sb * sb + (sw * sw * (1.0 / N)) * G).astype(jnp.float64)
        return Kh - shift[None, :]

    return sample_V


# Sums over networks in an order fixed by the shapes alone (docs/backends.md, "What is
# guaranteed"). XLA's CPU runtime splits a long reduction (YNNPACK) and a dot product with a
# long contracted axis and a small output (Eigen: along the contracted axis, in as many pieces
# as its thread pool suggests) into partial sums whose number depends on the threads the
# process may use, and with it the last bits (measured: `taskset -c 0` changed them). So
# networks are summed here by (i) contractions over at most _CHUNK = 8 rows, which Eigen never
# splits (it splits the contracted axis only when every thread gets at least 2 nr >= 8 of it,
# nr >= 4 its register block width), added by a fixed binary tree of elementwise additions;
# (ii) for outputs of more than _SMALL_OUT entries, one contraction over a group of at most
# _GROUP = 256 rows (max(a, b) > 256 and, up to order 8, min(a, b) >= 16 there: Eigen would
# split it only with a pool of more than max(a, b) / nr > 32 threads, nr <= 8); (iii) groups
# added one after the other. The orders 1-4 of 6 inputs take (i), orders 5-6 (ii).
_CHUNK = 8
_GROUP = 256
_SMALL_OUT = 1 << 16


def _tree_sum(x):
    """Sum over axis 0 by a fixed binary tree of elementwise additions (zero-padded to a power
    of two): the same additions in the same order whatever the threads."""
    n = x.shape[0]
    p = 1 << max(0, (n - 1).bit_length())
    if p != n:
        x = jnp.concatenate([x, jnp.zeros((p - n,) + x.shape[1:], x.dtype)])
    while x.shape[0] > 1:
        h = x.shape[0] // 2
        x = x[:h] + x[h:]
    return x[0]


def _contract_rows(A, B):
    """A^T B for A (R, a), B (R, b), R a multiple of _CHUNK, in a fixed
    order (comment above)."""
    R, a = A.shape
    b = B.shape[1]
    if a * b > _SMALL_OUT:
        return jnp.matmul(A.T, B, precision=_HIGHEST)
    P = jnp.einsum("gca,gcb->gab", A.reshape(R // _CHUNK, _CHUNK, a),
                   B.reshape(R // _CHUNK, _CHUNK, b), precision=_HIGHEST)
    return _tree_sum(P)


@lru_cache(maxsize=64)
def block_function(activation: str, widths: tuple[int, ...], d_in: int, weight_law: str,
                   n_x: int, estimator: str, orders: tuple[int, ...], dtype: str, S: int,
                   n_sub: int, d_out: int = 1, group: int = _GROUP):
    """The jit-compiled block function ``(key, X, shift, sw, sb, n_valid) -> sums`` (cached).

    Returns (tuple of float64 order sums in ``orders``, w_sum, w2_sum, w_max). ``group`` (a
    multiple of _CHUNK): networks per group of the fixed summation order (see _CHUNK).
    """
    d_out = d_out if estimator == "raw" else 1  # conditional: the outputs are integrated out
    m = n_x * d_out if estimator == "raw" else n_x * (n_x + 1) // 2
    mplan = _monomial_plan(m, orders)
    k_top = orders[-1]
    sample_V = _vector_sampler(activation, widths, weight_law, n_x, estimator, dtype, S,
                               d_out=d_out)

    def group_sums(V):
        """Sums over the rows of one group (at most ``group`` rows, a multiple of _CHUNK)."""
        out = []
        cache = {}

        def mono(T):
            key = T.shape[1]
            if key not in cache:
                cache[key] = _mono(V, T)
            return cache[key]

        for k in orders:
            if k == 1:  # a product with ones, like the other orders: a tree over V itself let
                # XLA recompute float32 V in another fusion, rounded differently (measured)
                out.append(_contract_rows(jnp.ones((V.shape[0], 1), V.dtype), V)[0])
                continue
            Ta, Tb, ia, ib = mplan[k]
            out.append(_contract_rows(mono(Ta), mono(Tb))[ia, ib])
        w = jnp.sum(jnp.abs(V) ** k_top, axis=1)  # over the m entries of one network
        return tuple(out), _tree_sum(w), _tree_sum(w * w), jnp.max(w)

    def add(carry, part):
        cs, cw1, cw2, cwm = carry
        s, w1, w2, wm = part
        return (tuple(a + b for a, b in zip(cs, s, strict=True)), cw1 + w1, cw2 + w2,
                jnp.maximum(cwm, wm))

    def sums_of(V):
        """Sums over the networks of a sub-batch in an order fixed by its size (docs/backends.md,
        "What is guaranteed"): its full groups of ``group`` rows one after the other, then the
        rest, padded with zero rows to a multiple of _CHUNK."""
        n = V.shape[0]
        full, rest = divmod(n, group)
        acc = None
        if full:
            acc = group_sums(V[:group])
        if full > 1:
            acc = jax.lax.fori_loop(
                1, full, lambda g, c: add(c, group_sums(
                    jax.lax.dynamic_slice_in_dim(V, g * group, group))), acc)
        if rest:
            R = V[full * group:]
            pad = -rest % _CHUNK
            if pad:
                R = jnp.concatenate([R, jnp.zeros((pad, V.shape[1]), V.dtype)])
            part = group_sums(R)
            acc = part if acc is None else add(acc, part)
        return acc

    def fn(key, X, shift, sw, sb, n_valid):
        def step(i, carry):
            V = sample_V(jax.random.fold_in(key, i), X, shift, sw, sb)
            valid = (i * S + jnp.arange(S)) < n_valid
            V = jnp.where(valid[:, None], V, 0.0)
            return add(carry, sums_of(V))

        zero = sums_of(jnp.zeros((1, m), jnp.float64))
        init = (tuple(jnp.zeros_like(z) for z in zero[0]), jnp.float64(0.0), jnp.float64(0.0),
                jnp.float64(0.0))
        if n_sub == 1:
            return step(0, init)
        return jax.lax.fori_loop(0, n_sub, step, init)

    return jax.jit(fn)


def _block_setup(plan, b: int):
    from ..sampling import block_bounds

    start, stop = block_bounds(plan.n_networks, plan.block_size, b)
    if not 0 <= start < stop:
        raise ValueError(f"block {b} out of range (plan has {plan.n_blocks} blocks)")
    net, X = plan.network, plan.inputs
    S = sub_batch_size_jax(net.widths, net.d_in, X.shape[0], plan.block_size, _platform(),
                           _sampled_outputs(plan))
    return stop - start, S, math.ceil(plan.block_size / S)


def _sampled_outputs(plan) -> int:
    """Outputs drawn per network: d_out for the raw estimator, none beyond the features for
    the conditional one (its vectors, hence its draws, do not depend on d_out)."""
    return plan.network.d_out if plan.estimator == "raw" else 1


@lru_cache(maxsize=16)
def _jit_sampler(*args):
    return jax.jit(_vector_sampler(*args))


def block_vectors(plan, b: int, dtype: str | None = None,
                  draw_dtype: str | None = None) -> np.ndarray:
    """The float64 vectors that block ``b`` accumulates, one row per network (same draws as
    :func:`compute_block_jax` by default; for tests and precision studies). ``dtype`` and
    ``draw_dtype`` override the plan's precision of the forward pass and of the draws."""
    n, S, n_sub = _block_setup(plan, b)
    net, X = plan.network, plan.inputs
    with _enable_x64(True):
        sample = _jit_sampler(net.activation, tuple(net.widths), net.weight_law, X.shape[0],
                              plan.estimator, dtype or plan.dtype, S, draw_dtype,
                              _sampled_outputs(plan))
        key = block_key(plan.seed, net.content_hash(), b)
        shift = plan.shift if plan.estimator == "conditional" else np.zeros(1)
        rows = [np.asarray(sample(jax.random.fold_in(key, i), jnp.asarray(X, jnp.float64),
                                  jnp.asarray(shift, jnp.float64), jnp.float64(net.sigma_w),
                                  jnp.float64(net.sigma_b)))
                for i in range(n_sub)]
    return np.concatenate(rows)[:n]


def paired_precision_block(plan, b: int) -> tuple[MomentSums, MomentSums]:
    """Block ``b``'s accumulators with the forward pass in float64 and in float32 on the same
    float64 draws (rounded to float32 for the second): their difference is the float32 rounding
    bias free of Monte Carlo noise between the two (docs/backends.md)."""
    orders = plan.accumulated_orders
    V64 = block_vectors(plan, b, "float64", "float64")
    V32 = block_vectors(plan, b, "float32", "float64")
    return MomentSums.from_samples(V64, orders), MomentSums.from_samples(V32, orders)


def _dispatch(plan, b: int):
    """Launch block ``b`` on the device (asynchronously); returns (count, device result)."""
    n, S, n_sub = _block_setup(plan, b)
    net, X = plan.network, plan.inputs
    # groups of _GROUP networks on a CPU (see _CHUNK); an accelerator's runtime does not size
    # its sums by host threads, and one group per sub-batch spares it a loop of small kernels
    group = _GROUP if _platform() == "cpu" else -(-S // _CHUNK) * _CHUNK
    fn = block_function(net.activation, tuple(net.widths), net.d_in, net.weight_law, X.shape[0],
                        plan.estimator, plan.accumulated_orders, plan.dtype, S, n_sub,
                        _sampled_outputs(plan), group)
    shift = plan.shift if plan.estimator == "conditional" else np.zeros(1)
    out = fn(block_key(plan.seed, net.content_hash(), b), jnp.asarray(X, jnp.float64),
             jnp.asarray(shift, jnp.float64), jnp.float64(net.sigma_w),
             jnp.float64(net.sigma_b), jnp.int64(n))
    return n, out


def _collect(plan, n: int, out) -> MomentSums:
    orders = plan.accumulated_orders
    sums, w1, w2, wm = jax.device_get(out)
    return MomentSums(
        count=n,
        sums={k: np.asarray(s, dtype=np.float64) for k, s in zip(orders, sums, strict=True)},
        w_sum=float(w1),
        w2_sum=float(w2),
        w_max=float(wm),
        orders=tuple(orders),
    )


def compute_block_jax(plan, b: int) -> MomentSums:
    """Moment sums of block ``b`` of a plan with ``backend="jax"`` (pure function of plan, b)."""
    with _enable_x64(True):
        return _collect(plan, *_dispatch(plan, b))


def compute_blocks_jax(plan, blocks) -> list[tuple[int, MomentSums]]:
    """[(b, moment sums of block b)] for a chunk of blocks: every block is launched before any
    result is fetched, so that the device is not idle while the host waits (JAX dispatches
    asynchronously). Each block runs the same compiled call as :func:`compute_block_jax`, so
    the bits are the same."""
    with _enable_x64(True):
        launched = [(b, *_dispatch(plan, b)) for b in blocks]
        return [(b, _collect(plan, n, out)) for b, n, out in launched]

"""Monte Carlo correlators: raw and conditional estimators, streaming over seeded blocks.

Estimators (docs/theory.md#estimators):

- ``raw``: averages of products of outputs f(x_1)...f(x_n) over networks; connected functions
  by the moment-to-cumulant formula. Its relative error on G4_c grows like N / sqrt(M).
- ``conditional``: integrates out the (normal) last layer analytically. Given the last hidden
  layer, f is Gaussian with covariance Kh(x, y) = sigma_b^2 + (sigma_w^2 / N) sum_j h_j(x) h_j(y);
  by the law of total cumulance G_{2k,c} = sum over perfect matchings of the joint k-th cumulant
  of the Kh entries on the pairs (G4_c = sum_3 Cov(Kh_ab, Kh_cd), G6_c = sum_15 kappa_3(Kh, Kh, Kh)).
  Valid at any depth; refused for a non-normal last-layer law.

Work is organised in blocks (design.md section 5): block b draws from
``SeedSequence([seed, network.content_hash(), b])``; each block yields a :class:`MomentSums`;
blocks are folded in block order into >= 64 batches (when there are >= 64 blocks) from which
standard errors come by the delete-one-batch jackknife (also for every derived quantity).
Conditional sums are accumulated about the infinite-width kernel (a fixed shift, which leaves
cumulants unchanged and avoids cancellation). Cumulants are plug-in estimates (bias O(1/M),
negligible against the O(1/sqrt(M)) statistical error for M >= 10^3).
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from .accumulate import MomentSums
from .backends import STREAM_VERSIONS, check_backend, check_dtype, device_description
from .combinatorics import cumulant_partitions, perfect_matchings, sorted_tuples, tuple_index
from .correlators import (
    Correlators,
    check_orders,
    connected_from_full,
    full_from_connected,
    jackknife_error,
    partition_sum,
)
from .executors import resolve_executor
from .kernels import gp_kernel
from .networks import Network, as_inputs
from .progress import Progress
from .sampling import (
    block_bounds,
    block_rng,
    default_block_size,
    iter_block_features,
    iter_block_outputs,
)
from .tails import predict_tail_check
from .vector import check_point_tuples, flatten_outputs, make_correlators, matching_terms

__all__ = [
    "ESTIMATORS",
    "HeavyTailWarning",
    "SamplingPlan",
    "make_plan",
    "compute_block",
    "run_plan",
    "finalize",
    "estimate_correlators",
    "heavy_tail_diagnostic",
    "N_BATCHES",
    "FewBatchesWarning",
    "MIN_USABLE_BATCHES",
]

ESTIMATORS = ("raw", "conditional")
#: Number of jackknife batches (blocks are grouped into this many when there are more).
N_BATCHES = 64


class HeavyTailWarning(UserWarning):
    """The Monte Carlo error bar cannot be trusted: the samples are heavy-tailed."""


class FewBatchesWarning(UserWarning):
    """Too few jackknife batches (< MIN_USABLE_BATCHES) for a usable error bar."""


#: Fewer batches than this: the error bars are flagged not usable (``meta["error_bar_usable"]``)
#: and a :class:`FewBatchesWarning` is issued. Every default plan with M >= 64 networks has at
#: least 64 blocks (:func:`nnqft.sampling.default_block_size`), hence 64 batches; fewer come
#: only from M < 64 (which the command line refuses) or an explicit block size above M / 64.
MIN_USABLE_BATCHES = N_BATCHES


@dataclass(frozen=True, eq=False)
class SamplingPlan:
    """Everything that determines a Monte Carlo estimate (and nothing about how it is run).

    Two plans are equal when their :meth:`fingerprint` is (inputs included).
    """

    network: Network
    inputs: np.ndarray
    orders: tuple[int, ...]
    estimator: str
    n_networks: int
    seed: int
    block_size: int
    backend: str = "numpy"
    dtype: str = "float64"

    def __eq__(self, other) -> bool:
        return isinstance(other, SamplingPlan) and self.fingerprint() == other.fingerprint()

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    @property
    def n_blocks(self) -> int:
        return math.ceil(self.n_networks / self.block_size)

    @property
    def n_batches(self) -> int:
        return min(self.n_blocks, N_BATCHES)

    @property
    def n_inputs(self) -> int:
        return self.inputs.shape[0]

    @property
    def n_points(self) -> int:
        """Number of (input, output) points: n_inputs * d_out (docs/vector.md)."""
        return self.inputs.shape[0] * self.network.d_out

    @property
    def accumulated_orders(self) -> tuple[int, ...]:
        """Monomial orders accumulated: the correlator orders (raw) or 1..n_max/2 of Kh (conditional)."""
        if self.estimator == "raw":
            return self.orders
        return tuple(range(1, max(self.orders) // 2 + 1))

    def fingerprint(self) -> str:
        """SHA-256 of everything that determines the numbers (for checkpoints and provenance)."""
        content = {
            "network": self.network.canonical(),
            "inputs": self.inputs.tolist(),
            "orders": list(self.orders),
            "estimator": self.estimator,
            "n_networks": self.n_networks,
            "seed": self.seed,
            "block_size": self.block_size,
            "format": 1,
        }
        # Backends and precisions never share blocks; the numpy float64 default keeps the
        # fingerprints (and checkpoints) of earlier versions.
        if (self.backend, self.dtype) != ("numpy", "float64"):
            content.update(backend=self.backend, dtype=self.dtype)
            if self.backend in STREAM_VERSIONS:  # a backend whose draws changed: new blocks
                content.update(stream=STREAM_VERSIONS[self.backend])
        blob = json.dumps(content, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()

    def batch_of_block(self, b: int) -> int:
        """Jackknife batch of block ``b``: consecutive blocks, spread evenly over the
        :attr:`n_batches` batches. With at least as many full blocks as batches the full blocks
        are spread and a shorter last block joins the last batch (M = 1000: blocks of 15, 66
        full and one of 10, give 61 batches of 15, two of 30 and the last of 25, instead of a
        batch of 10 alone); every batch holds at least one block."""
        full = self.n_networks // self.block_size
        if full >= self.n_batches:
            return min(self.n_batches - 1, (b * self.n_batches) // full)
        return (b * self.n_batches) // self.n_blocks

    @cached_property
    def tail_prediction(self) -> dict | None:
        """Heavy-tail check predicted from exact single-neuron moments before sampling
        (:func:`nnqft.tails.predict_tail_check`); None where there are none (deep or
        multi-output networks, a non-normal last layer, order 2 only)."""
        top = max(self.orders)
        if top < 4 or self.network.d_out != 1:
            return None
        return predict_tail_check(self.network, self.inputs, top, self.estimator,
                                  self.n_networks)

    @cached_property
    def shift(self) -> np.ndarray:
        """Conditional estimator: the infinite-width kernel on the sorted input pairs (cached)."""
        P = sorted_tuples(self.n_inputs, 2)
        K = gp_kernel(self.network, self.inputs)
        return K[P[:, 0], P[:, 1]]


def make_plan(net: Network, X, orders=(2, 4, 6), n_networks: int = 10_000, seed: int = 0,
              estimator: str | None = None, block_size: int | None = None,
              backend: str | None = None, dtype: str | None = None) -> SamplingPlan:
    """Validate the arguments of a Monte Carlo estimate and fix its blocks."""
    if not isinstance(net, Network):
        raise ValueError("net must be an nnqft.Network")
    backend, dtype = check_backend(backend), check_dtype(dtype)
    if backend == "numpy" and dtype != "float64":
        raise ValueError(f"the numpy backend samples in float64 only; use the jax backend "
                         f"(--backend jax, backend='jax') for dtype {dtype}")
    X = as_inputs(X, net.d_in)
    orders = check_orders(orders)
    if net.d_out > 1:
        check_point_tuples(X.shape[0] * net.d_out, max(orders))
    if isinstance(n_networks, bool) or not isinstance(n_networks, (int, np.integer)):
        raise ValueError(f"n_networks must be an integer, got {n_networks!r}")
    if n_networks < 2:
        raise ValueError(f"need at least 2 networks for an error estimate, got {n_networks}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if estimator is None:
        estimator = "conditional" if net.weight_law == "normal" else "raw"
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r}; choose one of {', '.join(ESTIMATORS)}")
    if estimator == "conditional" and net.weight_law != "normal":
        raise ValueError(
            f"the conditional estimator assumes a normal last layer; use the raw estimator "
            f"(--estimator raw, estimator='raw') for the {net.weight_law} weight law"
        )
    bs = default_block_size(int(n_networks)) if block_size is None else block_size
    if isinstance(bs, bool) or not isinstance(bs, (int, np.integer)) or bs < 1:
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}")
    return SamplingPlan(net, X, orders, estimator, int(n_networks), int(seed), int(bs),
                        backend, dtype)


def compute_block(plan: SamplingPlan, b: int) -> MomentSums:
    """Moment sums of block ``b`` (a pure function of the plan and ``b``).

    Executors run it with BLAS limited to one thread (:func:`nnqft.executors.pin_blas_threads`),
    which makes the bits independent of where it runs.
    """
    start, stop = block_bounds(plan.n_networks, plan.block_size, b)
    if not 0 <= start < stop:
        raise ValueError(f"block {b} out of range (plan has {plan.n_blocks} blocks)")
    if plan.backend == "jax":
        from .backends.jax_backend import compute_block_jax

        return compute_block_jax(plan, b)
    net, X = plan.network, plan.inputs
    rng = block_rng(plan.seed, net.content_hash(), b)
    acc = None
    if plan.estimator == "raw":
        for f in iter_block_outputs(net, X, stop - start, rng):
            part = MomentSums.from_samples(flatten_outputs(f), plan.accumulated_orders)
            acc = part if acc is None else acc.merge(part)
    else:
        P = sorted_tuples(plan.n_inputs, 2)
        shift = plan.shift
        scale = net.sigma_w**2 / net.last_width
        for h in iter_block_features(net, X, stop - start, rng):
            Kh = np.swapaxes(h, 1, 2) @ h  # (m, n_x, n_x)
            V = net.sigma_b**2 + scale * Kh[:, P[:, 0], P[:, 1]] - shift
            part = MomentSums.from_samples(V, plan.accumulated_orders)
            acc = part if acc is None else acc.merge(part)
    return acc


class BlockTask:
    """Picklable callable ``b -> compute_block(plan, b)`` for executors."""

    def __init__(self, plan: SamplingPlan):
        self.plan = plan

    def __call__(self, b: int) -> MomentSums:
        return compute_block(self.plan, b)

    def run_chunk(self, blocks: list[int]) -> list[tuple[int, MomentSums]]:
        """[(b, compute_block(plan, b))] for a chunk; the jax backend launches the chunk's
        blocks before fetching any (same bits as one by one)."""
        if self.plan.backend == "jax":
            from .backends.jax_backend import compute_blocks_jax

            return compute_blocks_jax(self.plan, blocks)
        return [(b, compute_block(self.plan, b)) for b in blocks]


def run_plan(plan: SamplingPlan, executor=None, progress: bool = False,
             completed: Mapping[int, MomentSums] | None = None,
             on_chunk: Callable | None = None) -> list[MomentSums]:
    """Compute every block not in ``completed``; return all block accumulators in block order.

    ``on_chunk(results)`` is called with the list of (block, MomentSums) of each finished chunk
    (the hook used for checkpoints).
    """
    ex = resolve_executor(executor)
    done = dict(completed or {})
    todo = [b for b in range(plan.n_blocks) if b not in done]
    with Progress("sampling networks", plan.n_networks, enabled=progress, unit="networks") as bar:
        bar.advance(sum(s.count for s in done.values()))

        def hook(res):
            bar.advance(sum(s.count for _, s in res))
            if on_chunk:
                on_chunk(res)

        if todo:
            done.update(ex.map_blocks(BlockTask(plan), todo, on_chunk=hook))
    missing = [b for b in range(plan.n_blocks) if b not in done]
    if missing:
        raise RuntimeError(f"{len(missing)} blocks were not computed")
    return [done[b] for b in range(plan.n_blocks)]


def _fold_batches(plan: SamplingPlan, blocks: list[MomentSums]) -> list[MomentSums]:
    batches: list[MomentSums | None] = [None] * plan.n_batches
    for b, s in enumerate(blocks):  # fixed reduction order: block order
        i = plan.batch_of_block(b)
        batches[i] = s if batches[i] is None else batches[i].merge(s)
    return batches


def _cumulants_from_moments(mu: dict[int, np.ndarray], m: int, k: int) -> np.ndarray:
    """Joint k-th cumulants over sorted k-tuples of an m-vector from its raw moments (any mean)."""
    return partition_sum(mu, m, k, cumulant_partitions(k, even_only=False))


def _conditional_connected(plan: SamplingPlan, sums: dict[int, np.ndarray], count) -> dict:
    """Connected correlators from Kh moment sums (leading axes broadcast)."""
    P = plan.n_inputs * (plan.n_inputs + 1) // 2
    count = np.asarray(count, dtype=np.float64)[..., None]
    mu = {k: s / count for k, s in sums.items()}
    out = {}
    shift = plan.shift
    out[2] = mu[1] + shift
    if plan.network.d_out > 1:
        idx, mask = matching_terms(plan.n_inputs, plan.network.d_out, 2)[0]
        out[2] = mask * out[2][..., idx]
    for n in plan.orders:
        if n == 2:
            continue
        k = n // 2
        kappa = _cumulants_from_moments(mu, P, k)
        val = np.zeros(kappa.shape[:-1] + (len(sorted_tuples(plan.n_points, n)),))
        if plan.network.d_out == 1:
            for idx in _matching_indices(plan.n_inputs, n):
                val += kappa[..., idx]
        else:  # output deltas of each matching (docs/vector.md)
            for idx, mask in matching_terms(plan.n_inputs, plan.network.d_out, n):
                val += mask * kappa[..., idx]
        out[n] = val
    return out


@lru_cache(maxsize=64)
def _matching_indices(n_inputs: int, n: int) -> tuple[np.ndarray, ...]:
    """For each perfect matching of n points: the position of (Kh pair, ..., Kh pair) of every
    sorted n-tuple among the sorted (n/2)-tuples of the sorted input pairs (cached)."""
    T = sorted_tuples(n_inputs, n)
    P = n_inputs * (n_inputs + 1) // 2
    out = []
    for matching in perfect_matchings(n):
        pair_idx = np.stack([tuple_index(T[:, [a, b]], n_inputs) for a, b in matching], axis=1)
        idx = tuple_index(pair_idx, P)
        idx.setflags(write=False)
        out.append(idx)
    return tuple(out)


def _estimates(plan: SamplingPlan, sums: dict[int, np.ndarray], count):
    """(full, connected) dicts from total sums; leading axes broadcast (replicates)."""
    if plan.estimator == "raw":
        c = np.asarray(count, dtype=np.float64)[..., None]
        full = {n: sums[n] / c for n in plan.orders}
        connected = {n: connected_from_full(full, plan.n_points, n) for n in plan.orders}
    else:
        connected = _conditional_connected(plan, sums, count)
        full = {n: full_from_connected(connected, plan.n_points, n) for n in plan.orders}
    return full, connected


def heavy_tail_diagnostic(total: MomentSums, connected_reps: np.ndarray) -> dict:
    """Decide whether a Monte Carlo error bar can be trusted (docs/theory.md#heavy-tails).

    Criteria on the per-network tail weight w = sum_i |v_i|^k (v: outputs for ``raw``, centred
    Kh entries for ``conditional``; k the highest order accumulated) and on the batch estimates:

    - ``ess_fraction`` = (sum w)^2 / (M sum w^2), Kish's effective sample size over M: tiny when
      a few networks dominate the highest moments (fires below 0.005);
    - ``max_share`` = max w / sum w, the largest single-network share (fires above
      max(0.05, 100 / M): a light-tailed sample of M networks stays far below 100 / M);
    - ``max_batch_z``: per tuple of the highest-order connected function, the largest robust
      z-score (|x - median| / (1.4826 MAD)) among the batch pseudo-values, then the median over
      tuples. Light-tailed batch estimates stay below ~6 with 64 batches; one batch dominated
      by a single network gives 7 to 10^3. Fires above 20, or above 7 when the effective
      sample size is also below a quarter of a Gaussian sample's (``ess_relative_to_gaussian``
      < 0.25). Needs >= 50 networks per batch: with fewer, batch estimates of cumulants are
      skewed even for light tails;
    - ``spread_ratio``: the median over tuples of SD / (1.4826 MAD) of the batch pseudo-values,
      i.e. the stated error against the robust width of the batch spread (about 1 when the
      batch means are well behaved; fires above 2; same >= 50 networks per batch rule).

    The thresholds were set on Gauss-net at sigma_b = 1 (fires at 5000 networks, orders 4 and
    6, N = 3 and 1000) against Erf-net at N = 1000 on the [HMS] inputs, Gauss-net at sigma_b = 0.3
    and ReLU-net (quiet); see tests/test_estimate.py.
    """
    M = max(total.count, 1)
    ess = total.w_sum**2 / (M * total.w2_sum) if total.w2_sum > 0 else 1.0
    share = total.w_max / total.w_sum if total.w_sum > 0 else 0.0
    reps = np.asarray(connected_reps, dtype=np.float64)
    B = reps.shape[0]
    ratio = zmax = float("nan")
    if B >= 8 and M / B >= 50:
        pseudo = B * reps.mean(axis=0) - (B - 1) * reps
        med = np.median(pseudo, axis=0)
        mad = 1.4826 * np.median(np.abs(pseudo - med), axis=0)
        ok = mad > 0
        if np.any(ok):
            ratio = float(np.median(pseudo.std(axis=0, ddof=1)[ok] / mad[ok]))
            zmax = float(np.median(np.max(np.abs(pseudo - med), axis=0)[ok] / mad[ok]))
    reasons = []
    if ess < 0.005:
        reasons.append(f"effective sample size {ess:.2g} of the networks")
    if share > max(0.05, 100.0 / M):
        reasons.append(f"one network carries {share:.1%} of the highest moment")
    # Relative to a Gaussian sample of the same order (w = |v|^k): (E|Z|^k)^2 / E|Z|^2k.
    k = total.orders[-1] if total.orders else 2
    abs_moment = lambda p: 2 ** (p / 2) * math.gamma((p + 1) / 2) / math.sqrt(math.pi)  # noqa: E731
    ess_rel = ess / (abs_moment(k) ** 2 / abs_moment(2 * k))
    if math.isfinite(zmax) and (zmax > 20.0 or (zmax > 7.0 and ess_rel < 0.25)):
        reasons.append(f"one batch estimate lies {zmax:.3g} robust standard deviations out")
    if math.isfinite(ratio) and ratio > 2.0:
        reasons.append(f"batch estimates spread {ratio:.2g}x wider than their robust width")
    return {
        "fired": bool(reasons),
        "ess_fraction": float(ess),
        "max_share": float(share),
        "max_batch_z": zmax,
        "ess_relative_to_gaussian": float(ess_rel),
        "spread_ratio": ratio,
        "reasons": reasons,
    }


def finalize(plan: SamplingPlan, blocks: list[MomentSums], warn: bool = True,
             _predicted_warned: bool = False) -> Correlators:
    """Turn block accumulators (in block order) into a :class:`Correlators` with errors.

    ``meta["heavy_tail"]`` holds the sample criteria of :func:`heavy_tail_diagnostic` and, for
    one hidden layer, the prediction from exact moments (``"predicted"``, see
    :func:`nnqft.tails.predict_tail_check`); ``fired`` is true when either fires, and
    ``meta["heavy_tail_check"]`` says which kind of check was made: ``"predicted"`` (exact
    moments; the sample criteria are evaluated too) or ``"sample"`` (deep or multi-output
    networks). ``meta["error_bar_usable"]`` is false with fewer than
    :data:`MIN_USABLE_BATCHES` batches.
    """
    if len(blocks) != plan.n_blocks:
        raise ValueError(f"expected {plan.n_blocks} block accumulators, got {len(blocks)}")
    batches = _fold_batches(plan, blocks)
    total = batches[0]
    for s in batches[1:]:
        total = total.merge(s)
    full, connected = _estimates(plan, total.sums, total.count)
    # delete-one-batch jackknife
    counts = np.array([s.count for s in batches], dtype=np.float64)
    loo_sums = {
        k: total.sums[k][None, :] - np.stack([s.sums[k] for s in batches]) for k in total.sums
    }
    full_r, conn_r = _estimates(plan, loo_sums, total.count - counts)
    top = max(plan.orders)
    diag = heavy_tail_diagnostic(total, conn_r[top])
    pred = plan.tail_prediction
    diag["check"] = "sample" if pred is None else "predicted"
    diag["sample_fired"] = diag["fired"]
    diag["predicted"] = pred
    if pred is not None and pred["fired"]:
        diag["fired"] = True
        diag["reasons"] = pred["reasons"] + diag["reasons"]
    usable = plan.n_batches >= MIN_USABLE_BATCHES
    if not usable and warn:
        warnings.warn(f"only {plan.n_batches} batches of networks (fewer than "
                      f"{MIN_USABLE_BATCHES}): the error bars are not usable; sample at least "
                      f"64 networks, with the default block size (at most networks / 64)",
                      FewBatchesWarning, stacklevel=2)
    if diag["fired"] and warn and not _predicted_warned:  # one warning per estimate
        warnings.warn(
            f"heavy tails: the {plan.estimator} Monte Carlo error bars for {plan.network.activation}-net "
            f"cannot be trusted ({'; '.join(diag['reasons'])})",
            HeavyTailWarning,
            stacklevel=2,
        )
    return make_correlators(
        inputs=plan.inputs,
        network=plan.network,
        orders=plan.orders,
        kernel=gp_kernel(plan.network, plan.inputs),
        full_values=full,
        connected_values=connected,
        full_errors={n: jackknife_error(full_r[n]) for n in plan.orders},
        connected_errors={n: jackknife_error(conn_r[n]) for n in plan.orders},
        full_replicates=full_r,
        connected_replicates=conn_r,
        exact=False,
        n_networks=plan.n_networks,
        estimator=plan.estimator,
        meta={
            "seed": plan.seed,
            "block_size": plan.block_size,
            "n_blocks": plan.n_blocks,
            "n_batches": plan.n_batches,
            "fingerprint": plan.fingerprint(),
            "backend": plan.backend,
            "dtype": plan.dtype,
            "device": device_description(plan.backend),
            "heavy_tail": diag,
            "heavy_tail_check": diag["check"],
            "error_bar_usable": usable,
        },
    )


def estimate_correlators(net: Network, X, orders=(2, 4, 6), n_networks: int = 10_000,
                         seed: int = 0, estimator: str | None = None, executor=None,
                         block_size: int | None = None, progress: bool = False,
                         backend: str | None = None, dtype: str | None = None) -> Correlators:
    """Monte Carlo n-point and connected correlators with standard errors.

    Parameters
    ----------
    net : Network
        Any activation and depth; with d_out = n > 1 the result is a
        :class:`nnqft.vector.VectorCorrelators` over sorted tuples of (input, output) pairs.
    X : array_like
        Inputs (n_inputs, d_in).
    orders : iterable of int
        Even orders; all even orders up to the largest are computed.
    n_networks : int
        Number of sampled networks M (>= 2).
    seed : int
        Run seed; with the network's content hash and the block index it seeds each block.
    estimator : {"conditional", "raw"} or None
        Default: "conditional" for a normal last layer, else "raw".
    executor : None, "local", int, LocalExecutor, DaskExecutor, distributed.Client or str
        Where blocks are computed; the numbers are bit-identical for every choice.
    block_size : int or None
        Networks per block (default floor(M/64), at most 4096, so >= 64 batches; recorded in
        ``meta``).
    progress : bool
        Progress bar on stderr.
    backend : {"numpy", "jax"} or None
        Array backend of the sampler (default "numpy"). "jax" runs jit-compiled blocks on JAX's
        default device (CPU or GPU; needs ``pip install "nnqft[jax]"``); its numbers agree with
        numpy's statistically, not bitwise (docs/backends.md).
    dtype : {"float64", "float32"} or None
        Precision of the sampled parameters and the forward pass (default "float64"; "float32"
        needs the jax backend). Sums over networks are float64 in every case.

    Returns
    -------
    Correlators
        With ``full_err``/``connected_err`` (jackknife over batches), jackknife replicates,
        and ``meta["heavy_tail"]`` (see :func:`heavy_tail_diagnostic`; a
        :class:`HeavyTailWarning` is issued when it fires).
    """
    plan = make_plan(net, X, orders, n_networks, seed, estimator, block_size, backend, dtype)
    pred = plan.tail_prediction  # before sampling: warn early, once
    if pred is not None and pred["fired"]:
        warnings.warn(
            f"heavy tails: the {plan.estimator} Monte Carlo error bars for "
            f"{plan.network.activation}-net cannot be trusted ({'; '.join(pred['reasons'])})",
            HeavyTailWarning, stacklevel=2)
    blocks = run_plan(plan, executor=executor, progress=progress)
    return finalize(plan, blocks, warn=True, _predicted_warned=pred is not None and pred["fired"])

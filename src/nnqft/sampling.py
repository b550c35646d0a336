"""Vectorised sampling of network ensembles in fixed, counter-seeded blocks.

Block ``b`` of a run with seed ``s`` for the network configuration with content hash ``c``
draws from ``numpy.random.default_rng(numpy.random.SeedSequence([s, c, b]))`` (design.md
section 5), so every block is reproducible on its own, whatever executor computes it. Inside a
block, networks are generated in sub-batches whose size depends only on the architecture and
the number of inputs (to bound memory), never on how the work is split.

Per sub-batch the draws are, in this order: for each hidden layer its weights then its biases
(cos-net: phases b ~ Uniform[-pi, pi]); then, for outputs only, the last-layer weights W1 (normal
or uniform, variance sigma_w^2 / N) and the output bias b1.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from .networks import Network, as_inputs

__all__ = [
    "block_rng",
    "default_block_size",
    "block_bounds",
    "sub_batch_size",
    "hidden_features",
    "last_layer",
    "sample_outputs",
    "MAX_BLOCK_SIZE",
]

#: Largest default block (see :func:`default_block_size`).
MAX_BLOCK_SIZE = 4096
#: Target number of float64 elements of the largest array of one sub-batch (~32 MB).
_SUB_BATCH_ELEMENTS = 4_000_000


def block_rng(seed: int, config_hash: int, block: int) -> np.random.Generator:
    """The generator of block ``block``: ``default_rng(SeedSequence([seed, config_hash, block]))``."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(config_hash), int(block)]))


def default_block_size(n_networks: int) -> int:
    """Default block size: depends only on the number of networks.

    At most MAX_BLOCK_SIZE networks per block and, for n_networks M >= 64, at least 64 full
    blocks (so 64 jackknife batches): the block size is floor(M / (64 g)) with
    g = ceil(M / (64 MAX_BLOCK_SIZE)). That gives 64 g full blocks or a few more (M = 1000:
    66 blocks of 15) plus at most one shorter block (M = 1000: 10 networks), which joins the
    last batch (:meth:`nnqft.estimate.SamplingPlan.batch_of_block`); the batches are equal up
    to one block (M = 10^4: 63 batches of 156 networks and one of 172; at worst a batch holds
    twice the networks of another). A ceiling here gave 63 blocks at M = 1000.
    """
    groups = max(1, math.ceil(n_networks / (64 * MAX_BLOCK_SIZE)))
    return max(1, n_networks // (64 * groups))


def block_bounds(n_networks: int, block_size: int, block: int) -> tuple[int, int]:
    """Network index range [start, stop) of a block."""
    start = block * block_size
    return start, min(n_networks, start + block_size)


def sub_batch_size(net: Network, n_inputs: int) -> int:
    """Networks per sub-batch inside a block (a function of the architecture only)."""
    dims = [net.d_in, *net.widths]
    per_net = max(
        max(dims[i] * dims[i + 1] for i in range(len(dims) - 1)),
        net.widths[-1] * max(n_inputs, net.d_in) * 2,
        1,
    )
    return max(1, _SUB_BATCH_ELEMENTS // per_net)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def hidden_features(net: Network, X: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Sample ``n`` networks' last hidden layer at the inputs: h of shape (n, N_L, n_inputs).

    Pure function of ``rng``'s state; draws every hidden layer's weights and biases in order.
    """
    d = net.d_in
    sw, sb = net.sigma_w, net.sigma_b
    W0 = rng.standard_normal((n, net.widths[0], d)) * (sw / math.sqrt(d))
    if net.activation == "cos":
        b0 = rng.uniform(-np.pi, np.pi, size=(n, net.widths[0]))
    else:
        b0 = rng.standard_normal((n, net.widths[0])) * sb
    z = W0 @ X.T + b0[:, :, None]  # (n, N1, n_x)
    if net.activation == "gauss":
        mxx = sb**2 + sw**2 * np.sum(X * X, axis=1) / d
        return np.exp(z - mxx)
    if net.activation == "cos":
        return math.sqrt(2.0) * np.cos(z)
    phi = _PHI[net.activation]
    h = phi(z)
    for l in range(1, net.depth):
        n_prev, n_cur = net.widths[l - 1], net.widths[l]
        W = rng.standard_normal((n, n_cur, n_prev)) * (sw / math.sqrt(n_prev))
        b = rng.standard_normal((n, n_cur)) * sb
        h = phi(W @ h + b[:, :, None])
    return h


def last_layer(net: Network, h: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Outputs f = b1 + W1 h for features h (n, N, n_x): shape (n, n_x) or (n, n_x, d_out)."""
    n, N, _ = h.shape
    scale = net.sigma_w / math.sqrt(N)
    shape = (n, net.d_out, N)
    if net.weight_law == "normal":
        W1 = rng.standard_normal(shape) * scale
    elif net.weight_law == "uniform":
        a = math.sqrt(3.0) * scale
        W1 = rng.uniform(-a, a, size=shape)
    else:  # pragma: no cover - Network validates the law
        raise ValueError(f"unknown weight law {net.weight_law!r}")
    b1 = rng.standard_normal((n, net.d_out)) * net.sigma_b
    f = W1 @ h + b1[:, :, None]  # (n, d_out, n_x)
    f = np.swapaxes(f, 1, 2)
    return f[:, :, 0] if net.d_out == 1 else f


def _relu(z):
    return np.maximum(z, 0.0)


_PHI = {"erf": special.erf, "relu": _relu, "tanh": np.tanh}


def sample_outputs(net: Network, X, n_networks: int, seed: int = 0,
                   block_size: int | None = None) -> np.ndarray:
    """Outputs of ``n_networks`` random networks at the inputs.

    Returns shape (n_networks, n_inputs) for d_out = 1, else (n_networks, n_inputs, d_out).
    Uses the same blocks and seeds as the raw estimator, so results do not depend on how the
    ensemble is later split.
    """
    X = as_inputs(X, net.d_in)
    seed = _check_seed(seed)
    if isinstance(n_networks, bool) or not isinstance(n_networks, (int, np.integer)) or n_networks < 1:
        raise ValueError(f"n_networks must be a positive integer, got {n_networks!r}")
    bs = default_block_size(n_networks) if block_size is None else int(block_size)
    if bs < 1:
        raise ValueError(f"block_size must be positive, got {block_size}")
    out = []
    chash = net.content_hash()
    for b in range(math.ceil(n_networks / bs)):
        start, stop = block_bounds(n_networks, bs, b)
        rng = block_rng(seed, chash, b)
        out.extend(iter_block_outputs(net, X, stop - start, rng))
    return np.concatenate(out, axis=0)


def iter_block_outputs(net: Network, X: np.ndarray, n: int, rng: np.random.Generator):
    """Yield the outputs of a block of ``n`` networks in sub-batches (same draws as the raw estimator)."""
    sub = sub_batch_size(net, X.shape[0])
    done = 0
    while done < n:
        m = min(sub, n - done)
        h = hidden_features(net, X, m, rng)
        yield last_layer(net, h, rng)
        done += m


def iter_block_features(net: Network, X: np.ndarray, n: int, rng: np.random.Generator):
    """Yield last-hidden-layer features of a block of ``n`` networks in sub-batches."""
    sub = sub_batch_size(net, X.shape[0])
    done = 0
    while done < n:
        m = min(sub, n - done)
        yield hidden_features(net, X, m, rng)
        done += m

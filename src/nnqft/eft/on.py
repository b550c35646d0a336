"""O(n) couplings of multi-output networks: pairing amplitudes, quartic and sextic couplings.

Convention (docs/vector.md): an n-output network is an n-component field f with

    S[f] = (1/2) int int f_a K_w^(-1) f_a + int_{[-Lambda, Lambda]^d} d^d y
           [ lambda/4! (f.f)^2 + kappa/6! (f.f)^3 ],

so the quartic vertex is (lambda/3) (d_ab d_cd + d_ac d_bd + d_ad d_bc) (the fourth derivative
of (f.f)^2 is 8 sum_3 d d) and the sextic one (kappa/15) sum_15 d d d (the sixth derivative of
(f.f)^3 is 48 sum_15 d d d). With one output these are lambda/4! phi^4 and kappa/6! phi^6, the
convention of :mod:`nnqft.eft.couplings`.

Pairing amplitudes. By O(n) invariance the connected four-point function is

    G4_c[(x_1,a)(x_2,b)(x_3,c)(x_4,d)] = A_(12|34) d_ab d_cd + A_(13|24) d_ac d_bd
                                         + A_(14|23) d_ad d_bc   (+ A_0 d_abcd),

the last term only for a non-normal last-layer law (it breaks O(n) to the signed
permutations). With n >= 2 each amplitude is an entry with two distinct outputs (A_(12|34) =
G4_c with outputs (a, a, b, b), a != b; averaged over all ordered pairs a != b); A_0 is the
all-equal entry minus the three amplitudes. At order 6 the 15 amplitudes A_M, one per perfect
matching M of the six points, are the entries whose three pairs carry three distinct outputs
(n >= 3). For one hidden layer they follow from the single-neuron moments
(:func:`exact_pairing_amplitudes`): A_(12|34) = (sigma_w^4 / N) [C4 - C2(12) C2(34)],
A_0 = (sigma_w^4 / N) c4 C4 and A_M = (sigma_w^6 / N^2) [C6 - sum_(R in M) C4(rest) C2(R)
+ 2 prod_(R in M) C2(R)]; none depends on n.

Couplings at tree level. Each pairing gives A_p(t) = -(lambda/3) I_4(t), so per input 4-tuple
and pairing lambda_p(t) = -3 A_p(t) / I_4(t); the O(n) coupling per tuple is the mean over the
three pairings (= -(A_1 + A_2 + A_3) / I_4, for a normal law the one-output coupling
-G4_c / I_4); its tuple mean and spread are the O(n) coupling and its non-locality, and the
spread over pairings measures how far the data are from the single O(n) vertex. Sextic:
tree-level exchange of one propagator between two quartic vertices gives, per matching M,
(lambda/3)^2 times the sum of J(A|B) over the 6 splits into triples that M crosses exactly once,
so kappa_M(t) = -15 [A_M(t) - (lambda_bar/3)^2 sum_(6 splits) J(t)] / I_6(t); their mean over
the 15 matchings is the one-output formula kappa = -(G6_c - lambda_bar^2 sum_10 J) / I_6.

References
----------
[ZJ] Zinn-Justin, Quantum Field Theory and Critical Phenomena (O(N)-symmetric phi^4 vertex).
[HMS] Halverson, Maiti, Stoner, arXiv:2008.08601 (one-output couplings).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..combinatorics import equal_splits, perfect_matchings, sorted_tuples, tuple_index
from ..correlators import Correlators, jackknife_error
from ..networks import Network, as_inputs, weight_law_cumulants
from .couplings import couplings, fit_to_dict, resolve_network, sextic_couplings, tuple_summary
from .integrals import (
    check_cutoff,
    exchange_matrix,
    vertex_integrals,
    vertex_log_derivatives,
)
from .running import loglog_slope, running
from .stats import tuple_mean, tuple_spread

__all__ = [
    "ON_CONVENTION",
    "PAIRINGS",
    "PairingAmplitudes",
    "ONQuarticFit",
    "ONSexticFit",
    "ONRunning",
    "pairing_amplitudes",
    "exact_pairing_amplitudes",
    "on_couplings",
    "on_sextic_couplings",
    "on_running",
    "compatible_splits",
]

ON_CONVENTION = ("S = ... + lambda/4! (f.f)^2 + kappa/6! (f.f)^3; vertices (lambda/3) sum_3 dd, "
                 "(kappa/15) sum_15 ddd")
#: The three pairings of the positions of a 4-tuple: (12|34), (13|24), (14|23).
PAIRINGS = perfect_matchings(4)


# ---------------------------------------------------------------------------- amplitudes
@dataclass
class PairingAmplitudes:
    """Amplitudes of the O(n) delta structures per sorted input tuple.

    Attributes
    ----------
    order : int
        4 (three pairings, :data:`PAIRINGS`) or 6 (15 matchings, ``perfect_matchings(6)``).
    tuples : ndarray (T, order)
        Sorted input tuples.
    values : ndarray (T, S)
        One column per pairing / matching.
    errors : ndarray (T, S) or None
    replicates : ndarray (B, T, S) or None
        Jackknife leave-one-batch-out replicates.
    diagonal, diagonal_replicates : ndarray (T,), (B, T) or None
        Order 4: the extra all-equal-outputs amplitude A_0 (zero for a normal law).
    outputs : int
        Number of outputs of the data (the amplitudes themselves do not depend on it).
    exact : bool
    """

    order: int
    tuples: np.ndarray
    values: np.ndarray
    errors: np.ndarray | None
    replicates: np.ndarray | None
    diagonal: np.ndarray | None
    diagonal_replicates: np.ndarray | None
    outputs: int
    exact: bool
    network: Network
    inputs: np.ndarray

    @property
    def structures(self):
        return PAIRINGS if self.order == 4 else perfect_matchings(6)


@lru_cache(maxsize=64)
def _amplitude_index(n_inputs: int, n_out: int, order: int, diagonal: bool):
    """Positions, among the sorted point tuples, of the entries that read each structure:
    shape (S, T, A) for A output assignments (distinct outputs per pair), or (T, n) for the
    all-equal entries when ``diagonal``."""
    T = sorted_tuples(n_inputs, order)
    P = n_inputs * n_out
    if diagonal:
        cols = [tuple_index(T * n_out + a, P) for a in range(n_out)]
        return np.stack(cols, axis=1)
    k = order // 2
    assigns = list(itertools.permutations(range(n_out), k))
    out = []
    for M in perfect_matchings(order):
        outs = np.zeros((len(assigns), order), dtype=np.int64)
        for j, pair in enumerate(M):
            for pos in pair:
                outs[:, pos] = [a[j] for a in assigns]
        pts = T[:, None, :] * n_out + outs[None, :, :]  # (T, A, order)
        out.append(tuple_index(pts, P))
    return np.stack(out)


def pairing_amplitudes(c: Correlators, order: int = 4) -> PairingAmplitudes:
    """Read the pairing amplitudes from multi-output correlators (exact or Monte Carlo).

    Needs n >= 2 outputs at order 4 and n >= 3 at order 6 (with fewer outputs the structures
    cannot be told apart). Each amplitude is the mean over the output assignments with distinct
    outputs on distinct pairs; errors by the jackknife over the same replicates.
    """
    n_out = c.network.d_out
    if order not in (4, 6):
        raise ValueError(f"order must be 4 or 6, got {order!r}")
    need = order // 2 if order == 6 else 2
    if n_out < need:
        raise ValueError(f"order-{order} pairing amplitudes need at least {need} outputs, "
                         f"got {n_out}")
    if order not in c.orders:
        raise ValueError(f"the correlators do not hold order {order}")
    idx = _amplitude_index(c.n_inputs, n_out, order, False)  # (S, T, A)
    vals = c.connected(order)[idx].mean(axis=-1).T  # (T, S)
    reps = c.replicates("connected", order)
    R = None if reps is None else np.moveaxis(reps[:, idx].mean(axis=-1), 1, 2)  # (B, T, S)
    diag = diag_r = None
    if order == 4:
        di = _amplitude_index(c.n_inputs, n_out, 4, True)  # (T, n)
        diag = c.connected(4)[di].mean(axis=-1) - vals.sum(axis=1)
        if reps is not None:
            diag_r = reps[:, di].mean(axis=-1) - R.sum(axis=2)
    return PairingAmplitudes(
        order=order, tuples=np.asarray(sorted_tuples(c.n_inputs, order)), values=vals,
        errors=None if R is None else jackknife_error(R), replicates=R, diagonal=diag,
        diagonal_replicates=diag_r, outputs=n_out, exact=bool(c.exact), network=c.network,
        inputs=c.inputs,
    )


def exact_pairing_amplitudes(net: Network, X, order: int = 4, *, method: str = "auto",
                             moments: dict | None = None) -> PairingAmplitudes:
    """Pairing amplitudes of a one-hidden-layer network from single-neuron moments (any n).

    Order 4 for the normal and uniform laws (A_0 = (sigma_w^4 / N) c4 C4); order 6 for the
    normal law (module docstring). Independent of the number of outputs.
    """
    from ..correlators import block_index
    from ..moments import single_neuron_moment_table

    if net.depth != 1:
        raise ValueError("exact pairing amplitudes need one hidden layer")
    if order not in (4, 6):
        raise ValueError(f"order must be 4 or 6, got {order!r}")
    if order == 6 and net.weight_law != "normal":
        raise ValueError("exact order-6 pairing amplitudes need a normal last layer")
    X = as_inputs(X, net.d_in)
    nx = X.shape[0]
    C = moments or single_neuron_moment_table(net, X, tuple(range(2, order + 1, 2)), method=method)
    N, sw = net.last_width, net.sigma_w
    cols = []
    for M in (PAIRINGS if order == 4 else perfect_matchings(6)):
        amp = np.array(C[order], dtype=np.float64)
        if order == 4:
            (a, b), (cc, d) = M
            amp = amp - C[2][block_index(nx, 4, (a, b))] * C[2][block_index(nx, 4, (cc, d))]
        else:
            prod2 = np.ones_like(amp)
            for R in M:
                rest = tuple(v for v in range(6) if v not in R)
                c2 = C[2][block_index(nx, 6, R)]
                amp = amp - C[4][block_index(nx, 6, rest)] * c2
                prod2 = prod2 * c2
            amp = amp + 2 * prod2
        cols.append(amp)
    scale = sw**order * float(N) ** (1 - order / 2)
    vals = scale * np.stack(cols, axis=1)
    diag = None
    if order == 4:
        c4, _ = weight_law_cumulants(net.weight_law)
        diag = scale * c4 * np.asarray(C[4], dtype=np.float64)
    return PairingAmplitudes(
        order=order, tuples=np.asarray(sorted_tuples(nx, order)), values=vals, errors=None,
        replicates=None, diagonal=diag, diagonal_replicates=None, outputs=net.d_out,
        exact=True, network=net, inputs=X,
    )


# ---------------------------------------------------------------------------- quartic
@dataclass
class ONQuarticFit:
    """O(n) quartic coupling per sorted input 4-tuple (convention :data:`ON_CONVENTION`).

    Attributes
    ----------
    tuples : ndarray (T, 4)
    cutoff : float
    outputs : int
    lam : ndarray (T,)
        Per tuple: the mean over the three pairings of lambda_p = -3 A_p / I_4 (n >= 2), or
        the one-output coupling -G4_c / I_4 (n = 1).
    lam_err : ndarray (T,) or None
    lam_pairings : ndarray (T, 3) or None
        lambda_p per pairing (None for n = 1).
    I4 : ndarray (T,)
    mean, spread, mean_err, spread_err : float, float, float or None, float or None
        Unweighted tuple mean and standard deviation (ddof = 0) of ``lam`` with jackknife errors.
    pairing_spread, pairing_spread_err : float or None
        Standard deviation of lambda_p over all (tuple, pairing) (None for n = 1).
    fit_quality : dict
        ``rel_spread`` = spread / |mean| (non-locality), ``pairing_asymmetry`` = RMS over
        tuples of the standard deviation over pairings / |mean| (departure from the single
        O(n) vertex; None for n = 1), ``diagonal`` = tuple mean of -A_0 / I_4 (the coupling g of
        an O(n)-breaking g/4! sum_a f_a^4; None for n = 1) and its error.
    replicates : ndarray (B, T) or None
    """

    tuples: np.ndarray
    cutoff: float
    outputs: int
    lam: np.ndarray
    lam_err: np.ndarray | None
    lam_pairings: np.ndarray | None
    I4: np.ndarray
    mean: float
    spread: float
    mean_err: float | None
    spread_err: float | None
    pairing_spread: float | None
    pairing_spread_err: float | None
    fit_quality: dict
    replicates: np.ndarray | None
    pairing_replicates: np.ndarray | None
    exact: bool
    convention: str = ON_CONVENTION
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """:func:`nnqft.eft.couplings.fit_to_dict` with the O(n) entries."""
        return {
            **fit_to_dict(self, "lambda", self.lam, self.lam_err),
            "outputs": self.outputs,
            "lambda_pairings": None if self.lam_pairings is None else self.lam_pairings.tolist(),
            "I4": self.I4.tolist(),
            "pairing_spread": self.pairing_spread,
            "pairing_spread_err": self.pairing_spread_err,
            "fit_quality": self.fit_quality,
        }


def _input_net(net: Network) -> Network:
    return net.replace(outputs=1) if net.d_out != 1 else net


def _quartic_from_amplitudes(amps: PairingAmplitudes, cutoff, I4=None,
                             method: str = "auto") -> ONQuarticFit:
    L = check_cutoff(cutoff)
    net = _input_net(amps.network)
    if I4 is None:
        I4 = vertex_integrals(net, amps.inputs, amps.tuples, L, method=method)
    I4 = np.asarray(I4, dtype=np.float64)
    if np.any(I4 == 0):
        raise ValueError("I_4 vanishes on some tuple: the coupling is undefined there")
    lp = -3.0 * amps.values / I4[:, None]
    lam = lp.mean(axis=1)
    lp_r = lam_r = None
    if amps.replicates is not None:
        lp_r = -3.0 * amps.replicates / I4[None, :, None]
        lam_r = lp_r.mean(axis=2)
    mean, spread, mean_err, spread_err = tuple_summary(lam, lam_r)
    ps, ps_err = tuple_spread(lp.ravel(), None if lp_r is None else lp_r.reshape(len(lp_r), -1))
    asym = float(np.sqrt(np.mean(np.var(lp, axis=1))) / abs(mean)) if mean != 0 else math.inf
    g = -amps.diagonal / I4 if amps.diagonal is not None else None
    g_r = None if amps.diagonal_replicates is None else -amps.diagonal_replicates / I4
    g_mean, g_err = (None, None) if g is None else tuple_mean(g, g_r)
    return ONQuarticFit(
        tuples=amps.tuples, cutoff=L, outputs=amps.outputs, lam=lam,
        lam_err=None if lam_r is None else jackknife_error(lam_r), lam_pairings=lp, I4=I4,
        mean=mean, spread=spread, mean_err=mean_err, spread_err=spread_err,
        pairing_spread=ps, pairing_spread_err=ps_err,
        fit_quality={"rel_spread": spread / abs(mean) if mean else math.inf,
                     "pairing_asymmetry": asym, "diagonal": g_mean, "diagonal_err": g_err},
        replicates=lam_r, pairing_replicates=lp_r, exact=amps.exact,
    )


def on_couplings(c: Correlators | PairingAmplitudes, net: Network | None = None,
                 cutoff=math.inf, *, method: str = "auto", I4=None) -> ONQuarticFit:
    """O(n) quartic coupling from correlators (any number of outputs) or amplitudes.

    With one output this is :func:`nnqft.eft.couplings` (the same numbers, bit for bit); with
    n >= 2 the amplitudes are read with :func:`pairing_amplitudes` and
    lambda_p(t) = -3 A_p(t) / I_4(t) (module docstring).
    """
    if isinstance(c, PairingAmplitudes):
        return _quartic_from_amplitudes(c, cutoff, I4, method)
    if not isinstance(c, Correlators):
        raise TypeError(f"c must be Correlators or PairingAmplitudes, got {type(c).__name__}")
    if c.network.d_out == 1:
        fit = couplings(c, net, cutoff, method=method, I4=I4)
        return ONQuarticFit(
            tuples=fit.tuples, cutoff=fit.cutoff, outputs=1, lam=fit.lam, lam_err=fit.lam_err,
            lam_pairings=None, I4=fit.I4, mean=fit.mean, spread=fit.spread,
            mean_err=fit.mean_err, spread_err=fit.spread_err, pairing_spread=None,
            pairing_spread_err=None,
            fit_quality={"rel_spread": fit.spread / abs(fit.mean) if fit.mean else math.inf,
                         "pairing_asymmetry": None, "diagonal": None, "diagonal_err": None},
            replicates=fit.replicates, pairing_replicates=None, exact=fit.exact,
        )
    if net is not None:
        resolve_network(c, net)
    return _quartic_from_amplitudes(pairing_amplitudes(c, 4), cutoff, I4, method)


# ---------------------------------------------------------------------------- sextic
@lru_cache(maxsize=4)
def compatible_splits() -> tuple[tuple[int, ...], ...]:
    """For each of the 15 matchings of 6 points, the 6 of the 10 splits into triples
    (:func:`nnqft.combinatorics.equal_splits`) that it crosses exactly once: the exchange
    diagrams that carry its delta structure."""
    splits = equal_splits(6)
    out = []
    for M in perfect_matchings(6):
        ok = []
        for s, (A, _) in enumerate(splits):
            crossing = sum((a in A) != (b in A) for a, b in M)
            if crossing == 1:
                ok.append(s)
        out.append(tuple(ok))
    return tuple(out)


@dataclass
class ONSexticFit:
    """O(n) sextic coupling per sorted input 6-tuple (convention :data:`ON_CONVENTION`).

    ``kappa`` (T6,) is the mean over the 15 matchings of kappa_M (or the one-output kappa for
    n = 1); ``kappa_matchings`` (T6, 15) or None; tuple mean, spread and jackknife errors as
    for the quartic fit; ``quartic`` the O(n) quartic fit whose mean enters the exchange term.
    """

    tuples: np.ndarray
    cutoff: float
    outputs: int
    kappa: np.ndarray
    kappa_err: np.ndarray | None
    kappa_matchings: np.ndarray | None
    I6: np.ndarray
    lambda_bar: float
    mean: float
    spread: float
    mean_err: float | None
    spread_err: float | None
    matching_spread: float | None
    replicates: np.ndarray | None
    exact: bool
    quartic: ONQuarticFit
    convention: str = ON_CONVENTION

    def to_dict(self) -> dict:
        """:func:`nnqft.eft.couplings.fit_to_dict` (tuples as ``tuples6``) with the O(n)
        entries."""
        return {**fit_to_dict(self, "kappa", self.kappa, self.kappa_err, tuples_key="tuples6"),
                "outputs": self.outputs, "lambda_bar": self.lambda_bar,
                "matching_spread": self.matching_spread}


def on_sextic_couplings(c: Correlators | PairingAmplitudes, net: Network | None = None,
                        cutoff=math.inf, *, method: str = "auto",
                        quartic: ONQuarticFit | PairingAmplitudes | None = None) -> ONSexticFit:
    """O(n) sextic coupling: kappa_M(t) = -15 [A_M(t) - (lambda_bar/3)^2 sum_6 J(t)] / I_6(t).

    ``c``: correlators holding orders 4 and 6 (n = 1: :func:`nnqft.eft.sextic_couplings`,
    bit for bit; n >= 3: amplitudes read from the tensor) or order-6 amplitudes (then
    ``quartic`` must be an O(n) quartic fit or order-4 amplitudes at the same inputs).
    """
    L = check_cutoff(cutoff)
    if isinstance(c, Correlators) and c.network.d_out == 1:
        s = sextic_couplings(c, net, L, method=method)
        q = on_couplings(c, net, L, method=method, I4=s.quartic.I4)
        return ONSexticFit(
            tuples=s.tuples, cutoff=L, outputs=1, kappa=s.kappa, kappa_err=s.kappa_err,
            kappa_matchings=None, I6=s.I6, lambda_bar=s.lambda_bar, mean=s.mean,
            spread=s.spread, mean_err=s.mean_err, spread_err=s.spread_err,
            matching_spread=None, replicates=s.replicates, exact=s.exact, quartic=q,
        )
    if isinstance(c, Correlators):
        if net is not None:
            resolve_network(c, net)
        a6 = pairing_amplitudes(c, 6)
        q = quartic if isinstance(quartic, ONQuarticFit) else on_couplings(c, None, L,
                                                                            method=method)
    elif isinstance(c, PairingAmplitudes) and c.order == 6:
        a6 = c
        if isinstance(quartic, PairingAmplitudes):
            q = on_couplings(quartic, None, L, method=method)
        elif isinstance(quartic, ONQuarticFit):
            q = quartic
        else:
            raise ValueError("order-6 amplitudes need the quartic fit or order-4 amplitudes")
    else:
        raise TypeError("c must be Correlators or order-6 PairingAmplitudes")
    if q.cutoff != L:
        raise ValueError("the quartic fit was made at a different cutoff")
    inet = _input_net(a6.network)
    X, nx = a6.inputs, a6.inputs.shape[0]
    T6 = a6.tuples
    I6 = vertex_integrals(inet, X, T6, L, method=method)
    if np.any(I6 == 0):
        raise ValueError("I_6 vanishes on some tuple: kappa is undefined there")
    Jm = exchange_matrix(inet, X, L, method=method)
    splits = equal_splits(6)
    Js = np.stack([Jm[tuple_index(T6[:, list(A)], nx), tuple_index(T6[:, list(B)], nx)]
                   for A, B in splits], axis=1)  # (T6, 10)
    Jc = np.stack([Js[:, list(s)].sum(axis=1) for s in compatible_splits()], axis=1)  # (T6, 15)
    lb = q.mean
    km = -15.0 * (a6.values - (lb / 3.0) ** 2 * Jc) / I6[:, None]
    kappa = km.mean(axis=1)
    reps = None
    if a6.replicates is not None and q.replicates is not None:
        lb_r = q.replicates.mean(axis=1)
        km_r = -15.0 * (a6.replicates - ((lb_r / 3.0) ** 2)[:, None, None] * Jc) / I6[:, None]
        reps = km_r.mean(axis=2)
    mean, spread, mean_err, spread_err = tuple_summary(kappa, reps)
    return ONSexticFit(
        tuples=T6, cutoff=L, outputs=a6.outputs, kappa=kappa,
        kappa_err=None if reps is None else jackknife_error(reps), kappa_matchings=km, I6=I6,
        lambda_bar=lb, mean=mean, spread=spread, mean_err=mean_err, spread_err=spread_err,
        matching_spread=float(np.std(km)), replicates=reps, exact=a6.exact, quartic=q,
    )


# ---------------------------------------------------------------------------- running
@dataclass
class ONRunning:
    """The O(n) quartic coupling on a cutoff grid: tuple means, log-log slope, beta function.

    ``beta`` (C, T, 3) per pairing (or (C, T, 1) for n = 1) is -lambda_p d ln I_4 / d ln Lambda;
    every pairing runs with the same d ln I_4 / d ln Lambda, so the ratios of the pairing
    amplitudes do not run.
    """

    cutoffs: np.ndarray
    fits: list
    mean: np.ndarray
    mean_err: np.ndarray | None
    slope: float
    slope_err: float
    intercept: float
    r2: float
    dlnI4: np.ndarray
    beta: np.ndarray
    beta_mean: np.ndarray


def on_running(c: Correlators | PairingAmplitudes, net: Network | None = None, cutoffs=None,
               *, method: str = "auto") -> ONRunning:
    """Running of the O(n) quartic coupling with the cutoff (tree level, G4_c held fixed).

    For one output this wraps :func:`nnqft.eft.running` (identical numbers).
    """
    if cutoffs is None:
        raise ValueError("give a grid of cutoffs")
    cut = np.array([check_cutoff(v) for v in np.atleast_1d(cutoffs)])
    if np.any(np.isinf(cut)) or len(cut) < 2:
        raise ValueError("running needs at least two finite cutoffs")
    if isinstance(c, Correlators) and c.network.d_out == 1:
        r = running(c, net, cut, method=method)
        fits = [on_couplings(c, net, L, method=method, I4=f.I4) for L, f in zip(cut, r.fits,
                                                                               strict=True)]
        return ONRunning(cutoffs=cut, fits=fits, mean=r.mean, mean_err=r.mean_err,
                         slope=r.slope, slope_err=r.slope_err, intercept=r.intercept, r2=r.r2,
                         dlnI4=r.dlnI4, beta=r.beta[:, :, None], beta_mean=r.beta_mean)
    amps = c if isinstance(c, PairingAmplitudes) else pairing_amplitudes(c, 4)
    inet = _input_net(amps.network)
    fits, gs, betas = [], [], []
    for L in cut:
        fit = _quartic_from_amplitudes(amps, L, method=method)
        dI = vertex_log_derivatives(inet, amps.inputs, amps.tuples, L, method=method)
        g = dI / fit.I4
        fits.append(fit)
        gs.append(g)
        betas.append(-fit.lam_pairings * g[:, None])
    mean = np.array([f.mean for f in fits])
    reps = None
    if fits[0].replicates is not None:
        reps = np.array([f.replicates.mean(axis=1) for f in fits]).T
    slope, slope_err, intercept, r2 = loglog_slope(cut, mean, reps)
    beta = np.array(betas)
    return ONRunning(
        cutoffs=cut, fits=fits, mean=mean,
        mean_err=None if fits[0].mean_err is None else np.array([f.mean_err for f in fits]),
        slope=slope, slope_err=slope_err, intercept=intercept, r2=r2, dlnI4=np.array(gs),
        beta=beta, beta_mean=beta.mean(axis=(1, 2)),
    )

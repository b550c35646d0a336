"""The bridge's LPA input (its local IR potential) against the exact Gamma on a finite input set.

docs/action.md section "Bridge LPA vs exact Gamma". The FRG bridge (:mod:`nnqft.bridge`) treats a
cos-net (translation-invariant kernel, bounded activation, so Gamma exists) as a continuum field
theory whose effective (k -> 0) action is local,

    Gamma_IR[phi] = (1/2) phi Delta^-1 phi + int d^d y U(phi(y)),
    U(phi) = u4 phi^4/4! + u6 phi^6/6! (+ u8 phi^8/8!)              (raw couplings),

with u4, u6, u8 the tuple means of lambda, kappa, u8 measured from the exact connected functions
(:func:`nnqft.bridge.ir_data`), Delta = K - sigma_b^2 and the output bias an independent
Gaussian. Its LPA flows start from this U at k -> 0. On a finite input set X (k inputs) the exact
effective action Gamma_X is the Legendre transform of W restricted to sources on X
(:mod:`nnqft.action.multi`). Convex duality relates the two exactly: the Legendre transform of a
restriction is the constrained minimum,

    Gamma_X(f) = min { b^2 / (2 sigma_b^2) + Gamma_IR[phi] : phi(x_i) + b = f_i },

so the bridge's IR potential *predicts* Gamma_X. To second order in U (the minimiser is the
Gaussian-process interpolant phi_0(y) = Delta(y, X) K^-1 f plus a shift of order U):

    Gamma_X(f) = (1/2) f K^-1 f + int U(phi_0) - (1/2) int int U'(phi_0(y)) C(y, z) U'(phi_0(z))
                 + O(U^3),
    C(y, z) = Delta(y, z) - Delta(y, X) K^-1 Delta(X, z)      (the posterior covariance).

With U = O(1/N) the neglected terms are O(1/N^3). At one input this prediction reproduces the
exact vertices Gamma_2, Gamma_4, Gamma_6 identically (the tree-level definitions of lambda and
kappa), so exact - predicted falls like N^-3; on k >= 2 inputs the connected functions are not
exactly local, and exact - predicted = delta_4 phi^4 / N + O(1/N^2) with the non-locality
coefficient delta_4 = -(N/4!) sum (G4_c + u4 I_4)_{ijkl} v_i v_j v_k v_l, v = K^-1 1 (computed
here from the exact G4_c and the closed-form I_4, an independent route).

The integrals over y (d = 1) use the trapezoidal rule on a uniform grid (spectrally accurate
for these Gaussian integrands; tests compare with the closed-form tree integrals).

:func:`zero_mode_check` compares the lattice mode-sum flow's zero-mode theory (total zero-mode
effective action V U(Phi), V = L^d, kinetic Z(0) = A) with the exact effective action of the
input average Phi = (1/k) sum_i f(x_i), the Legendre transform of W(j 1 / k).

References: [ELS] Erbin, Lahoche, Ousmane Samary, arXiv:2108.01403 (the IR set-up and the
finite data sets); Rockafellar, Convex Analysis, Thm 16.3 (Legendre transform of a restriction).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..combinatorics import multiplicities, sorted_tuples
from ..networks import Network, as_inputs
from .multi import MultiInputW, effective_action
from .theory import GammaUndefinedError, check_network

__all__ = ["BridgeCheck", "lpa_vs_exact", "interpolant_integrals", "zero_mode_check",
           "contract_sorted"]


def _check(net: Network, X) -> np.ndarray:
    check_network(net)
    if net.activation == "gauss":
        raise GammaUndefinedError(
            "no comparison for gauss-net: W(J) is infinite for every real J != 0, so the exact "
            "Gamma on a finite input set does not exist")
    if net.activation != "cos":
        raise ValueError(f"the bridge needs a translation-invariant kernel (cos here), not "
                         f"{net.activation!r}")
    if net.d_in != 1:
        raise ValueError(f"the interpolant integrals are implemented for d_in = 1, got "
                         f"{net.d_in}")
    X = as_inputs(X, net.d_in)
    if not 1 <= X.shape[0] <= 4:
        raise ValueError(f"the exact Gamma is computed on 1 to 4 inputs, got {X.shape[0]}")
    return X


def contract_sorted(values: np.ndarray, v: np.ndarray, order: int) -> float:
    """sum over ALL ordered index tuples of T_{i1..in} v_i1 ... v_in for a symmetric T given on
    the sorted tuples (``values``, in :func:`nnqft.combinatorics.sorted_tuples` order)."""
    T = sorted_tuples(v.size, order)
    return float(np.sum(multiplicities(v.size, order) * values * np.prod(v[T], axis=1)))


def _delta(net: Network, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Delta(y, x) = sigma_w^2 exp(-sigma_w^2 (y - x)^2 / 2) (d = 1), shape (len(y), len(x))."""
    sw2 = net.sigma_w**2
    return sw2 * np.exp(-sw2 * (y[:, None] - x[None, :]) ** 2 / 2)


def _grid(net: Network, X: np.ndarray, step: float) -> tuple[np.ndarray, float]:
    ell = 1.0 / net.sigma_w  # correlation length of Delta (d = 1)
    lo, hi = X.min() - 14 * ell, X.max() + 14 * ell  # Delta(14 l) ~ e^-98
    n = int(math.ceil((hi - lo) / (step * ell)))
    y = np.linspace(lo, hi, n + 1)
    return y, float(y[1] - y[0])


def interpolant_integrals(net: Network, X, *, step: float = 0.125) -> dict:
    """The interpolant psi(y) = Delta(y, X) K^-1 1 of a constant unit field and its integrals.

    Returns y, h (grid and spacing), psi, v = K^-1 1, the quadratic coefficient q = 1' K^-1 1,
    the effective volumes V_n = int psi^n dy (n = 2..8), Delta(y, X), K and the grid matrix
    C(y, z) = Delta(y, z) - Delta(y, X) K^-1 Delta(X, z). ``step``: grid spacing in units of the
    correlation length 1 / sigma_w.
    """
    X = _check(net, X)
    x = X[:, 0]
    sb2 = net.sigma_b**2
    K = sb2 + _delta(net, x, x)
    y, h = _grid(net, X, step)
    Dy = _delta(net, y, x)
    v = np.linalg.solve(K, np.ones(x.size))
    psi = Dy @ v
    C = _delta(net, y, y) - Dy @ np.linalg.solve(K, Dy.T)
    vols = {n: float(h * np.sum(psi**n)) for n in range(2, 9)}
    return {"y": y, "h": h, "psi": psi, "v": v, "q": float(v.sum()), "volumes": vols,
            "Delta_yX": Dy, "K": K, "C": C}


@dataclass
class BridgeCheck:
    """Exact Gamma_X(phi 1) against the bridge's local IR potential on k inputs (cos-net).

    Attributes
    ----------
    phi : constant field values (the same value at every input)
    gamma_exact : Gamma_X(phi 1) - Gamma_X(0), damped Newton on the exact W
    gamma_bridge : the prediction to second order in U (module docstring)
    gamma_bridge_first : first order only: (1/2) q phi^2 + int U(phi psi)
    quadratic : (1/2) q phi^2, q = 1' K^-1 1 (exact, shared by all)
    nonlocal4 : delta_4 (the phi^4 / N coefficient of exact - predicted at O(1/N))
    quartic_exact : N Gamma_4[v, v, v, v] / 4! = -(N / 4!) sum G4_c v v v v, the phi^4 / N
        coefficient of the exact Gamma_X(phi 1) at O(1/N); nonlocal4 / quartic_exact is the
        fraction of it that the local potential misses
    volumes : V_n = int psi^n dy, n = 2..8 (the per-volume reading would need them equal)
    couplings : raw u4, u6 (, u8) of the bridge's IR data on the same inputs
    lambda_spread : relative spread of lambda over the sorted 4-tuples (ddof = 0)
    """

    phi: np.ndarray
    inputs: np.ndarray
    width: int
    sigma_w: float
    sigma_b: float
    gamma_exact: np.ndarray
    gamma_bridge: np.ndarray
    gamma_bridge_first: np.ndarray
    quadratic: np.ndarray
    nonlocal4: float
    quartic_exact: float
    volumes: dict
    couplings: dict
    lambda_spread: float
    meta: dict = field(default_factory=dict)

    @property
    def residual(self) -> np.ndarray:
        """gamma_exact - gamma_bridge."""
        return self.gamma_exact - self.gamma_bridge

    def to_dict(self) -> dict:
        return {"phi": self.phi.tolist(), "inputs": self.inputs[:, 0].tolist(),
                "width": self.width, "sigma_w": self.sigma_w, "sigma_b": self.sigma_b,
                "gamma_exact": self.gamma_exact.tolist(),
                "gamma_bridge": self.gamma_bridge.tolist(),
                "gamma_bridge_first": self.gamma_bridge_first.tolist(),
                "quadratic": self.quadratic.tolist(), "nonlocal4": self.nonlocal4,
                "quartic_exact": self.quartic_exact,
                "volumes": {str(k): v for k, v in self.volumes.items()},
                "couplings": self.couplings, "lambda_spread": self.lambda_spread}


def lpa_vs_exact(net: Network, X, phi: Sequence[float], *, order: int = 6,
                 step: float = 0.125) -> BridgeCheck:
    """Compare the exact Gamma_X at a constant field with the bridge's IR potential (cos-net).

    Parameters
    ----------
    net : Network
        cos, one hidden layer, d_in = 1, normal last layer.
    X : array_like
        1 to 4 inputs (the finite input set).
    phi : sequence of float
        Constant field values (phi at every input).
    order : {6, 8}
        Truncation of the bridge's U (u4, u6; 8 adds u8 from the exact G8_c).
    step : float
        y-grid spacing in units of 1 / sigma_w (the default is converged to rounding).
    """
    from ..bridge.ir import ir_data
    from ..eft.integrals import gauss_tree_integral
    from ..exact import exact_correlators

    X = _check(net, X)
    if order not in (6, 8):
        raise ValueError(f"order must be 6 or 8, got {order!r}")
    phi = np.asarray(phi, dtype=float).ravel()
    k = X.shape[0]
    ir = ir_data(net, X, order=order).to_raw()
    u = {4: ir.u4, 6: ir.u6}
    if order == 8:
        u[8] = ir.u8
    geo = interpolant_integrals(net, X, step=step)
    h, psi, C = geo["h"], geo["psi"], geo["C"]
    quad = 0.5 * geo["q"] * phi**2
    P0 = np.multiply.outer(phi, psi)  # phi_0(y) = phi psi(y)
    U = sum(c / math.factorial(n) * P0**n for n, c in u.items())
    dU = sum(c / math.factorial(n - 1) * P0 ** (n - 1) for n, c in u.items())
    first = quad + h * U.sum(axis=1)
    second = -0.5 * h * h * np.einsum("py,yz,pz->p", dU, C, dU)
    exact = effective_action(net, X, np.outer(phi, np.ones(k)))
    # non-locality at O(1/N): exact Gamma_4 - bridge prediction, contracted with v = K^-1 1
    c = exact_correlators(net, X, orders=(2, 4))
    T4 = sorted_tuples(k, 4)
    I4 = gauss_tree_integral(net, X, [T4], [])
    G4 = c.connected(4)
    delta4 = -net.last_width / 24.0 * contract_sorted(G4 + ir.u4 * I4, geo["v"], 4)
    quartic = -net.last_width / 24.0 * contract_sorted(G4, geo["v"], 4)
    lam = -G4 / I4
    spread = float(np.std(lam) / abs(np.mean(lam)))
    return BridgeCheck(phi=phi, inputs=X, width=net.last_width, sigma_w=net.sigma_w,
                       sigma_b=net.sigma_b, gamma_exact=exact, gamma_bridge=first + second,
                       gamma_bridge_first=first, quadratic=quad, nonlocal4=float(delta4),
                       quartic_exact=float(quartic),
                       volumes=geo["volumes"], couplings={f"u{n}": float(c) for n, c in u.items()},
                       lambda_spread=spread, meta={"step": step, "order": order})


def zero_mode_check(net: Network, X, Phi: Sequence[float], *, box: float | None = None) -> dict:
    """The mode-sum flow's zero-mode theory against the exact law of the input average.

    With only the zero mode inside the Litim window (the [ELS] lattice below k = 262), the
    lattice mode-sum flow d_t U = (1/V) k^2 / (k^2 + U'') is the zero-dimensional Wetterich flow
    of the variable Phi with total effective action V U(Phi), V = L^d, regulator V k^2 Phi^2/2;
    its k -> 0 end is the bridge's IR potential, in raw units V [A Phi^2/2 + u4 Phi^4/4! +
    u6 Phi^6/6!] (Z(0) = A; set-up (b) is the same function of the raw field). The network's
    zero mode on the inputs is Phi = mean_i f(x_i), whose exact effective action is
    Gamma_Phi(Phi) = sup_j [j Phi - W(j 1 / k)] (a one-dimensional Legendre transform, well
    conditioned even for nearly coincident inputs).

    ``box``: the side L of the box; by default a0 times the number of distinct inputs (the
    L = 2 a0 n0 of :class:`nnqft.bridge.lattice.Lattice` for its points).

    Returns the exact Gamma_Phi(Phi) - Gamma_Phi(0), the bridge's V U(Phi), the exact
    curvature k^2 / (1' K 1) and the bridge's V A, and V.
    """
    from ..bridge.ir import ir_data
    from ..kernels import kinetic_parameters

    check_network(net)
    if net.activation != "cos":
        raise ValueError("the zero-mode check is for the cos-net (Gamma exists, the kernel is "
                         "translation invariant)")
    X = as_inputs(X, net.d_in)
    k = X.shape[0]
    if box is None:  # lattice inputs (n + 1/2) a0: L = k^(1/d) a0 per axis
        xs = np.unique(X[:, 0])
        a0 = float(np.min(np.diff(xs))) if xs.size > 1 else 0.0
        box = a0 * xs.size
    V = float(box) ** net.d_in
    A = kinetic_parameters(net)["A"]
    ir = ir_data(net, X, order=6).to_raw()
    Phi = np.asarray(Phi, dtype=float).ravel()
    bridge = V * (A * Phi**2 / 2 + ir.u4 * Phi**4 / 24 + ir.u6 * Phi**6 / 720)
    w = MultiInputW(net, X)
    one = np.ones(k) / k
    out = np.empty_like(Phi)
    for i, P in enumerate(Phi):
        j = 0.0
        for _ in range(100):  # Newton on w'(j) = P, w(j) = W(j 1/k) convex
            W, g, H = w.evaluate(j * one)
            step = (g @ one - P) / (one @ H @ one)
            j -= step
            if abs(step) <= 1e-14 * max(1.0, abs(j)):
                break
        else:  # pragma: no cover
            raise RuntimeError("zero-mode Legendre transform did not converge")
        out[i] = j * P - w.evaluate(j * one)[0]
    K = w.evaluate(np.zeros(k))[2]
    return {"Phi": Phi, "gamma_exact": out, "gamma_bridge": bridge,
            "curvature_exact": float(k * k / K.sum()), "curvature_bridge": V * A, "V": V,
            "u4": ir.u4, "u6": ir.u6}

"""Dimensionful LPA flows: the FlowResult type and the polynomial flow driver."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp

__all__ = ["FlowResult", "integrate_polynomial"]


@dataclass
class FlowResult:
    """Result of a dimensionful LPA flow, in either direction in k.

    Attributes
    ----------
    k : (nk,) scales at which the solution is stored, in the order of integration (the last one
        is where the flow stopped: the end of ``k_span``, or k_star).
    names : coupling names; polynomial flows about zero use the [ELS] convention
        U = sum_j u_2j phi^(2j)/(2j)! (names ``u2, u4, ...``); about the minimum
        ``rho0, lambda1, ..., lambdaM`` with lambda_j = U^(j)(rho) at the minimum rho = rho0
        (lambda1 = 0 until rho0 reaches 0, after which the expansion continues about rho = 0); grid flows
        store U'(rho) on ``rho``.
    values : (nk, len(names)) couplings, or (nk, len(rho)) U'(rho) for a grid flow.
    status : ``"completed"`` (reached the end of ``k_span``), ``"diverged"`` (a coupling passed
        the blow-up threshold, a propagator denominator reached zero, or the solver failed),
        ``"convexity"`` (grid flow: the inner potential reached the convexity regime
        Z(k^2) + U' -> 0 and the flow was stopped there).
    k_star : the scale where a ``"diverged"``/``"convexity"`` flow stopped, None otherwise.
        **How to get k*:** ``res.k_star`` (also ``res.diagnostics["reason"]`` says which criterion
        fired: ``"blowup"`` when |coupling| passed ``blowup_threshold`` (default: |u4| > 1e6,
        located by an event to solver accuracy), ``"pole"`` when the smallest relative
        denominator (Z(k^2) + U' + 2 rho U'')/Z(k^2) fell below ``pole_tol``, ``"solver"`` when
        the stiff solver gave up).
    message : one line describing how the flow ended.
    diagnostics : solver statistics and the criteria used.
    rho : (nrho,) grid for grid flows, None otherwise.
    """

    k: np.ndarray
    names: list
    values: np.ndarray
    status: str
    k_star: float | None
    message: str
    method: str
    diagnostics: dict = field(default_factory=dict)
    rho: np.ndarray | None = None
    attrs: dict = field(default_factory=dict)

    @property
    def diverged(self) -> bool:
        return self.status != "completed"

    def coupling(self, name: str) -> np.ndarray:
        """Values of one coupling along the flow."""
        return self.values[:, self.names.index(name)]

    @property
    def final(self) -> dict:
        """Couplings at the last stored scale (name -> value) for polynomial flows."""
        return {n: float(v) for n, v in zip(self.names, self.values[-1], strict=True)}

    def to_dataset(self):
        """xarray Dataset (dims ``k`` and ``coupling`` or ``rho``), NetCDF-ready."""
        import xarray as xr

        attrs = {"status": self.status, "message": self.message, "method": self.method,
                 "k_star": np.nan if self.k_star is None else float(self.k_star)}
        for key, v in {**self.attrs, **self.diagnostics}.items():
            if isinstance(v, (int, float, str, np.integer, np.floating)) and not isinstance(v, bool):
                attrs[key] = v
            elif isinstance(v, bool):
                attrs[key] = int(v)
        if self.rho is None:
            data = {n: ("k", self.values[:, i]) for i, n in enumerate(self.names)}
            return xr.Dataset(data, coords={"k": self.k}, attrs=attrs)
        return xr.Dataset({"dU": (("k", "rho"), self.values)},
                          coords={"k": self.k, "rho": self.rho}, attrs=attrs)


def integrate_polynomial(system, y0, k_span, *, to_output, names, blowup_index,
                         blowup_threshold=1e6, pole_tol=1e-10, rtol=1e-10, atol=1e-12,
                         n_points=400, solver="Radau", switch=None):
    """Integrate a polynomial flow in t = ln k with blow-up and pole events.

    ``switch``: optional (event, new_system, convert) used when the running minimum reaches 0.
    """
    k0, k1 = map(float, k_span)
    if not (k0 > 0 and k1 > 0) or k0 == k1:
        raise ValueError(f"k_span must be two distinct positive scales, got {k_span}")
    t0, t1 = np.log(k0), np.log(k1)
    t_eval_all = np.linspace(t0, t1, n_points)
    ts, ys = [], []
    status, k_star, reason, message = "completed", None, None, "reached the end of k_span"
    diag = {"solver": solver, "rtol": rtol, "atol": atol, "blowup_threshold": blowup_threshold,
            "pole_tol": pole_tol, "nfev": 0, "njev": 0}
    y = np.asarray(y0, dtype=float)
    t_start = t0
    stages = [system]
    while True:
        sysm = stages[-1]

        def blow(t, yy, sysm=sysm):
            out = to_output(yy, sysm)
            idx = range(len(out)) if blowup_index is None else [blowup_index]
            return blowup_threshold - max(abs(out[i]) for i in idx)

        def pole(t, yy, sysm=sysm):
            return sysm.rhs_and_denominator(t, yy)[1] - pole_tol

        events = [blow, pole]
        for e in events:
            e.terminal = True
        if switch is not None and sysm is system:
            sw = switch[0]
            sw.terminal = True
            events.append(sw)
        t_eval = t_eval_all[(t_eval_all - t_start) * np.sign(t1 - t0) > 0]
        with np.errstate(all="ignore"):
            sol = solve_ivp(sysm.rhs, (t_start, t1), y, method=solver, jac=sysm.jac,
                            rtol=rtol, atol=atol, events=events, dense_output=False,
                            t_eval=np.concatenate([[t_start], t_eval]))
        diag["nfev"] += int(sol.nfev)
        diag["njev"] += int(sol.njev)
        ts.append(sol.t)
        with np.errstate(over="ignore"):
            ys.append(np.array([to_output(v, sysm) for v in sol.y.T]).reshape(len(sol.t), -1))
        if sol.status == -1:
            status, reason = "diverged", "solver"
            k_star = float(np.exp(sol.t[-1])) if len(sol.t) else k0
            message = f"the solver failed near k = {k_star:.6g}: {sol.message}"
            break
        if sol.status == 1:
            fired = [i for i, te in enumerate(sol.t_events) if len(te)]
            i = fired[0]
            te, ye = sol.t_events[i][0], sol.y_events[i][0]
            ts.append(np.array([te]))
            ys.append(np.array([to_output(ye, sysm)]))
            if i == 2:  # switch to the expansion about zero
                y = switch[2](ye)
                t_start = te
                stages.append(switch[1])
                diag["switched_to_zero_at_k"] = float(np.exp(te))
                continue
            status = "diverged"
            reason = "blowup" if i == 0 else "pole"
            k_star = float(np.exp(te))
            message = (f"flow diverged at k* = {k_star:.6g}: "
                       + (f"|{names[blowup_index] if blowup_index is not None else 'coupling'}| "
                          f"passed {blowup_threshold:g}" if i == 0 else
                          "a propagator denominator reached zero"))
            break
        break
    t = np.concatenate(ts)
    vals = np.concatenate(ys)
    keep = np.concatenate([[True], np.diff(t) != 0])
    diag["reason"] = reason
    return FlowResult(k=np.exp(t[keep]), names=list(names), values=vals[keep], status=status,
                      k_star=k_star, message=message, method="polynomial", diagnostics=diag)

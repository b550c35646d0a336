"""From a validated configuration to tasks: one network of the grid, its inputs and its plan."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..correlators import check_orders
from ..estimate import SamplingPlan, make_plan
from ..networks import Network
from .config import ConfigError, ExperimentConfig

__all__ = ["Task", "build_tasks", "series_key", "series_label"]


@dataclass(frozen=True)
class Task:
    """One network of the grid.

    Attributes
    ----------
    key : str
        Stable, file-system safe identifier (used for checkpoints and file names).
    network : Network
    inputs : ndarray (n_inputs, d_in)
    plan : SamplingPlan or None
        The Monte Carlo plan (None when ``sampling.n_networks = 0``).
    exact : bool
        Whether exact finite-width correlators are computed too.
    orders : tuple of int
        Correlator orders (every even order up to the largest).
    """

    key: str
    network: Network
    inputs: np.ndarray
    plan: SamplingPlan | None
    exact: bool
    orders: tuple[int, ...] = (2, 4, 6)

    @property
    def label(self) -> str:
        return network_label(self.network)


def network_label(net: Network) -> str:
    return (f"{net.activation} N={net.width} L={net.depth} sigma_w={net.sigma_w:g} "
            f"sigma_b={net.sigma_b:g} {net.weight_law}"
            + (f" outputs={net.d_out}" if net.d_out > 1 else ""))


def series_key(net: Network) -> tuple:
    """Everything but the width (a series of a scan against N)."""
    return (net.activation, net.depth, net.sigma_w, net.sigma_b, net.weight_law)


def series_label(key: tuple, all_keys: list[tuple]) -> str:
    """Short label: the activation, plus the parameters that vary within the grid."""
    parts = [key[0]]
    names = ("L", "sigma_w", "sigma_b", "law")
    same_act = [k for k in all_keys if k[0] == key[0]]
    for i, name in enumerate(names, start=1):
        if len({k[i] for k in same_act}) > 1:
            v = key[i]
            parts.append(f"{name}={v:g}" if isinstance(v, float) else f"{name}={v}")
    return " ".join(parts)


def _key(i: int, net: Network) -> str:
    return (f"{i:03d}-{net.activation}-N{net.width}-L{net.depth}-sw{net.sigma_w:g}"
            f"-sb{net.sigma_b:g}-{net.weight_law}"
            + (f"-n{net.d_out}" if net.d_out > 1 else "")).replace("+", "")


def build_tasks(cfg: ExperimentConfig) -> list[Task]:
    """Expand the grid into tasks and validate every plan (raises ConfigError).

    Nothing is written: this runs before a results directory is created, so that an invalid
    configuration leaves no trace.
    """
    s = cfg.sampling
    tasks = []
    for i, (net, X) in enumerate(cfg.networks_list()):
        plan = None
        if s.n_networks:
            est = None if s.estimator == "auto" else s.estimator
            try:
                plan = make_plan(net, X, tuple(s.orders), s.n_networks, cfg.seed, est,
                                 s.block_size, s.backend, s.dtype)
            except ValueError as exc:
                raise ConfigError(f"config: sampling: {exc} ({network_label(net)})") from None
        orders = check_orders(s.orders)
        tasks.append(Task(_key(i, net), net, X, plan, bool(s.exact), orders))
    return tasks

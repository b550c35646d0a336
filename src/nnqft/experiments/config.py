"""Experiment configurations: TOML files validated with pydantic.

A configuration names a grid of networks, their inputs, what to sample and which analyses to run
on the results. Every key is checked: unknown keys, wrong types and out-of-range values are
rejected with a one-line message naming the key and the problem (:class:`ConfigError`, a
``ValueError``, so that the CLI reports it with exit status 2).

Example (``examples/quickstart.toml``)::

    name = "quickstart"
    seed = 0

    [networks]
    activation = ["erf", "relu"]
    width = [5, 20, 100]

    inputs = "hms"            # the [HMS] d = 1 input sets per activation (docs/theory.md#reference-setups)

    [sampling]
    orders = [2, 4, 6]
    n_networks = 20000

    [analyses.free_theory]

    [executor]
    workers = 1

Keys
----
``name`` (str, letters, digits, ``-_.``), ``description`` (str), ``seed`` (int >= 0).

``[networks]`` (each value a scalar or a list; the grid is their Cartesian product):
``activation`` (erf, relu, tanh, gauss, cos), ``width`` (1..10^6), ``depth`` (1..16),
``sigma_w`` (> 0, finite), ``sigma_b`` (>= 0, finite; default 1, or 0 for relu),
``weight_law`` (normal, uniform), ``outputs`` (1..64: n-output networks, O(n) fields with
correlators over (input, output) pairs, docs/vector.md; default 1; with n > 1 the analyses
tables are not available: use ``nnqft couplings --outputs`` / ``nnqft bridge --outputs``).

``inputs``: a list of numbers (d_in = 1), a list of equal-length lists (d_in > 1), the string
``"hms"`` (the [HMS] d = 1 sets), or a table ``{activation = list}`` giving each activation its
own inputs (every activation of the grid must appear).

``[sampling]``: ``orders`` (even, 2..8), ``n_networks`` (2..10^9; 0 for exact correlators only),
``estimator`` (auto, conditional, raw), ``block_size`` (>= 1; default from n_networks),
``exact`` (bool: also compute exact finite-width correlators where they exist).

``[analyses]``: optional tables ``free_theory`` (m_n and connected 6-point against width),
``couplings`` (``cutoffs``: positive numbers or "inf"; quartic couplings and their running),
``bridge`` (FRG set-up from the correlators, translation-invariant networks).

``[executor]``: ``workers`` (1..1024 local processes), ``scheduler`` (a Dask scheduler
address, e.g. "tcp://host:8786"), ``chunk_blocks`` (blocks per task and per checkpoint),
``retries`` (0..100).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ..networks import ACTIVATIONS, ONE_LAYER_ACTIVATIONS, WEIGHT_LAWS, Network

__all__ = [
    "ConfigError",
    "ExperimentConfig",
    "NetworkGrid",
    "Sampling",
    "Analyses",
    "ExecutorConfig",
    "HMS_INPUTS",
    "load_config",
    "parse_config",
]

#: [HMS] d = 1 input sets (docs/theory.md#reference-setups); tanh and cos borrow erf's and gauss's.
HMS_INPUTS: dict[str, list[float]] = {
    "erf": [0.002, 0.004, 0.006, 0.008, 0.010, 0.012],
    "relu": [0.2, 0.4, 0.6, 0.8, 1.0, 1.2],
    "gauss": [-0.01, -0.006, -0.002, 0.002, 0.006, 0.01],
    "tanh": [0.002, 0.004, 0.006, 0.008, 0.010, 0.012],
    "cos": [-0.01, -0.006, -0.002, 0.002, 0.006, 0.01],
}

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ConfigError(ValueError):
    """An invalid configuration (reported as one line, exit status 2)."""


def _as_list(v: Any) -> Any:
    return list(v) if isinstance(v, (list, tuple)) else [v]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Activation = Literal["erf", "relu", "tanh", "gauss", "cos"]
WeightLaw = Literal["normal", "uniform"]
assert set(ACTIVATIONS) == {"erf", "relu", "tanh", "gauss", "cos"}
assert set(WEIGHT_LAWS) == {"normal", "uniform"}


class NetworkGrid(_Model):
    """A grid of networks: the Cartesian product of the listed values."""

    activation: list[Activation] = Field(min_length=1, max_length=16)
    width: list[int] = Field(min_length=1, max_length=256)
    depth: list[int] = Field(default=[1], min_length=1, max_length=16)
    sigma_w: list[float] = Field(default=[1.0], min_length=1, max_length=256)
    sigma_b: list[float] | None = Field(default=None, min_length=1, max_length=256)
    weight_law: list[WeightLaw] = Field(default=["normal"], min_length=1, max_length=2)
    outputs: list[int] | None = Field(default=None, min_length=1, max_length=16)

    @field_validator("activation", "width", "depth", "sigma_w", "sigma_b", "weight_law",
                     "outputs", mode="before")
    @classmethod
    def _listify(cls, v):
        return v if v is None else _as_list(v)

    @field_validator("width")
    @classmethod
    def _width(cls, v):
        for w in v:
            if not 1 <= w <= 10**6:
                raise ValueError(f"must be between 1 and 1000000, got {w}")
        return v

    @field_validator("outputs")
    @classmethod
    def _outputs(cls, v):
        for n in v or ():
            if not 1 <= n <= 64:
                raise ValueError(f"must be between 1 and 64, got {n}")
        return v

    @field_validator("depth")
    @classmethod
    def _depth(cls, v):
        for d in v:
            if not 1 <= d <= 16:
                raise ValueError(f"must be between 1 and 16, got {d}")
        return v

    @field_validator("sigma_w")
    @classmethod
    def _sigma_w(cls, v):
        for s in v:
            if not math.isfinite(s) or not 0 < s <= 1e3:
                raise ValueError(f"must be a finite number in (0, 1000], got {s}")
        return v

    @field_validator("sigma_b")
    @classmethod
    def _sigma_b(cls, v):
        for s in v or ():
            if not math.isfinite(s) or not 0 <= s <= 1e3:
                raise ValueError(f"must be a finite number in [0, 1000], got {s}")
        return v

    @model_validator(mode="after")
    def _one_layer(self):
        for act in self.activation:
            if act in ONE_LAYER_ACTIVATIONS and any(d != 1 for d in self.depth):
                raise ValueError(f"depth: {act}-net is defined with one hidden layer only")
        return self


class Sampling(_Model):
    """What to compute for every network of the grid."""

    orders: list[int] = Field(default=[2, 4, 6], min_length=1, max_length=4)
    n_networks: int = 20_000
    estimator: Literal["auto", "conditional", "raw"] = "auto"
    block_size: int | None = None
    exact: bool = True
    #: Monte Carlo backend and precision (docs/backends.md); float32 needs backend = "jax".
    backend: Literal["numpy", "jax"] = "numpy"
    dtype: Literal["float64", "float32"] = "float64"

    @field_validator("orders", mode="before")
    @classmethod
    def _listify(cls, v):
        return _as_list(v)

    @field_validator("orders")
    @classmethod
    def _orders(cls, v):
        for o in v:
            if o < 2 or o > 8 or o % 2:
                raise ValueError(f"must be even integers between 2 and 8, got {o}")
        return sorted(set(v))

    @field_validator("n_networks")
    @classmethod
    def _n(cls, v):
        if v != 0 and not 2 <= v <= 10**9:
            raise ValueError(f"must be 0 (exact only) or between 2 and 1000000000, got {v}")
        return v

    @field_validator("block_size")
    @classmethod
    def _bs(cls, v):
        if v is not None and not 1 <= v <= 10**6:
            raise ValueError(f"must be between 1 and 1000000, got {v}")
        return v


class FreeTheory(_Model):
    """m_n = <|G_n - G_GP| / G_GP> and the connected 6-point function against width."""


class Couplings(_Model):
    """Quartic couplings per tuple and their running with the cutoff."""

    cutoffs: list[float | str] = Field(default=["inf"], min_length=1, max_length=64)

    @field_validator("cutoffs", mode="before")
    @classmethod
    def _listify(cls, v):
        return _as_list(v)

    @field_validator("cutoffs")
    @classmethod
    def _cutoffs(cls, v):
        out = []
        for c in v:
            if isinstance(c, str):
                if c != "inf":
                    raise ValueError(f"must be positive numbers or \"inf\", got {c!r}")
                out.append(math.inf)
            elif isinstance(c, bool) or not (c > 0) or math.isnan(c):
                raise ValueError(f"must be positive numbers or \"inf\", got {c!r}")
            else:
                out.append(float(c))
        return out


class Bridge(_Model):
    """The FRG set-up (kinetic term, u_2, u_4, u_6) from the correlators ([ELS])."""


class Analyses(_Model):
    free_theory: FreeTheory | None = None
    couplings: Couplings | None = None
    bridge: Bridge | None = None

    def enabled(self) -> list[str]:
        return [k for k in ("free_theory", "couplings", "bridge") if getattr(self, k) is not None]


class ExecutorConfig(_Model):
    workers: int = 1
    scheduler: str | None = None
    chunk_blocks: int = 8
    retries: int = 3

    @field_validator("workers")
    @classmethod
    def _workers(cls, v):
        if not 1 <= v <= 1024:
            raise ValueError(f"must be between 1 and 1024, got {v}")
        return v

    @field_validator("chunk_blocks")
    @classmethod
    def _cb(cls, v):
        if not 1 <= v <= 10**6:
            raise ValueError(f"must be between 1 and 1000000, got {v}")
        return v

    @field_validator("retries")
    @classmethod
    def _retries(cls, v):
        if not 0 <= v <= 100:
            raise ValueError(f"must be between 0 and 100, got {v}")
        return v

    @field_validator("scheduler")
    @classmethod
    def _scheduler(cls, v):
        if v is not None and not re.match(r"^[a-z]+://\S+$|^[\w.-]+:\d+$", v):
            raise ValueError(f"must be a scheduler address such as tcp://host:8786, got {v!r}")
        return v

    @model_validator(mode="after")
    def _exclusive(self):
        if self.scheduler is not None and self.workers != 1:
            raise ValueError("workers: give either workers or scheduler, not both")
        return self


class ExperimentConfig(_Model):
    """A validated experiment (see the module docstring for the keys)."""

    name: str
    description: str = ""
    seed: int = 0
    networks: NetworkGrid
    inputs: dict[str, list[list[float]]]
    sampling: Sampling = Sampling()
    analyses: Analyses = Analyses()
    executor: ExecutorConfig = ExecutorConfig()

    @field_validator("name")
    @classmethod
    def _name(cls, v):
        if not _NAME_RE.match(v):
            raise ValueError(f"must be 1-64 letters, digits, '-', '_' or '.', got {v!r}")
        return v

    @field_validator("seed")
    @classmethod
    def _seed(cls, v):
        if not 0 <= v < 2**63:
            raise ValueError(f"must be a non-negative integer, got {v}")
        return v

    @field_validator("inputs", mode="before")
    @classmethod
    def _inputs(cls, v):
        if isinstance(v, str):
            if v != "hms":
                raise ValueError(f"must be a list, a table or \"hms\", got {v!r}")
            return {a: [[x] for x in xs] for a, xs in HMS_INPUTS.items()}
        if isinstance(v, list):
            return {"*": _input_rows(v, "")}
        if isinstance(v, dict):
            out = {}
            for k, val in v.items():
                if k not in ACTIVATIONS:
                    raise ValueError(f"{k}: unknown activation (choose {', '.join(ACTIVATIONS)})")
                if not isinstance(val, list):
                    raise ValueError(f"{k}: must be a list of inputs")
                out[k] = _input_rows(val, f"{k}: ")
            if not out:
                raise ValueError("must not be empty")
            return out
        raise ValueError(f"must be a list, a table or \"hms\", got {type(v).__name__}")

    @model_validator(mode="after")
    def _consistency(self):
        for act in self.networks.activation:
            if "*" not in self.inputs and act not in self.inputs:
                raise ValueError(f"inputs: no inputs given for activation {act!r}")
        s = self.sampling
        if any(n > 1 for n in self.networks.outputs or ()) and self.analyses.enabled():
            raise ValueError(f"analyses: {', '.join(self.analyses.enabled())} need one output; "
                             "with networks.outputs > 1 use nnqft couplings --outputs or nnqft "
                             "bridge --outputs (docs/vector.md)")
        if s.n_networks == 0 and not s.exact:
            raise ValueError("sampling.n_networks: 0 (no Monte Carlo) needs sampling.exact = true")
        if s.n_networks == 0 and s.block_size is not None:
            raise ValueError("sampling.block_size: given but n_networks = 0")
        if s.exact and any(d != 1 for d in self.networks.depth):
            raise ValueError("sampling.exact: exact correlators exist for one hidden layer only "
                             "(set exact = false or depth = 1)")
        if s.exact:
            for act in self.networks.activation:
                d_in = self.inputs_for(act).shape[1]
                if d_in > 3 and act != "gauss":
                    raise ValueError(f"sampling.exact: exact {act}-net correlators are "
                                     f"implemented for d_in <= 3, got {d_in}")
            if max(s.orders) > 6 and "uniform" in self.networks.weight_law:
                raise ValueError("sampling.exact: exact correlators for weight_law = "
                                 "\"uniform\" go up to order 6")
        wl = self.networks.weight_law
        if s.estimator == "conditional" and any(w != "normal" for w in wl):
            raise ValueError("sampling.estimator: the conditional estimator needs weight_law "
                             "= \"normal\" (use \"raw\" or \"auto\")")
        a = self.analyses
        if a.free_theory is not None and max(s.orders) < 6:
            raise ValueError("analyses.free_theory: needs sampling.orders up to 6")
        if a.couplings is not None:
            if max(s.orders) < 4:
                raise ValueError("analyses.couplings: needs sampling.orders up to at least 4")
            finite_only = [act for act in self.networks.activation if act not in ("gauss", "cos")]
            if finite_only and any(math.isinf(c) for c in a.couplings.cutoffs):
                raise ValueError(f"analyses.couplings.cutoffs: {finite_only[0]}-net needs finite "
                                 "cutoffs (I_4 diverges at infinite cutoff)")
        if a.bridge is not None:
            if max(s.orders) < 6:
                raise ValueError("analyses.bridge: needs sampling.orders up to 6")
            other = [act for act in self.networks.activation if act not in ("gauss", "cos")]
            if other:
                raise ValueError(f"analyses.bridge: needs translation-invariant networks "
                                 f"(gauss or cos), got {other[0]}")
        if s.n_networks:
            # sizes: refuse grids that cannot be run in any reasonable time or memory
            n_cfg = len(self.grid_points())
            if n_cfg > 4096:
                raise ValueError(f"networks: the grid has {n_cfg} networks (at most 4096)")
        return self

    # ------------------------------------------------------------------ helpers
    def inputs_for(self, activation: str) -> np.ndarray:
        rows = self.inputs.get(activation, self.inputs.get("*"))
        return np.asarray(rows, dtype=np.float64)

    def grid_points(self) -> list[dict]:
        """The networks of the grid as keyword dicts for :class:`nnqft.Network`."""
        g = self.networks
        sigma_b = g.sigma_b if g.sigma_b is not None else [None]
        pts = []
        for act, width, depth, sw, sb, wl, n_out in itertools.product(
            g.activation, g.width, g.depth, g.sigma_w, sigma_b, g.weight_law, g.outputs or [1]
        ):
            pts.append(dict(activation=act, width=width, depth=depth, sigma_w=sw,
                            sigma_b=sb, weight_law=wl))
            if n_out != 1:
                pts[-1]["outputs"] = n_out
        return pts

    def networks_list(self) -> list[tuple[Network, np.ndarray]]:
        """(Network, inputs) for every grid point (raises ConfigError on invalid ones)."""
        out = []
        for p in self.grid_points():
            X = self.inputs_for(p["activation"])
            try:
                out.append((Network(d_in=X.shape[1], **p), X))
            except ValueError as exc:
                raise ConfigError(f"config: networks: {exc}") from None
        return out

    def canonical(self) -> dict:
        """Plain-JSON canonical form (what the results directory records as run)."""
        out = json.loads(self.model_dump_json())
        if out["networks"].get("outputs") is None:  # one output: the form before outputs existed
            out["networks"].pop("outputs", None)
        return out

    def content_hash(self) -> str:
        blob = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


def _input_rows(v: list, prefix: str) -> list[list[float]]:
    if not v:
        raise ValueError(f"{prefix}must not be empty")
    if len(v) > 64:
        raise ValueError(f"{prefix}at most 64 inputs, got {len(v)}")
    rows = []
    for i, x in enumerate(v):
        row = x if isinstance(x, list) else [x]
        if not row:
            raise ValueError(f"{prefix}input {i} is empty")
        for c in row:
            if isinstance(c, bool) or not isinstance(c, (int, float)):
                raise ValueError(f"{prefix}input {i} must be numbers, got {c!r}")
            if not math.isfinite(c):
                raise ValueError(f"{prefix}input {i} must be finite, got {c!r}")
            if abs(c) > 1e6:
                raise ValueError(f"{prefix}input {i} must be at most 1e6 in size, got {c!r}")
        rows.append([float(c) for c in row])
    dims = {len(r) for r in rows}
    if len(dims) != 1:
        raise ValueError(f"{prefix}all inputs must have the same dimension, got {sorted(dims)}")
    if isinstance(v[0], list) != isinstance(v[-1], list) or (
        len({isinstance(x, list) for x in v}) != 1
    ):
        raise ValueError(f"{prefix}mix of numbers and lists")
    if next(iter(dims)) > 16:
        raise ValueError(f"{prefix}input dimension at most 16, got {next(iter(dims))}")
    return rows


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _format_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    loc = _loc(err["loc"])
    typ = err["type"]
    if typ == "extra_forbidden":
        msg = "unknown key"
    elif typ == "missing":
        msg = "required key is missing"
    else:
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if typ not in ("value_error", "assertion_error") and "input" in err:
            got = err["input"]
            text = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
            if len(text) > 40:
                text = text[:37] + "..."
            msg = f"{msg[0].lower()}{msg[1:]} (got {text})"
    # a model-level message may already name its key ("depth: ...")
    m = re.match(r"^([A-Za-z_][\w.]*): (.*)$", msg)
    if m:
        loc = f"{loc}.{m.group(1)}" if loc else m.group(1)
        msg = m.group(2)
    where = f"{loc}: " if loc else ""
    n = len(exc.errors())
    more = f" (and {n - 1} more problem{'s' if n > 2 else ''})" if n > 1 else ""
    return f"config: {where}{msg}{more}".replace("\n", " ")


def parse_config(data: dict, source: str = "config") -> ExperimentConfig:
    """Validate a configuration given as a dict (e.g. parsed TOML)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must be a table")
    try:
        cfg = ExperimentConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc)) from None
    cfg.networks_list()  # network-level checks (Network validation)
    return cfg


def load_config(path: str | Path) -> tuple[ExperimentConfig, str]:
    """Read and validate a TOML configuration; returns (config, the TOML text as read).

    Raises
    ------
    ConfigError
        One line naming the key and the problem (also for unreadable files and bad TOML).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config {p}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {p.name}: invalid TOML: {str(exc).splitlines()[0]}") from None
    return parse_config(data), text

"""Helpers for the experiments tests: TOML writing, running the CLI, comparing results."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def to_toml(data: dict) -> str:
    """A small TOML writer (scalars and lists at top level, one level of sub-tables)."""
    lines, tables = [], []
    for k, v in data.items():
        if isinstance(v, dict) and all(not isinstance(x, dict) or k == "analyses"
                                       for x in v.values()):
            tables.append((k, v))
        else:
            lines.append(f"{json.dumps(k)} = {_toml_value(v)}")
    for k, v in tables:
        sub = [(kk, vv) for kk, vv in v.items() if isinstance(vv, dict)]
        lines.append(f"\n[{json.dumps(k)}]")
        for kk, vv in v.items():
            if not isinstance(vv, dict):
                lines.append(f"{json.dumps(kk)} = {_toml_value(vv)}")
        for kk, vv in sub:
            lines.append(f"\n[{json.dumps(k)}.{json.dumps(kk)}]")
            for k3, v3 in vv.items():
                lines.append(f"{json.dumps(k3)} = {_toml_value(v3)}")
    return "\n".join(lines) + "\n"


def small_config(**over) -> dict:
    """A small valid config (two erf networks, 4000 networks each, 64 blocks, chunks of 2).

    Keyword tables are merged into the defaults, except ``analyses``, which replaces them.
    """
    cfg = {
        "name": "small",
        "seed": 7,
        "inputs": [0.2, 0.5, 0.9],
        "networks": {"activation": "erf", "width": [5, 50]},
        "sampling": {"orders": [2, 4, 6], "n_networks": 4000, "exact": True},
        "analyses": {"free_theory": {}},
        "executor": {"workers": 1, "chunk_blocks": 2},
    }
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(cfg.get(k), dict) and k != "analyses":
            cfg[k] = {**cfg[k], **v}
        else:
            cfg[k] = v
    return cfg


def write_config(path: Path, data: dict) -> Path:
    path.write_text(to_toml(data))
    return path


def cli_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "nnqft.cli", *map(str, args)]


def run_cli(*args, timeout=300, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("NNQFT_DEBUG", None)
    return subprocess.run(cli_cmd(*args), capture_output=True, text=True, timeout=timeout,
                          cwd=cwd or REPO, env=env)


def load_arrays(directory: Path) -> dict[str, dict]:
    """Every variable and coordinate of every NetCDF file under ``directory/data``."""
    import xarray as xr

    out = {}
    for p in sorted((directory / "data").rglob("*.nc")):
        with xr.open_dataset(p, engine="h5netcdf") as ds:
            ds.load()
            arrays = {k: np.asarray(v.values) for k, v in ds.variables.items()}
            out[str(p.relative_to(directory))] = {"arrays": arrays, "attrs": dict(ds.attrs)}
    return out


def assert_identical(a: dict, b: dict) -> None:
    """Bit-for-bit equality of all arrays and all global attributes."""
    assert sorted(a) == sorted(b), (sorted(a), sorted(b))
    for f in a:
        A, B = a[f]["arrays"], b[f]["arrays"]
        assert sorted(A) == sorted(B), f
        for k in A:
            x, y = A[k], B[k]
            assert x.dtype == y.dtype and x.shape == y.shape, (f, k)
            if x.dtype.kind == "f":
                assert np.array_equal(x.view(np.uint8), y.view(np.uint8)), (f, k)
            else:
                assert np.array_equal(x, y), (f, k)
        assert a[f]["attrs"] == b[f]["attrs"], f

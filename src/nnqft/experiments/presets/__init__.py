"""Built-in experiment configurations (TOML files shipped with the package)."""

from __future__ import annotations

import tomllib
from importlib import resources

from ..config import ExperimentConfig, parse_config

__all__ = ["PRESETS", "load_preset"]

PRESETS = ("free_theory",)
#: Networks per configuration in the quick variant (``nnqft reproduce all --quick``).
QUICK_NETWORKS = 20_000


def load_preset(name: str, quick: bool = False) -> tuple[ExperimentConfig, str]:
    """A preset configuration and its TOML text; ``quick`` lowers the number of networks."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    text = resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    if quick:
        data["sampling"]["n_networks"] = QUICK_NETWORKS
        text += f"\n# quick variant: sampling.n_networks = {QUICK_NETWORKS}\n"
        data["name"] = f"{data['name']}_quick"
    return parse_config(data), text

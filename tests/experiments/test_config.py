"""Configuration validation: invalid configs give exit status 2, one line, no directory."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli_helpers import run_cli_redirected
from nnqft.experiments.config import ConfigError, load_config, parse_config

from .helpers import REPO, run_cli, small_config, to_toml, write_config


def _set(path, value):
    def mutate(cfg):
        d = cfg
        for k in path[:-1]:
            d = d.setdefault(k, {})
        d[path[-1]] = value
    return mutate


def _drop(path):
    def mutate(cfg):
        d = cfg
        for k in path[:-1]:
            d = d[k]
        del d[path[-1]]
    return mutate


_sections = st.sampled_from(["", "networks", "sampling", "executor", "analyses"])
_key = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=3, max_size=10).filter(
    lambda k: k not in {"name", "seed", "inputs", "description", "networks", "sampling",
                        "analyses", "executor"})
_bad_number = st.one_of(st.just(math.nan), st.just(math.inf), st.just(-math.inf))


@st.composite
def invalid_mutation(draw):
    kind = draw(st.sampled_from([
        "unknown_key", "neg_width", "zero_width", "float_width", "str_width", "activation",
        "odd_order", "big_order", "nan_input", "inf_input", "empty_inputs", "sigma_w",
        "sigma_b", "weight_law", "depth", "gauss_depth", "n_networks", "estimator",
        "workers", "chunk_blocks", "seed", "name", "missing_networks", "ragged_inputs",
        "cutoff", "bool_width", "unknown_analysis", "str_seed",
    ]))
    if kind == "unknown_key":
        section, key = draw(_sections), draw(_key)
        return kind, (_set([section, key], 1) if section else _set([key], 1))
    table = {
        "neg_width": _set(["networks", "width"], [5, -draw(st.integers(1, 10**6))]),
        "zero_width": _set(["networks", "width"], 0),
        "float_width": _set(["networks", "width"], draw(st.floats(1.5, 100.5).filter(
            lambda x: x != int(x)))),
        "str_width": _set(["networks", "width"], "five"),
        "bool_width": _set(["networks", "width"], True),
        "activation": _set(["networks", "activation"],
                           draw(st.sampled_from(["sigmoid", "ERF ", "softplus", ""]))),
        "odd_order": _set(["sampling", "orders"], [2, draw(st.sampled_from([1, 3, 5, 7]))]),
        "big_order": _set(["sampling", "orders"], [draw(st.integers(10, 1000)) * 2]),
        "nan_input": _set(["inputs"], [0.1, draw(_bad_number), 0.3]),
        "inf_input": _set(["inputs"], [[0.1], [draw(_bad_number)]]),
        "empty_inputs": _set(["inputs"], []),
        "ragged_inputs": _set(["inputs"], [[0.1, 0.2], [0.3]]),
        "sigma_w": _set(["networks", "sigma_w"],
                        draw(st.one_of(_bad_number, st.floats(-100, 0)))),
        "sigma_b": _set(["networks", "sigma_b"],
                        draw(st.one_of(_bad_number, st.floats(-100, -1e-9)))),
        "weight_law": _set(["networks", "weight_law"], "cauchy"),
        "depth": _set(["networks", "depth"], draw(st.integers(-5, 0))),
        "gauss_depth": _set(["networks"], {"activation": "gauss", "width": 10, "depth": 2}),
        "n_networks": _set(["sampling", "n_networks"], draw(st.sampled_from([1, -3, 10**12]))),
        "estimator": _set(["sampling", "estimator"], "magic"),
        "workers": _set(["executor", "workers"], draw(st.integers(-3, 0))),
        "chunk_blocks": _set(["executor", "chunk_blocks"], 0),
        "seed": _set(["seed"], -draw(st.integers(1, 100))),
        "str_seed": _set(["seed"], "0"),
        "name": _set(["name"], draw(st.sampled_from(["", "a b", "../x", "x/y"]))),
        "missing_networks": _drop(["networks"]),
        "cutoff": _set(["analyses", "couplings"], {"cutoffs": [draw(st.floats(-10, 0))]}),
        "unknown_analysis": _set(["analyses", "fancy"], {}),
    }
    return kind, table[kind]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=invalid_mutation())
def test_invalid_configs_exit_2_one_line_no_directory(tmp_path_factory, mutation):
    kind, mutate = mutation
    cfg = small_config()
    mutate(cfg)
    d = tmp_path_factory.mktemp("cfg")
    path = write_config(d / "bad.toml", cfg)
    out = d / "out"
    code, stdout, stderr = run_cli_redirected(["run", str(path), "--out", str(out), "--quiet"])
    assert code == 2, (kind, stderr)
    lines = stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("nnqft: error: config"), (kind, stderr)
    assert stdout == ""
    assert not out.exists()


def test_invalid_config_subprocess(tmp_path):
    cfg = small_config(networks={"activation": "erf", "width": [5, -3]})
    path = write_config(tmp_path / "bad.toml", cfg)
    r = run_cli("run", path, "--out", tmp_path / "out")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "networks.width" in r.stderr, r.stderr
    assert r.stdout == ""
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text, needle", [
    ("name = 'x'\n[networks\n", "invalid TOML"),
    ("name = 'x'\ninputs = [0.1]\n[networks]\nactivation = 'erf'\nwidth = 5\nwdth = 3\n",
     "networks.wdth: unknown key"),
    ("name = 'x'\ninputs = [0.1, nan]\n[networks]\nactivation = 'erf'\nwidth = 5\n",
     "inputs: input 1 must be finite"),
])
def test_messages_name_the_key(tmp_path, text, needle):
    p = tmp_path / "c.toml"
    p.write_text(text)
    code, _, err = run_cli_redirected(["run", str(p), "--out", str(tmp_path / "o")])
    assert code == 2 and needle in err and err.count("\n") == 1, err
    assert not (tmp_path / "o").exists()


def test_missing_config_file(tmp_path):
    code, _, err = run_cli_redirected(["run", str(tmp_path / "nope.toml"), "--out",
                                      str(tmp_path / "o")])
    assert code == 2 and "not found" in err and err.count("\n") == 1


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "examples").glob("*.toml")))
def test_examples_are_valid(name):
    cfg, text = load_config(REPO / "examples" / name)
    assert cfg.name and text


def test_grid_and_defaults():
    cfg = parse_config(small_config(networks={"activation": ["erf", "relu"], "width": [2, 3],
                                              "sigma_w": [1.0, 2]}))
    nets = cfg.networks_list()
    assert len(nets) == 8
    assert {n.sigma_b for n, _ in nets if n.activation == "relu"} == {0.0}
    assert {n.sigma_b for n, _ in nets if n.activation == "erf"} == {1.0}


def test_hms_inputs_per_activation():
    cfg = parse_config(small_config(inputs="hms", networks={"activation": ["relu", "gauss"],
                                                            "width": 10}))
    X = dict((n.activation, x) for n, x in cfg.networks_list())
    assert X["relu"][:, 0].tolist() == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.2])
    assert X["gauss"].shape == (6, 1)


def test_inf_cutoff_needs_translation_invariant():
    with pytest.raises(ConfigError, match="finite"):
        parse_config(small_config(analyses={"couplings": {"cutoffs": ["inf"]}}))


def test_roundtrip_toml_writer():
    import tomllib

    cfg = small_config()
    assert tomllib.loads(to_toml(copy.deepcopy(cfg))) == cfg


def test_config_path_default_out(tmp_path):
    # the default results directory is results/<name> relative to the working directory
    cfg = small_config(sampling={"n_networks": 0, "exact": True})
    p = write_config(tmp_path / "c.toml", cfg)
    r = run_cli("run", p, "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip().splitlines()[-1]) == Path("results/small/report.md")
    assert (tmp_path / "results" / "small" / "report.md").exists()

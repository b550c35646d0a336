"""``networks.outputs`` in experiment configs (docs/vector.md)."""

import numpy as np
import pytest
import xarray as xr

import nnqft as nq
from nnqft.correlators import Correlators
from nnqft.experiments.config import ConfigError, parse_config
from nnqft.vector import VectorCorrelators

BASE = {"name": "v", "inputs": [0.3, 0.8], "networks": {"activation": "erf", "width": 5},
        "sampling": {"orders": [2, 4], "n_networks": 200}}


def _cfg(**net):
    d = {**BASE, "networks": {**BASE["networks"], **net}}
    return parse_config(d)


def test_without_outputs_canonical_form_unchanged():
    c = _cfg()
    assert "outputs" not in c.canonical()["networks"]
    assert [n.d_out for n, _ in c.networks_list()] == [1]


def test_outputs_grid():
    c = _cfg(outputs=[1, 3])
    nets = [n for n, _ in c.networks_list()]
    assert [n.d_out for n in nets] == [1, 3]
    assert c.canonical()["networks"]["outputs"] == [1, 3]
    assert _cfg(outputs=2).networks.outputs == [2]


@pytest.mark.parametrize("bad", [0, -1, 65])
def test_bad_outputs(bad):
    with pytest.raises((ConfigError, ValueError), match="outputs"):
        _cfg(outputs=bad)


def test_analyses_refused_with_several_outputs():
    d = {**BASE, "networks": {**BASE["networks"], "outputs": 2},
         "analyses": {"couplings": {"cutoffs": [5.0]}}}
    with pytest.raises((ConfigError, ValueError), match="one output"):
        parse_config(d)


def test_vector_dataset_read_back_by_the_base_class(tmp_path):
    net = nq.Network("erf", width=3, outputs=2)
    c = nq.exact_correlators(net, [0.3, 0.8], orders=(2, 4))
    path = tmp_path / "c.nc"
    c.to_dataset().to_netcdf(path)
    with xr.open_dataset(path) as ds:
        back = Correlators.from_dataset(ds)
    assert isinstance(back, VectorCorrelators)
    assert np.array_equal(back.connected(4), c.connected(4))

"""Scale-out: local worker processes and a Dask cluster give bit-identical results; a worker
that dies costs a retry, not the run."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from nnqft.experiments.config import parse_config
from nnqft.experiments.parallel import ProcessExecutor
from nnqft.experiments.runner import run_experiment

from .helpers import assert_identical, load_arrays, run_cli, small_config, to_toml, write_config


class DieOnce:
    """Block function whose worker process dies (os._exit) the first time it sees block 5."""

    def __init__(self, marker: str):
        self.marker = marker

    def __call__(self, b: int) -> int:
        if b == 5 and not Path(self.marker).exists():
            Path(self.marker).write_text("died")
            os._exit(1)
        return b * b


def test_process_executor_survives_a_dead_worker(tmp_path):
    with ProcessExecutor(2, chunk_blocks=2, retries=2) as ex:
        seen = []
        res = ex.map_blocks(DieOnce(str(tmp_path / "marker")), range(12),
                            on_chunk=lambda r: seen.extend(b for b, _ in r))
    assert (tmp_path / "marker").exists()
    assert res == {b: b * b for b in range(12)}
    assert sorted(seen) == list(range(12))


def test_workers_give_identical_results(tmp_path):
    data = small_config(networks={"activation": "relu", "width": [10, 100]},
                        sampling={"n_networks": 6000, "exact": False}, analyses={})
    cfg = write_config(tmp_path / "c.toml", data)
    ref, par = tmp_path / "ref", tmp_path / "par"
    assert run_cli("run", cfg, "--out", ref, "--quiet").returncode == 0
    r = run_cli("run", cfg, "--out", par, "--quiet", "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert_identical(load_arrays(ref), load_arrays(par))


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as c, \
            distributed.Client(c) as client:
        yield c, client


@pytest.mark.dask
def test_dask_worker_killed_mid_run_gives_identical_results(tmp_path, cluster):
    c, client = cluster
    data = small_config(name="dask", networks={"activation": "erf", "width": [300, 600]},
                        sampling={"n_networks": 30000, "exact": False}, analyses={})
    cfg, text = parse_config(data), to_toml(data)
    ref = tmp_path / "ref"
    run_experiment(cfg, text, ref, quiet=True)

    out = tmp_path / "dask"
    box = {}

    def target():
        try:
            box["res"] = run_experiment(cfg, text, out, client=client, quiet=True)
        except BaseException as exc:  # noqa: BLE001
            box["exc"] = exc

    pids = client.run(os.getpid)  # {worker address: pid}
    before = set(pids)
    th = threading.Thread(target=target)
    th.start()
    t0 = time.monotonic()
    while len(list(out.rglob("chunk-*.npz"))) < 6 and time.monotonic() - t0 < 60:
        time.sleep(0.01)
    assert th.is_alive(), "the run finished before a worker could be killed"
    victim = sorted(before)[0]
    os.kill(pids[victim], signal.SIGKILL)  # the worker process dies mid-run
    th.join(timeout=120)
    assert not th.is_alive()
    assert "exc" not in box, box.get("exc")
    assert box["res"].status == "complete"
    after = set(client.scheduler_info()["workers"])
    assert victim not in after  # the worker really died (its nanny started a new one)
    assert_identical(load_arrays(ref), load_arrays(out))


@pytest.mark.dask
def test_scheduler_option(tmp_path, cluster):
    c, _ = cluster
    data = small_config(sampling={"n_networks": 3000, "exact": False}, analyses={})
    cfg = write_config(tmp_path / "c.toml", data)
    ref, par = tmp_path / "ref", tmp_path / "sched"
    assert run_cli("run", cfg, "--out", ref, "--quiet").returncode == 0
    r = run_cli("run", cfg, "--out", par, "--quiet", "--scheduler", c.scheduler_address)
    assert r.returncode == 0, r.stderr
    assert_identical(load_arrays(ref), load_arrays(par))


def test_unreachable_scheduler_is_a_clean_error(tmp_path):
    cfg = write_config(tmp_path / "c.toml", small_config())
    r = run_cli("run", cfg, "--out", tmp_path / "o", "--scheduler", "tcp://127.0.0.1:9",
                timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert not (tmp_path / "o").exists()

"""Run an experiment into a results directory: crash-safe, resumable, reproducible.

:func:`run_experiment` validates everything first (an invalid configuration leaves no trace),
then takes the directory's lock, samples every network of the grid with its blocks checkpointed
as chunks finish, computes exact correlators where they exist, runs the analyses, and writes the
NetCDF data, the figures, ``report.md``/``report.html`` and ``provenance.json``.

A run killed at any moment (even by SIGKILL) and resumed with ``resume=True`` gives numbers
bit-identical to an uninterrupted run: completed blocks are read back from verified checkpoints,
the missing ones are computed from their own counter-based seeds, and the engine folds all block
accumulators in block order.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
import os
import platform
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..estimate import finalize, run_plan
from ..io import write_netcdf
from ..progress import log
from . import analyses as _an
from .config import ExperimentConfig
from .plan import Task, build_tasks
from .report import fmt, fmt_pm, md_table, write_report
from .store import (
    CheckpointStore,
    RunLock,
    atomic_write_json,
    atomic_write_text,
    check_no_foreign_outputs,
    clear_outputs,
    has_content,
    remove_temporaries,
    tracked_outputs,
)

__all__ = ["RunOutcome", "RunError", "run_experiment", "provenance_base", "write_netcdf"]

NETCDF_CONVENTIONS = (
    "nnqft results: network outputs and inputs are dimensionless (units '1'); correlators "
    "G^(n) = E[f(x_1)...f(x_n)] over sorted index tuples i_1 <= ... <= i_n; connected = joint "
    "cumulants; *_err are standard errors (jackknife over >= 64 batches of sampled networks); "
    "*_rep are leave-one-batch-out replicates; exact values have no errors (docs/theory.md#correlators, #exact-finite-width)"
)


class RunError(ValueError):
    """A usage problem with the results directory (exit status 2)."""


@dataclass
class RunOutcome:
    """What a run did: ``status`` is "complete" or "already-complete"."""

    directory: Path
    status: str
    report: Path


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _git_commit() -> dict:
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                                text=True, timeout=5)
        if commit.returncode != 0:
            return {"git_commit": None}
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=here, capture_output=True, text=True, timeout=5)
        return {"git_commit": commit.stdout.strip(),
                "git_dirty": bool(dirty.stdout.strip()) if dirty.returncode == 0 else None}
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": None}


def provenance_base() -> dict:
    """Versions, git commit and host: the parts of provenance that do not depend on the run."""
    import scipy
    import xarray

    from .. import __version__

    versions = {"nnqft": __version__, "python": platform.python_version(),
                "numpy": np.__version__, "scipy": scipy.__version__, "xarray": xarray.__version__}
    for mod in ("h5netcdf", "h5py", "matplotlib", "pydantic", "dask", "distributed"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - optional packages
            pass
    for dist in ("jax", "jaxlib"):  # the jax backend (docs/backends.md); metadata only, no import
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return {
        "versions": versions,
        "nnqft_version": __version__,
        **_git_commit(),
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "pid": os.getpid(),
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]],
    }


def _annotate(ds, title: str):
    """Units and conventions on a correlator Dataset (no timings: those live in provenance)."""
    for name in ds.data_vars:
        ds[name].attrs.setdefault("units", "1")
    ds.attrs["title"] = title
    ds.attrs["conventions"] = NETCDF_CONVENTIONS
    ds.attrs["references"] = "[HMS] arXiv:2008.08601; [ELS] arXiv:2108.01403"
    return ds


def _prepare(out: Path, mode: str, cfg: ExperimentConfig) -> tuple[RunLock, dict | None]:
    """Check the directory against the mode, take the lock; returns (lock, old provenance)."""
    if out.exists() and not out.is_dir():
        raise RunError(f"{out} exists and is not a directory")
    if mode == "resume" and not out.exists():
        raise RunError(f"--resume: {out} does not exist (nothing to resume)")
    if mode == "new" and has_content(out):
        raise RunError(f"{out} already exists; use --resume to continue it or --force to "
                       "start over (--force removes only the files nnqft wrote there)")
    if mode == "force" and has_content(out):
        try:
            check_no_foreign_outputs(out)
        except ValueError as exc:
            raise RunError(str(exc)) from None
    out.mkdir(parents=True, exist_ok=True)
    lock = RunLock(out).acquire()
    try:
        old = None
        if mode == "new" and has_content(out):
            raise RunError(f"{out} was filled by another run meanwhile; use --resume or --force")
        if mode == "force":
            clear_outputs(out)
        if mode == "resume":
            stored = out / "config.json"
            if stored.exists():
                try:
                    old_cfg = json.loads(stored.read_text())
                except (OSError, ValueError):
                    raise RunError(f"--resume: {stored} is unreadable") from None
                if old_cfg.get("sha256") != cfg.content_hash():
                    raise RunError(f"--resume: the configuration differs from the one in {out} "
                                   "(use --force to start over)")
            prov = out / "provenance.json"
            if prov.exists():
                try:
                    old = json.loads(prov.read_text())
                except (OSError, ValueError):
                    old = None
            remove_temporaries(out)
        return lock, old
    except BaseException:
        lock.release()
        raise


def _make_executor(cfg: ExperimentConfig, workers, scheduler, client):
    from .parallel import make_executor

    e = cfg.executor
    return make_executor(
        workers=e.workers if workers is None else int(workers),
        scheduler=e.scheduler if scheduler is None else scheduler,
        chunk_blocks=e.chunk_blocks, retries=e.retries, client=client,
    )


def _exact_for(task: Task, cache: dict):
    """Exact correlators (brackets computed once per series of widths)."""
    try:
        from ..exact import connected_brackets, exact_correlators
    except ImportError as exc:  # pragma: no cover - depends on the build
        raise RuntimeError(f"exact correlators need nnqft.exact ({exc})") from None
    net = task.network
    orders = task.orders
    key = (json.dumps(net.replace(width=1).canonical(), sort_keys=True), task.inputs.tobytes(),
           orders)
    if key not in cache:
        cache[key] = connected_brackets(net, task.inputs, orders)
    return exact_correlators(net, task.inputs, orders, brackets=cache[key])


def run_experiment(cfg: ExperimentConfig, config_text: str, out: str | Path, *,
                   mode: str = "new", workers: int | None = None, scheduler: str | None = None,
                   client=None, progress: bool = True, quiet: bool = False) -> RunOutcome:
    """Run ``cfg`` into the results directory ``out``.

    Parameters
    ----------
    cfg : ExperimentConfig
        A validated configuration; ``config_text`` is its TOML as read (saved as run).
    out : path
        Results directory.
    mode : {"new", "resume", "force"}
        "new": the directory must not exist (or be empty). "resume": it must exist; a complete
        run is left alone, an interrupted one continues from its checkpoints. "force": the
        files an earlier nnqft run wrote there (its manifest, ``.nnqft-manifest.json``) are
        removed first; files nnqft did not write are kept and never overwritten.
    workers, scheduler, client
        Override the configuration's executor: local worker processes, a Dask scheduler address,
        or a ``distributed.Client``.
    progress : bool
        Progress bars (stderr).
    quiet : bool
        No progress and no log lines (warnings and errors still go to stderr).

    Returns
    -------
    RunOutcome

    Raises
    ------
    ConfigError, RunError, CheckpointError, LockedError
        Usage problems (no directory is created for an invalid configuration).
    """
    if mode not in ("new", "resume", "force"):
        raise ValueError(f"mode must be new, resume or force, got {mode!r}")
    out = Path(out)
    say = (lambda msg: None) if quiet else log
    progress = progress and not quiet
    tasks = build_tasks(cfg)  # validates every plan before anything is written
    if cfg.sampling.exact:
        import importlib.util

        if importlib.util.find_spec("nnqft.exact") is None:
            raise RuntimeError("sampling.exact = true needs nnqft.exact, which this "
                               "installation lacks")
    executor = _make_executor(cfg, workers, scheduler, client)
    lock, old = _prepare(out, mode, cfg)
    try:
        if old is not None and old.get("status") == "complete" and (out / "report.md").exists():
            say(f"{out}: the run is complete; nothing to do")
            return RunOutcome(out, "already-complete", out / "report.md")
        with tracked_outputs(out, adopt_existing=mode == "resume"):
            return _run_locked(cfg, config_text, out, tasks, executor, old, progress, say)
    finally:
        close = getattr(executor, "close", None)
        if close is not None and client is None:
            close()
        lock.release()


def _run_locked(cfg, config_text, out, tasks, executor, old, progress, say) -> RunOutcome:
    t0 = time.time()
    base = provenance_base()
    sessions = list(old.get("sessions", [])) if old else []
    start = old.get("start_time") if old and old.get("start_time") else _now()
    sessions.append({"start_time": _now(), "pid": os.getpid(), "host": base["host"]})
    exec_desc = {"kind": type(executor).__name__,
                 "workers": getattr(executor, "workers", None),
                 "chunk_blocks": getattr(executor, "chunk_blocks", None)}
    prov = {
        **base,
        "status": "running",
        "experiment": cfg.name,
        "seed": cfg.seed,
        "config_sha256": cfg.content_hash(),
        "executor": exec_desc,
        "start_time": start,
        "sessions": sessions,
    }
    atomic_write_text(out / "config.toml", config_text)
    atomic_write_json(out / "config.json", {"sha256": cfg.content_hash(), "config": cfg.canonical()})
    atomic_write_json(out / "provenance.json", prov)

    results: dict[str, dict] = {}
    task_prov = []
    cache: dict = {}
    ckpt_root = out / "checkpoints"
    for i, t in enumerate(tasks, start=1):
        ts = time.time()
        entry = {"key": t.key, "network": t.network.canonical(),
                 "inputs": t.inputs.tolist()}
        res: dict = {}
        if t.plan is not None:
            plan = t.plan
            store = CheckpointStore(ckpt_root, t.key, plan.fingerprint())

            def count(b, plan=plan):
                return min(plan.n_networks, (b + 1) * plan.block_size) - b * plan.block_size

            done = store.load(plan.n_blocks, plan.accumulated_orders, count)
            say(f"[{i}/{len(tasks)}] {t.label}: {plan.n_networks} networks in {plan.n_blocks} "
                f"blocks" + (f" ({len(done)} from checkpoints)" if done else ""))
            blocks = run_plan(plan, executor=executor, progress=progress, completed=done,
                              on_chunk=store.save)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                mc = finalize(plan, blocks)
            for w in caught:
                print(f"nnqft: warning: {t.label}: {w.message}", file=sys.stderr, flush=True)
            res["mc"] = mc
            entry.update(fingerprint=plan.fingerprint(), n_networks=plan.n_networks,
                         block_size=plan.block_size, n_blocks=plan.n_blocks,
                         estimator=plan.estimator, blocks_from_checkpoints=len(done))
        if t.exact:
            res["exact"] = _exact_for(t, cache)
        results[t.key] = res
        entry["wall_time_s"] = round(time.time() - ts, 3)
        task_prov.append(entry)

    sections = _write_outputs(cfg, out, tasks, results, say)
    end = _now()
    wall = time.time() - t0
    sessions[-1].update(end_time=end, wall_time_s=round(wall, 3))
    prov.update(status="complete", end_time=end,
                wall_time_s=round(sum(s.get("wall_time_s", 0.0) for s in sessions), 3),
                tasks=task_prov, sessions=sessions)
    sections.append(_provenance_section(prov))
    report = write_report(out, f"nnqft experiment: {cfg.name}", sections)
    atomic_write_json(out / "provenance.json", prov)
    say(f"report: {report}")
    return RunOutcome(out, "complete", report)


def _write_outputs(cfg, out: Path, tasks, results, say) -> list[str]:
    from . import plots

    data, figs = out / "data", out / "figures"
    sections = []
    head = [f"Configuration: `config.toml` (SHA-256 of the validated form "
            f"`{cfg.content_hash()[:16]}`), seed {cfg.seed}."]
    if cfg.description:
        head.insert(0, cfg.description)
    sections.append("\n\n".join(head))
    # correlators: one NetCDF per network and source
    for t in tasks:
        for src, c in results[t.key].items():
            ds = _annotate(c.to_dataset(), f"{'Exact' if src == 'exact' else 'Monte Carlo'} "
                           f"correlators: {t.label}")
            write_netcdf(ds, data / "correlators" / f"{t.key}-{src}.nc")
    rows = _an.correlator_rows(tasks, results)
    plots.plot_correlators(rows, figs / "correlators.png")
    top = rows[0]["order"] if rows else 4
    table = md_table(
        ["network", "inputs", f"<G{top}_c> Monte Carlo", f"<G{top}_c> exact", "pull",
         "networks", "estimator", "heavy tails"],
        [[r["network"], str(r["n_inputs"]), fmt_pm(r.get("mc_mean"), r.get("mc_err")),
          fmt(r.get("exact_mean")), fmt(r.get("pull"), 3), fmt(r.get("n_networks")),
          r.get("estimator", "-"), fmt(r.get("heavy_tail"))] for r in rows])
    sections.append(
        f"## Correlators\n\nTuple means of the connected {top}-point function over the sorted "
        f"input tuples; Monte Carlo values ± standard error (jackknife over batches); pull = "
        f"(MC - exact) / error. Data: `data/correlators/*.nc`.\n\n{table}\n\n"
        f"![connected correlators](figures/correlators.png)")
    enabled = cfg.analyses.enabled()
    if "free_theory" in enabled:
        say("analysis: free theory")
        ds, frows = _an.free_theory(tasks, results)
        write_netcdf(ds, data / "free_theory.nc")
        plots.plot_free_theory(ds, figs / "free_theory.png")
        table = md_table(
            ["series", "N", "m4 exact", "m4 MC", "m6 exact", "m6 MC", "<G6_c/G6_GP> exact",
             "<G6_c/G6_GP> MC", "heavy tails"],
            [[r["series"], str(r["width"]), fmt(r["m4_exact"]),
              fmt_pm(r["m4_mc"], r["m4_mc_err"]), fmt(r["m6_exact"]),
              fmt_pm(r["m6_mc"], r["m6_mc_err"]), fmt(r["r6_exact"]),
              fmt_pm(r["r6_mc"], r["r6_mc_err"]), fmt(r["heavy_tail"])] for r in frows])
        n_fired = sum(bool(r["heavy_tail"]) for r in frows)
        tails = (f"The heavy-tail diagnostic (docs/theory.md#heavy-tails) fired in {n_fired} of "
                 f"{len(frows)} rows (column 'heavy tails'; crosses in the figure): those "
                 "Monte Carlo values and error bars failed. Why (docs/theory.md#heavy-tails): the "
                 "log-normal hidden units of a Gauss-net at sigma_b = 1 put most of the higher moments on rare networks "
                 "that a feasible sample lacks, so the estimate and its error are both too "
                 "small. Use instead the exact engine (`sampling.exact = true`, `nnqft "
                 "correlators --exact`; one hidden layer) or Monte Carlo in the tame regime "
                 "sigma_b^2 + sigma_W^2 |x|^2 / d <= 0.1. " if n_fired else
                 "The heavy-tail diagnostic (docs/theory.md#heavy-tails) fired in none of the rows. ")
        sections.append(
            "## Free theory\n\nNormalised deviations m_n = <|G_n - G_n,GP| / G_n,GP> (tuple "
            "mean, [HMS]) fall like 1/N until they meet the Monte Carlo noise floor; the "
            "connected 6-point function falls like 1/N^2 (docs/theory.md#hms-deviation, #exact-finite-width, #reference-setups). Exact "
            "values are the one-hidden-layer formulas of docs/theory.md#exact-finite-width. "
            f"{tails}Data: `data/free_theory.nc`.\n\n![free theory](figures/free_theory.png)\n\n{table}")
    if "couplings" in enabled:
        say("analysis: couplings and running")
        ds, crows = _an.couplings_running(tasks, results, cfg.analyses.couplings.cutoffs)
        write_netcdf(ds, data / "couplings.nc")
        heavy = {t.key: bool(((results[t.key].get("mc") or _NoMC).meta.get("heavy_tail")
                              or {}).get("fired", False)) for t in tasks}
        plots.plot_couplings(ds, figs / "couplings.png", heavy=heavy)
        table = md_table(["network", "source", "cutoff", "lambda (tuple mean)", "spread"],
                         [[r["network"], r["source"], fmt(r["cutoff"]),
                           fmt_pm(r["lambda_mean"], r["lambda_mean_err"]),
                           fmt(r["lambda_spread"])] for r in crows])
        sections.append(
            "## Couplings and running\n\nlambda(t) = -G4_c(t) / I_4(t; Lambda) in the "
            "convention S = ... + lambda/4! phi^4 (docs/theory.md#couplings); tuple mean and spread "
            "(std over tuples). The running beta = d lambda / d ln Lambda is in "
            f"`data/couplings.nc`.\n\n![couplings](figures/couplings.png)\n\n{table}")
    if "bridge" in enabled:
        say("analysis: FRG bridge")
        ds, brows = _an.bridge(tasks, results)
        write_netcdf(ds, data / "bridge.nc")
        keys = [k for k in ds.data_vars][:8]
        table = md_table(["network", "source", *keys],
                         [[r["network"], r["source"], *[fmt(r.get(k)) for k in keys]]
                          for r in brows])
        sections.append("## FRG bridge\n\nIR data for the functional RG ([ELS]; docs/theory.md"
                        f"#frg-from-the-ir). Data: `data/bridge.nc`.\n\n{table}")
    return sections


class _NoMC:
    meta: dict = {}


def _provenance_section(prov: dict) -> str:
    v = prov["versions"]
    rows = [
        ["nnqft", str(prov.get("nnqft_version"))],
        ["git commit", f"{prov.get('git_commit') or 'unavailable'}"
         + (" (modified)" if prov.get("git_dirty") else "")],
        ["numpy / scipy / xarray", f"{v.get('numpy')} / {v.get('scipy')} / {v.get('xarray')}"],
        ["python", str(v.get("python"))],
        ["host", str(prov.get("host"))],
        ["seed", str(prov.get("seed"))],
        ["executor", str(prov.get("executor", {}).get("kind"))],
        ["start / end", f"{prov.get('start_time')} / {prov.get('end_time')}"],
        ["wall time", f"{prov.get('wall_time_s')} s over {len(prov.get('sessions', []))} "
                      "session(s)"],
    ]
    return ("## Provenance\n\nFull record: `provenance.json`.\n\n"
            + md_table(["", ""], rows))


"""``nnqft run CONFIG`` and ``nnqft reproduce all`` (the flagship, ``make run``)."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path

import click

from . import cli, reproduce
from ._common import InputError, emit_json, fail


@cli.command("run")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Results directory [default: results/<name>].")
@click.option("--resume", is_flag=True, help="Continue an interrupted run in --out.")
@click.option("--force", is_flag=True,
              help="Start over: remove the files an earlier nnqft run wrote in --out (files "
                   "nnqft did not write are kept).")
@click.option("--workers", type=int, default=None,
              help="Local worker processes (default: the config's executor.workers).")
@click.option("--scheduler", default=None,
              help="Address of a running Dask scheduler, e.g. tcp://host:8786.")
@click.option("--quiet", is_flag=True, help="No progress bars or log lines.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (status, directory, report) on stdout.")
def run(config, out, resume, force, workers, scheduler, quiet, as_json):
    """Run the experiment in CONFIG (TOML) into a results directory.

    Writes the config as run, provenance.json, NetCDF data, figures and report.md/.html.
    Completed chunks are checkpointed atomically: a run killed at any moment continues with
    --resume and gives identical numbers. An existing directory is never overwritten without
    --resume or --force, and --force removes only files nnqft wrote (they are listed in
    .nnqft-manifest.json); a lock prevents two runs on one directory.
    """
    from ..experiments.config import load_config
    from ..experiments.runner import run_experiment
    from ..experiments.store import LockedError

    if resume and force:
        raise InputError("give at most one of --resume and --force")
    if workers is not None and scheduler is not None:
        raise InputError("give at most one of --workers and --scheduler")
    if workers is not None and not 1 <= workers <= 1024:
        raise InputError(f"--workers must be between 1 and 1024, got {workers}")
    cfg, text = load_config(config)
    out = Path(out) if out is not None else Path("results") / cfg.name
    mode = "resume" if resume else "force" if force else "new"
    try:
        res = run_experiment(cfg, text, out, mode=mode, workers=workers, scheduler=scheduler,
                             progress=not quiet, quiet=quiet)
    except LockedError as exc:
        raise InputError(str(exc)) from None
    if as_json:
        emit_json({"status": res.status, "directory": str(res.directory),
                   "report": str(res.report),
                   "provenance": str(res.directory / "provenance.json")})
    else:
        click.echo(str(res.report))


# ---------------------------------------------------------------------------- reproduce all

_PARTS = (
    ("free_theory", "Free theory against width (exact and Monte Carlo)", None),
    ("hms", "[HMS] reproduction", ("nnqft.reproduce.hms", "reproduce_hms")),
    ("els", "[ELS] reproduction", ("nnqft.reproduce.els", "reproduce_els")),
    ("pdlt", "[PDLT] deep networks at finite width", ("nnqft.reproduce.pdlt", "reproduce_pdlt")),
)


def _load_part(spec):
    module, name = spec
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise LookupError(f"{module}.{name} is not available in this installation "
                          f"(module {exc.name} missing)") from None
    fn = getattr(mod, name, None)
    if fn is None:
        raise LookupError(f"{module}.{name} is not available in this installation")
    return fn


def _free_theory(out: Path, quick: bool, quiet: bool, mode: str):
    from ..experiments.presets import load_preset
    from ..experiments.runner import run_experiment

    cfg, text = load_preset("free_theory", quick=quick)
    res = run_experiment(cfg, text, out, mode=mode, progress=not quiet, quiet=quiet)
    return {"report": str(res.report), "status": res.status}


def _summary_links(d: Path) -> list[str]:
    names = ("report.md", "summary.md", "report.html", "summary.html", "summary.json")
    return [n for n in names if (d / n).exists()]


@reproduce.command("all")
@click.option("--quick/--full", default=True, show_default=True,
              help="Quick sizes (minutes) or the papers' sizes.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("results"),
              show_default=True, help="Results directory.")
@click.option("--resume", is_flag=True, help="Skip the parts that completed; redo the others.")
@click.option("--force", is_flag=True,
              help="Start over: remove the files an earlier nnqft run wrote in --out (files "
                   "nnqft did not write, e.g. your own runs there, are kept).")
@click.option("--quiet", is_flag=True, help="No progress bars or log lines.")
def reproduce_all(quick, out, resume, force, quiet):
    """Free theory, [HMS] and [ELS] reproductions, and a combined report.md.

    The last line on stdout is the path of the combined report. Every file written is listed
    in OUT/.nnqft-manifest.json (and in each part's own manifest); --force removes exactly
    those, so `make run` can be repeated without touching anything else under results/.
    """
    from ..experiments.report import md_table, write_report
    from ..experiments.store import (
        LockedError,
        RunLock,
        atomic_write_json,
        check_no_foreign_outputs,
        clear_outputs,
        has_content,
        tracked_outputs,
    )
    from ..progress import log

    if resume and force:
        raise InputError("give at most one of --resume and --force")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a directory")
    if has_content(out) and not (resume or force):
        raise InputError(f"{out} already exists; use --resume to continue it or --force to "
                         "start over (--force removes only the files nnqft wrote there)")
    if force and has_content(out):
        check_no_foreign_outputs(out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        lock = RunLock(out).acquire()
    except LockedError as exc:
        raise InputError(str(exc)) from None
    say = (lambda m: None) if quiet else log
    stack = contextlib.ExitStack()
    try:
        if force:
            clear_outputs(out)
        stack.enter_context(tracked_outputs(out, adopt_existing=resume))
        status_path = out / "status.json"
        status = {}
        if resume and status_path.exists():
            try:
                status = json.loads(status_path.read_text()).get("parts", {})
            except (OSError, ValueError):
                status = {}
        outcomes = {}
        for key, title, spec in _PARTS:
            part_dir = out / key
            if status.get(key, {}).get("status") == "complete" and part_dir.exists():
                say(f"{title}: complete, skipped")
                outcomes[key] = status[key]
                continue
            say(f"{title}: running into {part_dir}")
            t0 = time.time()
            try:
                if spec is None:
                    mode = "resume" if (resume and part_dir.exists()) else "force"
                    info = _free_theory(part_dir, quick, quiet, mode)
                else:
                    fn = _load_part(spec)
                    # an interrupted earlier attempt: start it over (only nnqft's own files go)
                    clear_outputs(part_dir)
                    with tracked_outputs(part_dir):
                        info = fn(part_dir, quick=quick, progress=not quiet)
                outcomes[key] = {"status": "complete", "wall_time_s": round(time.time() - t0, 1),
                                 "result": _jsonable(info)}
            except LookupError as exc:
                outcomes[key] = {"status": "missing", "error": str(exc)}
                print(f"nnqft: warning: {title}: {exc}", file=sys.stderr, flush=True)
            except Exception as exc:  # noqa: BLE001 - report and go on with the other parts
                msg = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                outcomes[key] = {"status": "failed", "error": msg}
                print(f"nnqft: warning: {title} failed: {msg}", file=sys.stderr, flush=True)
            atomic_write_json(status_path, {"quick": quick, "parts": outcomes})
        rows = []
        for key, title, _ in _PARTS:
            o = outcomes[key]
            links = _summary_links(out / key)
            where = ", ".join(f"[{n}]({key}/{n})" for n in links) or "-"
            rows.append([title, o["status"], where, o.get("error", "")])
        sections = [
            f"Sizes: {'quick' if quick else 'full'}. Each part has its own directory with "
            "NetCDF data, figures and a summary; provenance (versions, commit, times) is in "
            "each part's `provenance.json` or summary.",
            "## Parts\n\n" + md_table(["part", "status", "summary", "note"], rows),
        ]
        ft = out / "free_theory" / "report.md"
        if ft.exists():
            table = "\n".join(line for line in ft.read_text().split("## Free theory", 1)[-1]
                              .split("\n## ", 1)[0].splitlines() if line.startswith("|"))
            sections.append("## Free theory\n\n![free theory](free_theory/figures/free_theory.png)"
                            f"\n\n{table}\n\nDetails and data: "
                            "[free_theory/report.md](free_theory/report.md).")
        for key, title, _ in _PARTS[1:]:
            pngs = sorted((out / key).rglob("*.png")) if (out / key).exists() else []
            if pngs:
                sections.append(f"## {title}\n\n" + "\n\n".join(
                    f"![{p.stem}]({p.relative_to(out).as_posix()})" for p in pngs[:8]))
        report = write_report(out, "nnqft: reproductions ([HMS], [ELS]) and the free theory",
                              sections)
    finally:
        stack.close()
        lock.release()
    click.echo(str(report))
    bad = [k for k, o in outcomes.items() if o["status"] != "complete"]
    if bad:
        fail(f"{len(bad)} part(s) did not complete: "
             + "; ".join(f"{k}: {outcomes[k].get('error', outcomes[k]['status'])}" for k in bad), 1)


def _jsonable(info):
    from ._common import to_jsonable

    try:
        obj = to_jsonable(info if isinstance(info, dict) else {"value": info})
        json.dumps(obj, default=str)
        return json.loads(json.dumps(obj, default=str))
    except (TypeError, ValueError):
        return str(info)

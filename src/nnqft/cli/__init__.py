"""Command line interface: ``nnqft COMMAND ...`` (design.md section 4).

Every command with ``--json`` prints exactly one JSON object on stdout; progress, warnings and
logs go to stderr. Errors are one line on stderr: exit status 2 for bad usage or input
(``ValueError``, ``InputError``, click usage errors), 1 for failures, among them numerical
failures on valid input (``nnqft.errors.NumericalError``: non-convergence, no fixed point found,
overflow), whose message says what failed and what to try. Set ``NNQFT_DEBUG=1`` to see a
traceback instead.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import warnings

import click

from ..errors import NumericalError
from ._common import InputError, fail

__all__ = ["main", "cli", "reproduce"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="nnqft", prog_name="nnqft")
def cli() -> None:
    """nnqft: neural-network ensembles as field theories.

    Kernels, exact and Monte Carlo correlators, EFT couplings and their running, functional RG
    flows and the bridge between networks and the FRG.
    """


@cli.group()
def reproduce() -> None:
    """Reproduce published analyses with figures, NetCDF and summaries."""


def _register() -> None:
    from . import core  # noqa: F401  (registers kernel, correlators)

    for name in ("eft", "frg", "bridge", "run", "deep", "action", "vector"):
        try:
            __import__(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:  # a command module not present in this build
            if exc.name != f"{__name__}.{name}":
                raise


def _format_warning(message, category, filename, lineno, line=None) -> str:
    return f"nnqft: warning: {message}\n"


class _Terminated(BaseException):
    """SIGTERM as an exception, so that locks are released and their files removed."""


_termination = {"requested": False}


def _on_sigterm(signum, frame):
    _termination["requested"] = True
    raise _Terminated()


def _run_cli(argv: list[str] | None) -> None:
    """Run click; an exception raised while unwinding after SIGTERM still reads as termination.

    SIGTERM can land inside library code (e.g. while numpy writes a zip checkpoint) whose own
    cleanup then raises a different error, which would otherwise be reported as bad input.
    """
    try:
        cli.main(args=argv, prog_name="nnqft", standalone_mode=False)
    except BaseException as exc:
        if _termination["requested"] and not isinstance(exc, _Terminated):
            raise _Terminated() from exc
        raise


def main(argv: list[str] | None = None) -> int:
    """Entry point with the error contract: one line on stderr and exit 2 (input) or 1 (failure)."""
    _register()
    saved_format = warnings.formatwarning
    warnings.formatwarning = _format_warning
    saved_term = None
    _termination["requested"] = False
    if threading.current_thread() is threading.main_thread():
        saved_term = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _main(argv)
    finally:
        warnings.formatwarning = saved_format
        if saved_term is not None:
            signal.signal(signal.SIGTERM, saved_term)


def _main(argv: list[str] | None) -> int:
    debug = bool(os.environ.get("NNQFT_DEBUG"))
    try:
        _run_cli(argv)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.exceptions.Abort:
        fail("aborted", 1)
    except click.UsageError as exc:
        msg = exc.format_message().splitlines()[0] if exc.format_message() else str(exc)
        fail(msg, 2)
    except click.ClickException as exc:
        fail(exc.format_message().splitlines()[0], exc.exit_code or 1)
    except NumericalError as exc:  # valid input, the numerics failed: exit 1 with a hint
        if debug:
            raise
        fail(f"numerical failure: {_first_line(exc)}", 1)
    except (InputError, ValueError) as exc:
        if debug:
            raise
        fail(_first_line(exc), 2)
    except FileNotFoundError as exc:
        if debug:
            raise
        fail(f"file not found: {exc.filename or exc}", 2)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except _Terminated:
        fail("terminated", 143)
    except (FloatingPointError, OverflowError, ZeroDivisionError) as exc:
        if debug:
            raise
        fail(f"numerical failure ({type(exc).__name__}): {_first_line(exc)}; try smaller "
             f"parameters or another --method where the command has one", 1)
    except Exception as exc:  # noqa: BLE001 - the contract: no traceback to a user
        if debug:
            raise
        fail(f"{type(exc).__name__}: {_first_line(exc)}", 1)
    return 0


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text.strip() else type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

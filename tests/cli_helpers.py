"""Running the ``nnqft`` command line in-process, shared by the CLI tests.

``pyproject.toml`` puts ``tests/`` on pytest's ``pythonpath``, so every test module (in a
package or not) imports these as ``from cli_helpers import run_cli``.
"""

from __future__ import annotations

import contextlib
import io

from nnqft.cli import main


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """Run ``nnqft ARGS...``; return ``(status, stdout, stderr)`` as captured by ``capsys``.

    ``main`` returns the status on success; on bad input or numerical failure it raises
    ``SystemExit`` (the CLI error contract), whose code is taken as the status.
    """
    try:
        status = main(list(args))
    except SystemExit as exc:
        status = exc.code
    return (status, *capsys.readouterr())


def run_cli_redirected(argv) -> tuple[int, str, str]:
    """As :func:`run_cli`, capturing stdout and stderr itself (for tests without ``capsys``,
    e.g. hypothesis tests, where a function-scoped fixture is shared between examples)."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            status = main(list(argv))
        except SystemExit as exc:
            status = exc.code
    return status, out.getvalue(), err.getvalue()

"""The CLI error contract: exit 2 for bad input, exit 1 for numerical failure, one line each,
in the command line's vocabulary (issue 12, item 4; docs/frg.md#errors)."""

import pytest

from nnqft.cli import main


def _run(args, capsys):
    with pytest.raises(SystemExit) as e:
        main(args)
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err  # one line, no traceback
    return e.value.code, err


@pytest.mark.parametrize("args, wanted", [
    (["correlators", "--net", "erf", "--depth", "2", "--exact", "--inputs", "[0.1]",
      "--order", "4"], ("--networks", "--method")),
    (["correlators", "--net", "erf", "--weight-law", "uniform", "--estimator", "conditional",
      "--networks", "100", "--inputs", "[0.1]", "--order", "4"], "--estimator raw"),
    (["kernel", "--net", "erf", "--sigma-w", "-1", "--inputs", "[0.1]"], "--sigma-w"),
    (["frg", "exponents", "--dim", "4.5"], "2 < d < 4"),
    (["frg", "exponents", "--order", "1"], "--order"),
    (["frg", "exponents", "--order", "1000"], "--order"),
])
def test_bad_input_exit_2_in_cli_vocabulary(args, wanted, capsys):
    code, err = _run(args, capsys)
    assert code == 2
    wanted = (wanted,) if isinstance(wanted, str) else wanted
    assert any(w in err for w in wanted), err


def test_numerical_failure_exit_1(capsys):
    # the polynomial method's order-2 seed has no root at d = 2.02: a failure of the method on
    # valid input (shooting solves it), so exit 1 and a hint naming the CLI option to try
    code, err = _run(["frg", "exponents", "--dim", "2.02", "--order", "6"], capsys)
    assert code == 1
    assert err.startswith("nnqft: error: numerical failure:") and "--method shooting" in err


def test_numerical_error_subclass_not_caught_as_input(capsys, monkeypatch):
    # a NumericalError raised anywhere under a command maps to exit 1, even from code that
    # would raise ValueError (exit 2) for bad input
    import nnqft.frg.lpa as lpa
    from nnqft.errors import NumericalError

    def boom(*a, **k):
        raise NumericalError("Newton did not converge (test)", "try --method grid")

    monkeypatch.setattr(lpa, "polynomial_fixed_point", boom)
    code, err = _run(["frg", "exponents", "--order", "4"], capsys)
    assert code == 1 and "Newton did not converge (test); try --method grid" in err


def test_sigterm_during_cleanup_that_raises_is_still_termination(capsys, monkeypatch):
    # SIGTERM landing inside library code whose own cleanup raises another error (zipfile:
    # "Can't close the ZIP file while there is an open writing handle") must read as
    # termination (143), not as bad input (2). Control: the same ValueError without SIGTERM
    # is bad input.
    import nnqft.cli as cli_mod

    def zip_like(raise_term: bool):
        def run(*a, **k):
            try:
                if raise_term:
                    cli_mod._on_sigterm(15, None)
            finally:
                raise ValueError("Can't close the ZIP file while there is an open writing handle")
        return run

    monkeypatch.setattr(cli_mod.cli, "main", zip_like(True))
    code, err = _run(["kernel"], capsys)
    assert code == 143 and err.strip().endswith("terminated")
    monkeypatch.setattr(cli_mod.cli, "main", zip_like(False))
    code, err = _run(["kernel"], capsys)
    assert code == 2 and "ZIP" in err

"""CLI contract for ``nnqft kernel`` and ``nnqft correlators`` (design.md section 4)."""

import json
import subprocess
import sys

import numpy as np
import pytest

import nnqft as nq
from cli_helpers import run_cli


def test_kernel_json(capsys):
    status, out, err = run_cli(capsys, "kernel", "--net", "erf", "--inputs", "[0.1, 0.5]", "--json")
    assert status == 0
    obj = json.loads(out)
    K = nq.gp_kernel(nq.Network("erf"), [0.1, 0.5])
    np.testing.assert_allclose(obj["kernel"], K, rtol=1e-15)
    assert obj["inputs"] == [[0.1], [0.5]]


def test_correlators_exact_json(capsys):
    status, out, _ = run_cli(capsys, "correlators", "--net", "relu", "--width", "3", "--inputs",
                             "[0.2, 0.4]", "--order", "4", "--exact", "--json")
    assert status == 0
    obj = json.loads(out)
    assert obj["exact"] is True and obj["full_err"] is None and obj["n_networks"] is None
    assert obj["tuples"] == [[0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 1], [0, 1, 1, 1], [1, 1, 1, 1]]
    m4 = (np.array(obj["full"]) - obj["gp"]) / np.array(obj["gp"])
    np.testing.assert_allclose(m4, 5 / 3, rtol=1e-12)


def test_correlators_monte_carlo_json(capsys):
    status, out, _ = run_cli(capsys, "correlators", "--net", "erf", "--width", "5", "--inputs",
                             "[[0.1, 0.2], [0.3, -0.1]]", "--order", "6", "--networks", "2000",
                             "--seed", "3", "--json", "--quiet")
    assert status == 0
    obj = json.loads(out)
    assert obj["n_networks"] == 2000 and obj["exact"] is False
    assert len(obj["connected"]) == len(obj["connected_err"]) == 7
    c = nq.estimate_correlators(nq.Network("erf", width=5, d_in=2), [[0.1, 0.2], [0.3, -0.1]],
                                orders=(6,), n_networks=2000, seed=3)
    assert obj["connected"] == c.connected(6).tolist()


def test_correlators_block_size(capsys):
    """--block-size reaches the sampler: the numbers equal the Python API's with that block
    size, the JSON records it, and another block size gives other draws (blocks are the unit
    of seeding), so the option cannot be silently ignored."""
    argv = ["correlators", "--net", "erf", "--width", "4", "--inputs", "[0.1, 0.5]", "--order",
            "4", "--networks", "1000", "--seed", "2", "--json", "--quiet"]
    status, out, _ = run_cli(capsys, *argv, "--block-size", "10")
    assert status == 0
    obj = json.loads(out)
    assert obj["block_size"] == 10
    c = nq.estimate_correlators(nq.Network("erf", width=4), [0.1, 0.5], orders=(4,),
                                n_networks=1000, seed=2, block_size=10)
    assert obj["connected"] == c.connected(4).tolist()
    status, out, _ = run_cli(capsys, *argv)
    default = json.loads(out)
    assert default["block_size"] == 15 and default["connected"] != obj["connected"]


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--width", "0", "--exact"], "width"),
        (["--width", "-2", "--exact"], "width"),
        (["--net", "sigmoid", "--exact"], "activation"),
        (["--inputs", "[0.1, NaN]", "--exact"], "finite"),
        (["--inputs", "[0.1, Infinity]", "--exact"], "finite"),
        (["--inputs", "[[0.1, 0.2], [0.3]]", "--exact"], "inputs"),
        (["--inputs", "not json", "--exact"], "JSON"),
        (["--order", "3", "--exact"], "even"),
        (["--order", "0", "--exact"], "even"),
        (["--networks", "1"], "at least 64"),
        (["--depth", "2", "--exact"], "one hidden layer"),
        ([], "exactly one of"),
        (["--exact", "--networks", "10"], "exactly one of"),
        (["--no-such-option"], "no-such-option"),
        (["--networks", "640", "--block-size", "0"], "--block-size"),
        (["--exact", "--block-size", "10"], "--block-size"),
    ],
)
def test_bad_input_one_line_exit_2(capsys, args, needle):
    base = {"--net": "erf", "--inputs": "[0.1, 0.2]", "--order": "4", "--width": "3"}
    argv = ["correlators"]
    given = {a for a in args if a.startswith("--")}
    for k, v in base.items():
        if k not in given:
            argv += [k, v]
    status, out, err = run_cli(capsys, *(argv + args))
    assert status == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle.lower() in lines[0].lower(), err


def test_subprocess_error_contract():
    """A real process: no traceback, one line, exit status 2."""
    proc = subprocess.run([sys.executable, "-m", "nnqft.cli", "kernel", "--net", "erf",
                           "--inputs", "[0.1, NaN]", "--json"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_heavy_tail_warning_goes_to_stderr():
    """A real process (pytest would capture Python warnings in-process)."""
    proc = subprocess.run(
        [sys.executable, "-m", "nnqft", "correlators", "--net", "gauss", "--width", "1000",
         "--sigma-b", "1", "--inputs", "[-0.01, -0.006, -0.002, 0.002, 0.006, 0.01]",
         "--order", "6", "--networks", "5000", "--json", "--quiet"],
        capture_output=True, text=True)
    assert proc.returncode == 0
    obj = json.loads(proc.stdout)  # stdout is exactly one JSON object
    assert obj["diagnostics"]["fired"] is True
    assert proc.stderr.startswith("nnqft: warning:") and "heavy tails" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("which", ["hms", "els"])
def test_reproduce_never_overwrites_silently(capsys, tmp_path, which):
    """An existing results directory is refused without --force; --force refuses to overwrite
    a file nnqft did not write. Neither case computes anything or touches the files."""
    out = tmp_path / "res"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    status, stdout, err = run_cli(capsys, "reproduce", which, "--quick", "--out", str(out))
    assert status == 2 and stdout == ""
    assert "already exists" in err and len(err.strip().splitlines()) == 1
    assert (out / "summary.json").read_text() == "{}"
    other = tmp_path / "mine"
    other.mkdir()
    (other / "thesis.tex").write_text("precious")
    (other / "summary.md").write_text("my summary")
    status, _, err = run_cli(capsys, "reproduce", which, "--quick", "--out", str(other), "--force")
    assert status == 2 and "summary.md was not written by nnqft" in err
    assert (other / "thesis.tex").read_text() == "precious"
    assert (other / "summary.md").read_text() == "my summary"
    assert sorted(p.name for p in other.iterdir()) == ["summary.md", "thesis.tex"]

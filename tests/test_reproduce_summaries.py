"""Summaries of `nnqft reproduce hms|els`: HTML next to the Markdown, terms defined, claims
computed from the data rather than typed in.

The end-to-end quick reproductions (which also check that summary.html is written) are slow
tests (tests/eft/test_eft_cli.py, tests/bridge/test_bridge_misc.py); these run in well under a
second on hand-made summary dicts. That every section of docs/theory.md they cite exists is
checked for the whole repository by tests/test_docs.py.
"""

from __future__ import annotations

from nnqft.experiments.report import render_html
from nnqft.reproduce import els, hms


def test_render_html_keeps_tables_and_text():
    md = "# t\n\nsome **claim** (docs/theory.md#els-intercept)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    page = render_html(md, "t")
    assert page.startswith("<!DOCTYPE html>") and "<table>" in page
    assert "<td>1</td>" in page and "<strong>claim</strong>" in page
    assert "docs/theory.md#els-intercept" in page


def test_hms_summary_writes_html_and_defines_terms(tmp_path):
    summary = {"quick": True, "wall_s": 1.0,
               "exact": {"relu_m4_times_N": 5.0, "gauss_lambda_hms_code_N": 5.346},
               "monte_carlo": {"relu_m4_times_N": {"value": 5.01, "err": 0.02}},
               "reference": {"relu_m4_times_N": 5.0, "gauss_lambda_hms_code_N": 5.346},
               "files": []}
    hms._write_summary(tmp_path, summary)
    md = (tmp_path / "summary.md").read_text()
    page = (tmp_path / "summary.html").read_text()
    assert "<table>" in page and "relu_m4_times_N" in page
    # every jargon name used in the table is defined in the text above it
    assert "`*_hms_code*`" in md and "lambda_code = -lambda / 24" in md
    assert md.index("Terms:") < md.index("| quantity |")


def _published(intercept, at_one):
    return {"slope_N3": -3.04, "intercept_N3": intercept, "log10_u4_sigma1_N3": at_one}


def test_els_intercept_claim_is_computed():
    det3 = {"intercept": 1.6304812, "log10_abs_u4_at_first_sigma_w": 1.6310929}
    text = els._intercept_claim(_published(1.59, 1.75), det3)
    assert "differ by 0.16" in text and "a factor 1.45" in text and "6.1e-04" in text
    assert "docs/theory.md#els-intercept" in text
    # negative control: other published numbers give other printed values
    other = els._intercept_claim(_published(1.70, 1.75), det3)
    assert "differ by 0.05" in other and "differ by 0.16" not in other


def test_els_heavy_tail_claim_counts_what_fired():
    det = [{"source": "monte_carlo", "heavy_tail_fired": 3, "heavy_tail_points": 5},
           {"source": "monte_carlo", "heavy_tail_fired": 0, "heavy_tail_points": 5},
           {"source": "monte_carlo_els", "heavy_tail_fired": 4, "heavy_tail_points": 4},
           {"source": "exact"}]
    text = els._heavy_tail_claim(det)
    assert "conditional: 3 of 10 points" in text and "[ELS]-sized: 4 of 4 points" in text
    assert "docs/theory.md#heavy-tails" in text


def test_els_typed_in_claim_prints_measured_values():
    s = {"as_published": {"3": {"u4_0_typed_in": -63.0, "u6_0_typed_in": 50.0}},
         "els_sized_bias": [{"width": 3, "sigma_w": 1.0, "u4_exact": -42.77}],
         "k_star": [{"width": 3, "sigma_b": 1.0, "setup": "a", "order": 6, "u6_ir": -235833.0}]}
    text = els._typed_in_claim(s)
    assert "-42.77" in text and "-63" in text and "1.47 times" in text
    assert "-2.3583e+05" in text and "u6 = 50" in text and "#kappa-sign" in text
    s["els_sized_bias"][0]["u4_exact"] = -50.0
    assert "1.26 times" in els._typed_in_claim(s)
    assert els._typed_in_claim({"as_published": {}, "els_sized_bias": [], "k_star": []}) == ""



def test_hms_locality_table_has_no_nan_and_no_long_digits(tmp_path):
    """The locality table once printed "(-1.500000000000000000 +- 0.000000000000000059)e-09"
    (an exact fit) and "-7.5e-10 +- n/a" (a degenerate basis); now the exact fit prints at
    most 8 digits of its value and the degenerate models say "not identifiable" and why."""
    rows = [{"activation": "relu", "N": 20, "model": "local", "lambda_0": -1.5e-09,
             "lambda_0_err": 5.9e-26, "identifiable": True, "train_rel_err": 4.6e-16,
             "test_rel_err": 1.6e-15},
            {"activation": "relu", "N": 20, "model": "local+y2", "lambda_0": -7.5e-10,
             "lambda_0_err": None, "lambda_2": -1.05e-13, "lambda_2_err": None,
             "identifiable": False, "train_rel_err": 4.2e-16, "test_rel_err": 1.7e-15}]
    summary = {"quick": True, "wall_s": 1.0, "exact": {"locality": rows},
               "monte_carlo": {}, "reference": {}, "files": []}
    hms._write_summary(tmp_path, summary)
    md = (tmp_path / "summary.md").read_text()
    table = md[md.index("| net | N | model"):]
    assert "n/a" not in table and "nan" not in table
    assert "| -1.5000000e-09 +- 5.9e-26 |" in table
    assert "| relu | 20 | local+y2 | not identifiable | not identifiable |" in table
    assert "not identifiable (relu N = 20 local+y2): the model's basis integrals" in table


def test_run_stages_times_each_stage_in_order_and_lists_files(tmp_path, capsys):
    from nnqft.reproduce import SUMMARY_FILES, output_files, run_stages

    calls = []

    def stage(tag):
        def run(out, summary):
            calls.append(tag)
            (out / f"{tag}.png").write_bytes(b"")
            (out / f"{tag}.log").write_text("")  # not a figure or NetCDF: not listed
        return run

    summary = {}
    run_stages("demo", (("b", stage("b")), ("a", stage("a"))), (tmp_path, summary), summary,
               progress=True)
    assert calls == ["b", "a"] and list(summary["timings_s"]) == ["b", "a"]
    assert all(t >= 0 for t in summary["timings_s"].values())
    assert summary["wall_s"] >= sum(summary["timings_s"].values())
    err = capsys.readouterr().err
    assert "demo: stage b done in" in err and err.index("stage b") < err.index("stage a")
    assert output_files(tmp_path) == ["a.png", "b.png", *SUMMARY_FILES]
    assert output_files(tmp_path, ("summary.json",)) == ["a.png", "b.png", "summary.json"]
    run_stages("quiet", (("c", stage("c")),), (tmp_path, summary), summary, progress=False)
    assert capsys.readouterr().err == ""

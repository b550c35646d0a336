"""The documentation is self-contained: no citation of files outside the repository, and every
citation of a docs/theory.md section points at a heading that exists.

These scan the repository's own files (README.md, Makefile, pyproject.toml, src, tests, docs,
benchmarks, examples), so they fail as soon as someone cites a note that is not shipped or
renames a section.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("README.md", "Makefile", "pyproject.toml", "src", "tests", "docs", "benchmarks",
           "examples")
SUFFIXES = {".py", ".md", ".toml", ".txt", ".cfg", ".sh", ".html", ".json", ""}
# Assembled so that this file does not contain the strings it looks for.
FORBIDDEN = ("physics" + ".md", ".." + "/shared")


def _repo_files() -> list[Path]:
    """Tracked and untracked-but-not-ignored files under SCANNED (git), else a plain walk."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *SCANNED],
            cwd=ROOT, capture_output=True, text=True, check=True, timeout=60).stdout
        files = [ROOT / line for line in out.splitlines() if line]
    except (OSError, subprocess.SubprocessError):
        files = [p for s in SCANNED for p in ([ROOT / s] if (ROOT / s).is_file()
                                               else (ROOT / s).rglob("*"))]
    return [p for p in files if p.is_file() and p.suffix in SUFFIXES
            and "__pycache__" not in p.parts and "results" not in p.parts]


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces -> '-'."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def _anchors(md: Path) -> set[str]:
    text = md.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.M)}


def test_slug_rules():
    assert _slug("Exact finite width") == "exact-finite-width"
    assert _slug("Set-ups") == "set-ups"
    assert _slug("Raw versus canonical") == "raw-versus-canonical"
    assert _slug("Phi6 system") == "phi6-system"


def _forbidden_hits(files, root) -> list[str]:
    hits = []
    for p in files:
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for i, line in enumerate(text.splitlines(), 1):
            for bad in FORBIDDEN:
                if bad in line:
                    hits.append(f"{p.relative_to(root)}:{i}: {line.strip()[:100]}")
    return hits


def test_no_citation_of_files_outside_the_repository():
    files = _repo_files()
    assert len(files) > 50, "the scan found too few files to be meaningful"
    assert ROOT / "docs" / "theory.md" in files
    hits = _forbidden_hits(files, ROOT)
    assert not hits, "cite docs/*.md instead:\n" + "\n".join(hits)


def test_the_scan_detects_a_forbidden_citation(tmp_path):
    """Negative control: the same scan finds both kinds of citation in a planted file."""
    p = tmp_path / "x.py"
    p.write_text(f"# see {FORBIDDEN[0]} section 5\n# and {FORBIDDEN[1]}/docs\nok = 1\n",
                 encoding="utf-8")
    assert len(_forbidden_hits([p], tmp_path)) == 2


CITATION = re.compile(r"theory\.md#([\w-]+)((?:,\s*#[\w-]+)*)")


def test_theory_citations_point_at_existing_sections():
    theory = ROOT / "docs" / "theory.md"
    if not theory.exists():
        pytest.fail("docs/theory.md is missing")
    anchors = _anchors(theory)
    assert {"exact-finite-width", "heavy-tails", "reference-numbers", "glossary"} <= anchors
    missing = []
    for p in _repo_files():
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for m in CITATION.finditer(text):
            names = [m.group(1)] + re.findall(r"#([\w-]+)", m.group(2))
            missing += [f"{p.relative_to(ROOT)}: #{a}" for a in names if a not in anchors]
    # links inside theory.md itself: (#anchor)
    for a in re.findall(r"\]\(#([\w-]+)\)", theory.read_text(encoding="utf-8")):
        if a not in anchors:
            missing.append(f"docs/theory.md: #{a}")
    assert not missing, "no such section in docs/theory.md:\n" + "\n".join(sorted(set(missing)))


def test_docs_index_lists_every_document():
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    for md in sorted((ROOT / "docs").glob("*.md")):
        if md.name != "index.md":
            assert f"({md.name})" in index, f"docs/index.md does not list {md.name}"


def test_tests_named_in_theory_exist():
    """docs/theory.md names the test that reproduces each number: those tests must exist.

    References are written `tests/FILE.py::test_name`, or `::test_name` for the file named
    just before.
    """
    text = (ROOT / "docs" / "theory.md").read_text(encoding="utf-8")
    current = None
    checked, missing = 0, []
    for m in re.finditer(r"(tests/[\w/]+\.py)?::(test_\w+)", text):
        current = m.group(1) or current
        assert current is not None, f"::{m.group(2)} without a file before it"
        path = ROOT / current
        if not path.exists() or not re.search(rf"^def {m.group(2)}\(",
                                               path.read_text(encoding="utf-8"), flags=re.M):
            missing.append(f"{current}::{m.group(2)}")
        checked += 1
    assert checked >= 30
    assert not missing, "tests named in docs/theory.md that do not exist:\n" + "\n".join(missing)

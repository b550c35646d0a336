"""``report.md`` (tables and figures) and its HTML rendering, written atomically."""

from __future__ import annotations

import html
import math
from pathlib import Path

from .store import atomic_write_text

__all__ = ["fmt", "fmt_pm", "md_table", "write_report", "render_html"]


def fmt(v, digits: int = 4) -> str:
    """A number for a table: ``-`` for missing or nan, general format otherwise."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return "-"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}g}"


def fmt_pm(value, err, digits: int = 4) -> str:
    """``value ± err`` with the value rounded to the error's last digit (two significant
    digits of the error, :func:`nnqft.stats.format_value_error`); the value alone when there
    is no error (None: exact); ``value ± n/a`` when the error is nan."""
    from ..stats import format_value_error

    if value is None or err is None:
        return fmt(value, digits)
    return format_value_error(value, err, plain_digits=digits).replace(" +- ", " ± ")


def md_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    esc = [[str(c).replace("|", "\\|") for c in r] for r in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in esc]
    return "\n".join(lines)


def render_html(markdown: str, title: str) -> str:
    """HTML rendering of the report (markdown-it, CommonMark plus tables)."""
    try:
        from markdown_it import MarkdownIt

        body = MarkdownIt("commonmark").enable("table").render(markdown)
    except ImportError:  # pragma: no cover - markdown-it comes with rich
        body = f"<pre>{html.escape(markdown)}</pre>"
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
             "padding:2px 8px;text-align:right}img{max-width:100%}code{background:#f4f4f4}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{style}</style></head><body>\n{body}</body></html>\n")


def write_report(directory: str | Path, title: str, sections: list[str]) -> Path:
    """Write ``report.md`` and ``report.html`` into ``directory``; returns the Markdown path."""
    directory = Path(directory)
    text = f"# {title}\n\n" + "\n\n".join(s.strip() for s in sections if s) + "\n"
    atomic_write_text(directory / "report.html", render_html(text, title))
    atomic_write_text(directory / "report.md", text)
    return directory / "report.md"

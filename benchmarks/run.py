"""Run every benchmark module ``benchmarks/bench_*.py`` and print/save its table.

Each module defines ``run(quick: bool = False) -> dict`` returning
``{"name": str, "columns": [..], "rows": [[..], ..], "notes": str}``. Results are printed as
tables and saved as JSON under ``benchmarks/results/<name>.json`` together with the machine and
package versions. Timings are ratios against a baseline measured in the same run wherever a
baseline exists (machines here are noisy).

Usage: ``python benchmarks/run.py [--quick] [NAME ...]``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _table(res: dict) -> str:
    cols = [str(c) for c in res["columns"]]
    rows = [[f"{v:.4g}" if isinstance(v, float) else str(v) for v in r] for r in res["rows"]]
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))
    out = [line, "-" * len(line)]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    ap.add_argument("names", nargs="*", help="benchmark names (file stems without bench_)")
    args = ap.parse_args()
    import numpy
    import scipy

    paths = sorted(HERE.glob("bench_*.py"))
    if args.names:
        paths = [p for p in paths if p.stem[len("bench_"):] in args.names]
    (HERE / "results").mkdir(exist_ok=True)
    for p in paths:
        t0 = time.perf_counter()
        res = _load(p).run(quick=args.quick)
        res["wall_s"] = time.perf_counter() - t0
        res["machine"] = {"python": sys.version.split()[0], "platform": platform.platform(),
                          "numpy": numpy.__version__, "scipy": scipy.__version__,
                          "quick": args.quick}
        print(f"\n== {res['name']} ({res['wall_s']:.1f} s)")
        print(_table(res))
        if res.get("notes"):
            print(res["notes"])
        (HERE / "results" / f"{res['name']}.json").write_text(json.dumps(res, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Runs trafilatura over an extraction benchmark directory, for the side-by-side table of
`extract-bench --trafilatura`.

Usage: trafilatura_bench.py DIR OUT.jsonl

DIR holds html/<id>.html.gz (or .html). Writes one JSON line {"id", "articleBody"} per page to OUT and
prints one JSON object with the page count and the CPU and wall seconds spent extracting (pages are
read and decompressed before timing starts). Settings: trafilatura's defaults with comments off and
the fallback extractors on, as the benchmark figures in docs/quality.md quote it.
Needs `pip install trafilatura lxml_html_clean`.
"""
import gzip
import json
import sys
import time
from pathlib import Path

try:
    import trafilatura
except ImportError as e:  # say so plainly: the Rust side prints this
    sys.exit(f"trafilatura is not installed ({e}); pip install trafilatura lxml_html_clean")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    html_dir, out = Path(sys.argv[1]) / "html", Path(sys.argv[2])
    pages = []
    for f in sorted(html_dir.iterdir()):
        if f.name.endswith(".html.gz"):
            pages.append((f.name[: -len(".html.gz")], gzip.decompress(f.read_bytes())))
        elif f.name.endswith(".html"):
            pages.append((f.name[: -len(".html")], f.read_bytes()))
    cpu, wall = time.process_time(), time.perf_counter()
    results = []
    for pid, html in pages:
        try:
            text = trafilatura.extract(html, include_comments=False) or ""
        except Exception:  # one bad page must not stop the run; it scores as empty
            text = ""
        results.append((pid, text))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    with out.open("w", encoding="utf8") as f:
        for pid, text in results:
            f.write(json.dumps({"id": pid, "articleBody": text}) + "\n")
    print(json.dumps({"pages": len(pages), "cpu_secs": cpu, "wall_secs": wall, "version": trafilatura.__version__}))


if __name__ == "__main__":
    main()

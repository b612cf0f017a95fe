#!/usr/bin/env python3
"""List the cells that take longer than a threshold, from the timing of a full-size run.

Two sources, read, never run:

* executed notebooks that carry nbclient's per-cell timing: with ``record_timing`` (its
  default, and what ``jupyter execute`` and ``jupyter nbconvert --execute`` do) every code
  cell gets ``metadata.execution`` with ISO timestamps, and a cell's time is
  ``shell.execute_reply - iopub.execute_input``;
* ``tools/slow_cells.json``, where ``make refresh`` (tools/run_notebooks.py) keeps the cells of
  its last full-size run that took 30 s or more (it strips the timing from the notebooks it
  commits).  This is the default when no file is given.

Usage::

    python tools/slow_cells.py                                  # from tools/slow_cells.json
    python tools/slow_cells.py --update INSTRUCTORS.md          # ... into INSTRUCTORS.md's table
    python tools/slow_cells.py --threshold 10 build/timed/*.ipynb
    python tools/slow_cells.py --markdown build/timed/*.ipynb   # the table, printed

Timed copies without ``make refresh``, for example::

    mkdir -p build/timed
    .venv/bin/jupyter execute --output '../build/timed/{notebook_name}' notebooks/0*.ipynb
    .venv/bin/python tools/slow_cells.py --update INSTRUCTORS.md build/timed/*.ipynb

The table names each cell by the heading of the notebook section it is in (INSTRUCTORS.md's
convention: a numbered heading in double quotes, any other in guillemets), and by the first
line of its code.  ``--update`` rewrites the part of the file between ``<!-- slow-cells:begin -->``
and ``<!-- slow-cells:end -->``.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime
from pathlib import Path

BEGIN, END = "<!-- slow-cells:begin -->", "<!-- slow-cells:end -->"
ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "tools" / "slow_cells.json"


def _when(stamp: str) -> datetime:
    # nbclient writes e.g. 2026-12-01T20:14:03.123456Z
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def cell_seconds(cell: dict) -> float | None:
    """The cell's execution time in seconds, or None when the notebook carries no timing for it."""
    ex = cell.get("metadata", {}).get("execution", {})
    start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
    if not (start and end):
        return None
    return (_when(end) - _when(start)).total_seconds()


def first_line(cell: dict) -> str:
    src = cell.get("source", "")
    src = "".join(src) if isinstance(src, list) else src
    for line in src.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()
    return src.strip().splitlines()[0] if src.strip() else ""


def slow_cells(path: Path, threshold: float):
    """(timed cells, [(index, seconds, first line)] of the cells over ``threshold``)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    timed, slow = 0, []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        s = cell_seconds(cell)
        if s is None:
            continue
        timed += 1
        if s > threshold:
            slow.append((i, s, first_line(cell)))
    return timed, slow


def slow_cells_from_record(record_path: Path, threshold: float):
    """[(notebook path, (timed, slow))] from run_notebooks.py's record {path: [[index, seconds], ...]}.

    Only cells at or above the record's own limit are in it, so "timed" counts those."""
    record = json.loads(Path(record_path).read_text(encoding="utf-8"))
    out = []
    for name, cells in sorted(record.items()):
        nb_path = ROOT / name
        sources = json.loads(nb_path.read_text(encoding="utf-8"))["cells"] if nb_path.exists() else []
        slow = [(i, s, first_line(sources[i]) if i < len(sources) else "")
                for i, s in cells if s > threshold]
        out.append((nb_path, (max(len(cells), 1), slow)))
    return out


def heading_above(path: Path, index: int) -> str:
    """The heading of the section that cell ``index`` of notebook ``path`` is in, quoted as INSTRUCTORS.md
    names it ("3. One run, every level", «Discussion»); "(before the first heading)" when there is none."""
    cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", []) if Path(path).exists() else []
    for cell in reversed(cells[:index + 1]):
        if cell.get("cell_type") != "markdown":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        heads = [line.lstrip("#").strip() for line in src.splitlines() if re.match(r"#{1,6}\s", line)]
        if heads:
            h = heads[-1]
            return f'"{h}"' if re.match(r"\d+\.\s", h) else f"«{h}»"
    return "(before the first heading)"


def _short(path: Path) -> str:
    m = re.match(r"(\d\d)_", path.name)
    short = m.group(1) if m else path.stem
    return short + " (solution)" if path.parent.name == "solutions" else short


def markdown(results, threshold: float) -> str:
    lines = ["| notebook | in the section | time | what it runs |", "|---|---|---|---|"]
    for path, (timed, slow) in results:
        for i, s, text in slow:
            text = text.replace("|", "\\|")
            if len(text) > 70:
                text = text[:67] + "..."
            lines.append(f"| {_short(path)} | {heading_above(path, i)} | {s:.0f} s | `{text}` |")
    if len(lines) == 2:
        lines.append(f"| - | - | - | no cell over {threshold:.0f} s |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path,
                    help=f"executed notebooks, or a record like {RECORD.relative_to(ROOT)} (the default)")
    ap.add_argument("--threshold", type=float, default=30.0, help="seconds (default 30)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--update", type=Path, metavar="FILE",
                    help=f"replace the table between {BEGIN} and {END} in FILE")
    args = ap.parse_args(argv)
    paths = args.notebooks or [RECORD]
    results = []
    for p in paths:
        if p.suffix == ".json":
            if not p.exists():
                print(f"{p} does not exist: run `make refresh` (full size) first, or pass timed notebooks",
                      file=sys.stderr)
                return 1
            results += slow_cells_from_record(p, args.threshold)
        else:
            results.append((p, slow_cells(p, args.threshold)))
    untimed = [p for p, (timed, _) in results if timed == 0]
    if untimed:
        print(f"no timing recorded in: {', '.join(str(p) for p in untimed)}\n"
              "(run them with nbclient's record_timing, e.g. `jupyter execute`; see --help)", file=sys.stderr)
    results = [(p, r) for p, r in results if r[0]]
    if not results:
        return 1

    table = markdown(results, args.threshold)
    if args.update:
        text = args.update.read_text(encoding="utf-8")
        if BEGIN not in text or END not in text:
            print(f"{args.update}: no {BEGIN} ... {END} section", file=sys.stderr)
            return 1
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        args.update.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")
        print(f"{args.update}: {sum(len(s) for _, (_, s) in results)} cells over {args.threshold:.0f} s")
    elif args.markdown:
        print(table)
    else:
        for path, (timed, slow) in results:
            print(f"{path}: {len(slow)} of {timed} timed cells over {args.threshold:.0f} s")
            for i, s, text in slow:
                print(f"  c{i:<3} {s:7.1f} s  {text[:80]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

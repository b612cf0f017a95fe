#!/usr/bin/env python3
"""Re-execute notebooks in place, so their committed outputs are fresh and clean.

Usage::

    python tools/run_notebooks.py                      # notebooks/*.ipynb and solutions/*.ipynb, full size
    python tools/run_notebooks.py notebooks/02_*.ipynb # only these
    python tools/run_notebooks.py --quick              # quick mode (TEXTPOST_QUICK=1), e.g. to try it out
    python tools/run_notebooks.py --timeout 3600       # seconds per cell (0: no limit)

Each notebook runs with the kernel ``python3`` and its own folder as the
working directory; the full-size run (the default) removes ``TEXTPOST_QUICK``
from the kernel's environment.  A notebook is written back only when every
cell ran; a cell that raises fails the run (exit status 1) unless it is
tagged ``raises-exception``.  Before writing, outputs are cleaned of the
machine's paths (the repository root becomes ``.``, the home directory
``~``, anything under /tmp a placeholder) and of per-run timing metadata.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from textpost.config import ROOT, RUN_METADATA, repo_relative  # noqa: E402
from textpost.timing import format_seconds  # noqa: E402

DEFAULT_GLOBS = ("notebooks/*.ipynb", "solutions/*.ipynb")
#: where the full-size run records the cells that took at least SLOW_CELL_S seconds
CELL_TIMES = ROOT / "tools" / "slow_cells.json"
SLOW_CELL_S = 30.0
RAISES_TAG = "raises-exception"
TMP_PLACEHOLDER = "<tmp>"
#: characters that end a path inside an output (quotes, brackets, ANSI colour codes, ...)
_PATH_CHARS = r"[^\s'\"<>()\[\]{},;:|\x1b\\]"


# --------------------------------------------------------------------------- scrubbing machine paths

def _variants(path: Path) -> list[str]:
    """The spellings of ``path`` that may appear in outputs (as given and with symlinks resolved)."""
    out = []
    for p in (str(path), os.path.realpath(path)):
        p = p.rstrip("/")
        if p and p != "/" and p not in out:
            out.append(p)
    return sorted(out, key=len, reverse=True)


def make_scrubber(root: Path = ROOT, home: str | None = None, tmp_dirs=None):
    """A function text -> text that replaces the machine's paths.

    Order matters: the repository root first (it may live under the home
    directory or under /tmp), then the home directory, then temporary folders.
    """
    home = os.path.expanduser("~") if home is None else home
    tmp_dirs = tmp_dirs if tmp_dirs is not None else {"/tmp", "/var/tmp", tempfile.gettempdir()}
    rules = []
    end = r"(?=[/\s'\"<>()\[\]{},;:|\x1b\\]|$)"
    for p in _variants(root):
        rules.append((re.compile(re.escape(p) + end), "."))
    if home and home.rstrip("/"):
        for p in _variants(Path(home)):
            rules.append((re.compile(re.escape(p) + end), "~"))
    tmp_rx = "|".join(re.escape(t) for t in _variants_many(tmp_dirs))
    if tmp_rx:
        rules.append((re.compile(rf"(?:{tmp_rx})(?:/{_PATH_CHARS}*)?{end}"), TMP_PLACEHOLDER))

    def scrub(text: str) -> str:
        for rx, repl in rules:
            text = rx.sub(repl, text)
        return text

    return scrub


def _variants_many(paths) -> list[str]:
    out = []
    for p in paths:
        for v in _variants(Path(p)):
            if v not in out:
                out.append(v)
    return sorted(out, key=len, reverse=True)


def _scrub_value(value, scrub):
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrub_value(v, scrub) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_value(v, scrub) for k, v in value.items()}
    return value


def clean_notebook(nb, scrub) -> None:
    """Scrub machine paths from every output and drop per-run metadata (in place)."""
    for cell in nb.cells:
        for key in RUN_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = _scrub_value(out["text"], scrub)
            if "data" in out:
                for mime, value in list(out["data"].items()):
                    # base64 images are not text; SVG is
                    if mime.startswith("image/") and mime != "image/svg+xml":
                        continue
                    out["data"][mime] = _scrub_value(value, scrub)
            if out.get("output_type") == "error":
                out["ename"] = scrub(out.get("ename", ""))
                out["evalue"] = scrub(out.get("evalue", ""))
                out["traceback"] = [scrub(t) for t in out.get("traceback", [])]
    # ipykernel's own names for its kernel: any other display name, and JupyterLab marks the
    # notebook as changed as soon as it opens it
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


# --------------------------------------------------------------------------- running


def run_notebook(path: Path, quick: bool, timeout: int | None, kernel: str, scrub) -> bool:
    """Execute ``path`` in place; return whether it ran without an unexpected error."""
    nb = nbformat.read(path, as_version=4)
    n_code = sum(1 for c in nb.cells if c.cell_type == "code")
    shown = repo_relative(path)
    interactive = sys.stdout.isatty()
    state = {"index": 0, "start": 0.0}

    def on_start(cell, cell_index, **_):
        if cell.cell_type != "code":
            return
        state["index"] += 1
        state["start"] = time.perf_counter()
        if interactive:
            print(f"\r  cell {state['index']}/{n_code} ...", end="", flush=True)

    def on_done(cell, cell_index, **_):
        if cell.cell_type != "code":
            return
        dt = time.perf_counter() - state["start"]
        state.setdefault("times", []).append((cell_index, dt))
        if dt >= 10 and not interactive:
            print(f"  cell {state['index']}/{n_code} (notebook cell {cell_index + 1}) took {format_seconds(dt)}",
                  flush=True)

    os.environ["TEXTPOST_PROGRESS"] = "0"   # no progress bars in the stored outputs
    env_before = os.environ.get("TEXTPOST_QUICK")
    if quick:
        os.environ["TEXTPOST_QUICK"] = "1"
    else:
        os.environ.pop("TEXTPOST_QUICK", None)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name=kernel, allow_errors=False, record_timing=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
        on_cell_start=on_start, on_cell_executed=on_done)
    print(f"{shown}: running {n_code} code cells ({'quick' if quick else 'full'} mode)", flush=True)
    t0 = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        if interactive:
            print()
        print(f"FAILED {shown} after {format_seconds(time.perf_counter() - t0)} "
              f"(cell {state['index']}/{n_code}); the file was not changed", flush=True)
        print(scrub(str(e)), file=sys.stderr)
        print("  (a cell that is meant to fail needs the tag 'raises-exception')", file=sys.stderr)
        return False
    finally:
        if env_before is None:
            os.environ.pop("TEXTPOST_QUICK", None)
        else:
            os.environ["TEXTPOST_QUICK"] = env_before
    elapsed = time.perf_counter() - t0
    if interactive:
        print("\r", end="")
    for i, cell in enumerate(nb.cells):
        if RAISES_TAG in cell.metadata.get("tags", []) and not any(
                o.get("output_type") == "error" for o in cell.get("outputs", [])):
            print(f"  warning: cell {i + 1} is tagged {RAISES_TAG} but raised nothing", file=sys.stderr)
    clean_notebook(nb, scrub)
    nbformat.write(nb, str(path))
    if not quick:
        record_cell_times(shown, state.get("times", []))
    print(f"ok     {shown}: {format_seconds(elapsed)}", flush=True)
    return True


def record_cell_times(name: str, times) -> None:
    """Keep the slow cells of the last full-size run in CELL_TIMES (for INSTRUCTORS.md:
    an instructor starts those cells early).  Cell numbers are 0-based, in file order."""
    record = json.loads(CELL_TIMES.read_text()) if CELL_TIMES.exists() else {}
    record[name] = [[i, round(dt, 1)] for i, dt in times if dt >= SLOW_CELL_S]
    CELL_TIMES.write_text(json.dumps(dict(sorted(record.items())), indent=1) + "\n")


def find_notebooks(paths) -> list[Path]:
    if paths:
        out = []
        for p in paths:
            p = Path(p)
            if p.is_dir():
                out += sorted(p.glob("*.ipynb"))
            elif p.suffix == ".ipynb" and p.exists():
                out.append(p)
            else:
                raise SystemExit(f"error: not a notebook: {p}")
        return out
    return [p for pattern in DEFAULT_GLOBS for p in sorted(ROOT.glob(pattern))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: notebooks/ and solutions/)")
    parser.add_argument("--quick", action="store_true", help="run in quick mode (TEXTPOST_QUICK=1)")
    parser.add_argument("--timeout", type=int, default=1800,
                        help="seconds allowed per cell; 0 means no limit (default: 1800)")
    parser.add_argument("--kernel", default="python3", help="kernel name (default: python3)")
    parser.add_argument("--fail-fast", action="store_true", help="stop at the first notebook that fails")
    args = parser.parse_args(argv)

    notebooks = find_notebooks(args.paths)
    if not notebooks:
        print("no notebooks to run")
        return 0
    scrub = make_scrubber(ROOT)
    timeout = args.timeout if args.timeout > 0 else None
    failed = []
    t0 = time.perf_counter()
    for path in notebooks:
        if not run_notebook(path, args.quick, timeout, args.kernel, scrub):
            failed.append(repo_relative(path))
            if args.fail_fast:
                break
    total = format_seconds(time.perf_counter() - t0)
    if failed:
        print(f"{len(failed)} of {len(notebooks)} notebooks failed ({total}): {', '.join(failed)}")
        return 1
    print(f"all {len(notebooks)} notebooks ran ({total})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

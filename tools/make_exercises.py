#!/usr/bin/env python3
"""Generate ``exercises/`` from ``solutions/`` (the single source of every exercise).

Usage::

    python tools/make_exercises.py            # (re)generate exercises/NN_topic.ipynb
    python tools/make_exercises.py --check    # exit 1, listing the files, when exercises/ is out of date
    python tools/make_exercises.py --force    # also overwrite exercises edited by hand
    python tools/make_exercises.py solutions/03_python.ipynb   # only this one

What generation does to each ``solutions/NN_topic.ipynb``:

* every region between a line ``### BEGIN SOLUTION`` and a line
  ``### END SOLUTION`` in a code cell is replaced by a stub (in C++ cells the
  markers may be written ``// ### BEGIN SOLUTION`` / ``// ### END SOLUTION``):

  - Python code and ``%%cython`` cells: a hint comment and
    ``raise NotImplementedError(...)`` at the region's indentation;
  - ``%%writefile name.cpp`` cells (C++): ``throw std::runtime_error("not
    implemented yet: ...");`` between ``// BEGIN YOUR CODE`` and
    ``// END YOUR CODE`` (the file must include ``<stdexcept>``).

  Text after the BEGIN marker becomes the hint shown in the stub, e.g.
  ``### BEGIN SOLUTION crop the label image to the component's box``.
  A region anywhere else (a markdown cell, another cell magic) is an error.
* outputs and execution counts are cleared (nbconvert's ``ClearOutputPreprocessor``),
  and all metadata but the cells' tags and the notebook's kernel and language
  (nbconvert's ``ClearMetadataPreprocessor``).

Generation never overwrites an exercise a learner has edited without asking.
``exercises/.generated.json`` records the sha256 of what was last written for
each exercise; an existing exercise whose content differs from that record was
edited.  On a terminal you are asked ``overwrite? [y/N]``; otherwise the file
is skipped with a message, and ``--force`` overwrites it.  ``--check`` never
writes anything.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

try:
    import nbformat
    from nbconvert.preprocessors import ClearMetadataPreprocessor, ClearOutputPreprocessor

    from textpost.config import ROOT, repo_relative
except ImportError as err:   # a Python without the workshop's packages (e.g. the system's python3)
    sys.exit(f"tools/make_exercises.py needs the workshop's Python ({err}): run `make exercises`, "
             f"or .venv/bin/python tools/make_exercises.py --check")

MANIFEST = ".generated.json"

#: a marker line: optional indentation, optional ``//`` (C++), ``### BEGIN SOLUTION`` / ``### END SOLUTION``,
#: then optionally a hint (only meaningful after BEGIN)
_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?://[ \t]*)?###[ \t]*(?P<kind>BEGIN|END)[ \t]+SOLUTION\b(?P<rest>.*)$")

PY_HINT = "replace the line below with your solution"
PY_MESSAGE = "exercise: write your solution here"
CPP_MESSAGE = "not implemented yet: write your solution between BEGIN YOUR CODE and END YOUR CODE"


class GenerationError(Exception):
    """A solution notebook that cannot be turned into an exercise (unbalanced markers, ...)."""


# --------------------------------------------------------------------------- stubs

def _cell_kind(cell) -> str:
    """'python' or 'cpp': the kind of stub a region in this cell gets.

    The notebooks hold Python cells, ``%%cython`` cells (Python-like stubs) and
    ``%%writefile name.cpp`` cells (C++); anything else is reported as unsupported.
    """
    if cell.cell_type != "code":
        return f"{cell.cell_type} cell"
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    if first.startswith("%%writefile"):
        return "cpp" if first.endswith(".cpp") else first
    if first.startswith("%%") and not first.startswith("%%cython"):
        return first.split()[0]
    return "python"


def _hint(rest: str) -> str:
    return rest.strip().lstrip(":-").strip()


def _stub(kind: str, indent: str, hint: str) -> list[str]:
    if kind == "python":
        return [f"{indent}# YOUR CODE HERE: {hint or PY_HINT}",
                f"{indent}raise NotImplementedError({PY_MESSAGE!r})"]
    if kind == "cpp":
        lines = [f"{indent}// BEGIN YOUR CODE"]
        if hint:
            lines.append(f"{indent}// hint: {hint}")
        lines += [f'{indent}throw std::runtime_error("{CPP_MESSAGE}");',
                  f"{indent}// END YOUR CODE"]
        return lines
    raise AssertionError(kind)


def stub_source(source: str, kind: str, where: str = "cell") -> tuple[str, int]:
    """Replace every solution region of ``source``; return the new source and the number of regions."""
    lines = source.split("\n")
    out: list[str] = []
    n_regions = 0
    begin_line = None
    for lineno, line in enumerate(lines, 1):
        m = _MARKER.match(line)
        if m is None:
            if begin_line is None:
                out.append(line)
            continue
        if m.group("kind") == "BEGIN":
            if begin_line is not None:
                raise GenerationError(f"{where}, line {lineno}: BEGIN SOLUTION inside the region "
                                      f"opened at line {begin_line}")
            if kind not in ("python", "cpp"):
                raise GenerationError(f"{where}, line {lineno}: solution regions are not supported in "
                                      f"{kind} (only in Python, %%cython and %%writefile *.cpp cells)")
            begin_line = lineno
            out.extend(_stub(kind, m.group("indent"), _hint(m.group("rest"))))
        else:
            if begin_line is None:
                raise GenerationError(f"{where}, line {lineno}: END SOLUTION without BEGIN SOLUTION")
            begin_line = None
            n_regions += 1
    if begin_line is not None:
        raise GenerationError(f"{where}, line {begin_line}: BEGIN SOLUTION is never closed by END SOLUTION")
    return "\n".join(out), n_regions


# --------------------------------------------------------------------------- notebooks

def _load_raw(path: Path):
    """Read a notebook without nbformat's repairs (which would invent random cell ids)."""
    return nbformat.reader.reads(path.read_text(encoding="utf-8"))


def make_exercise(solution, name: str = "notebook"):
    """The exercise notebook generated from a solution notebook (which is changed in place)."""
    warnings = []
    for index, cell in enumerate(solution.cells):
        kind = _cell_kind(cell)
        where = f"{name}, cell {index + 1}"
        cell.source, n = stub_source(cell.source, kind, where)
        if n and kind == "cpp" and "<stdexcept>" not in cell.source:
            warnings.append(f"{where}: the C++ stub throws std::runtime_error; add #include <stdexcept>")
    nb, _ = ClearOutputPreprocessor().preprocess(solution, {})
    nb, _ = ClearMetadataPreprocessor(preserve_cell_metadata_mask={"tags"},
                                      preserve_nb_metadata_mask={"kernelspec", "language_info"}).preprocess(nb, {})
    return nb, warnings


def render(nb) -> str:
    """The file content for ``nb``: nbformat's stable JSON, ending with one newline."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- the manifest

def read_manifest(exercises: Path) -> dict:
    path = exercises / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        print(f"warning: {path} is not valid JSON; treating every existing exercise as edited",
              file=sys.stderr)
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def render_manifest(manifest: dict) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"


# --------------------------------------------------------------------------- the command

@dataclass
class Plan:
    solution: Path
    exercise: Path
    text: str           # what generation would write
    warnings: list



def plan(solutions: Path, exercises: Path, only: list[Path] | None = None) -> list[Plan]:
    if only:
        sources = []
        for p in only:
            p = Path(p)
            if not p.exists() and (solutions / p.name).exists():
                p = solutions / p.name
            if not p.exists():
                raise GenerationError(f"no such solution notebook: {p}")
            sources.append(p)
    else:
        sources = sorted(solutions.glob("*.ipynb"))
    plans = []
    for src in sources:
        nb, warnings = make_exercise(_load_raw(src), name=repo_relative(src))
        plans.append(Plan(src, exercises / src.name, render(nb), warnings))
    return plans


def _ask(question: str) -> bool:
    try:
        answer = input(question)
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def check(plans: list[Plan], exercises: Path, manifest: dict, full: bool) -> int:
    """Report every exercise that differs from what generation would write now; never writes."""
    problems = []
    for p in plans:
        if not p.exercise.exists():
            problems.append(f"{repo_relative(p.exercise)}: missing (generated from {repo_relative(p.solution)})")
        elif p.exercise.read_text(encoding="utf-8") != p.text:
            problems.append(f"{repo_relative(p.exercise)}: differs from what {repo_relative(p.solution)} generates")
        elif manifest.get(p.exercise.name) != sha256(p.text):
            problems.append(f"{repo_relative(exercises / MANIFEST)}: out of date for {p.exercise.name}")
    if full:
        generated = {p.exercise.name for p in plans}
        for name in sorted(set(manifest) - generated):
            if (exercises / name).exists():
                problems.append(f"{repo_relative(exercises / name)}: its solution notebook no longer exists "
                                "(delete the exercise)")
    if problems:
        print("exercises/ is out of date:")
        for line in problems:
            print(f"  {line}")
        print("run `make exercises` (or python tools/make_exercises.py) and commit the result")
        return 1
    print(f"exercises/ is up to date ({len(plans)} notebooks)")
    return 0


def generate(plans: list[Plan], exercises: Path, manifest: dict, force: bool, full: bool) -> int:
    interactive = sys.stdin is not None and sys.stdin.isatty()
    exercises.mkdir(parents=True, exist_ok=True)
    new_manifest = dict(manifest)
    skipped = []
    for p in plans:
        name = p.exercise.name
        shown = repo_relative(p.exercise)
        new_hash = sha256(p.text)
        if p.exercise.exists():
            current = p.exercise.read_text(encoding="utf-8")
            if current == p.text:
                new_manifest[name] = new_hash
                print(f"up to date  {shown}")
                continue
            edited = manifest.get(name) != sha256(current)
            if edited and not force:
                if interactive:
                    ok = _ask(f"{shown} was edited since it was generated; overwrite? [y/N] ")
                else:
                    ok = False
                    print(f"skipped     {shown}: it was edited since it was generated; "
                          "pass --force to overwrite it (your changes will be lost)", file=sys.stderr)
                if not ok:
                    skipped.append(shown)
                    continue
        p.exercise.write_text(p.text, encoding="utf-8")
        new_manifest[name] = new_hash
        print(f"wrote       {shown}")
        for w in p.warnings:
            print(f"warning: {w}", file=sys.stderr)
    if full:
        for name in sorted(set(new_manifest) - {p.exercise.name for p in plans}):
            if (exercises / name).exists():
                print(f"note: {repo_relative(exercises / name)} has no solution notebook any more; "
                      "delete it if it is not needed", file=sys.stderr)
            else:
                del new_manifest[name]
    text = render_manifest(new_manifest)
    manifest_path = exercises / MANIFEST
    if not manifest_path.exists() or manifest_path.read_text(encoding="utf-8") != text:
        manifest_path.write_text(text, encoding="utf-8")
    if skipped:
        print(f"{len(skipped)} edited exercise(s) left as they are", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="solution notebooks to process (default: every solutions/*.ipynb)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 listing the exercises that are out of date")
    parser.add_argument("--force", action="store_true",
                        help="overwrite exercises even when they were edited since generation")
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions", help="default: solutions/")
    parser.add_argument("--exercises", type=Path, default=ROOT / "exercises", help="default: exercises/")
    args = parser.parse_args(argv)
    try:
        plans = plan(args.solutions, args.exercises, args.notebooks)
    except GenerationError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    manifest = read_manifest(args.exercises)
    full = not args.notebooks
    if args.check:
        return check(plans, args.exercises, manifest, full)
    if not plans:
        print(f"no solution notebooks in {repo_relative(args.solutions)}")
        return 0
    return generate(plans, args.exercises, manifest, args.force, full)


if __name__ == "__main__":
    sys.exit(main())

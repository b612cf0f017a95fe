"""The committed notebooks are clean: right kernel, no stray errors or machine paths, linked in order.

Checked for every notebook in notebooks/, solutions/ and exercises/ (each test
is skipped while its folder is still empty):

- the kernel is ``python3``, named as the installed ipykernel names it;
- no error output except in cells tagged ``raises-exception``;
- no path of the machine that ran them in any output (tools/run_notebooks.py scrubs them);
- exercises/ has no outputs at all;
- every lecture and solution notebook ends with a markdown cell holding a
  "Next" link to a notebook that exists (the last of a folder may link back to
  the README instead);
- the links in README.md to local files resolve;
- the lessons 01-09 are written, not generated (their prose is Markdown, their size bounded): no code
  cell builds prose, each notebook keeps to its size, 01-08 guard their claims with ``claim(...)``;
- every notebook heading INSTRUCTORS.md names exists in that notebook.

While the series is being written, a link to a file that is plausibly still to
come (a numbered notebook after the last one, or a file in a folder with
nothing of its kind yet) skips the test with a message; a link to a missing
file among existing ones (a typo, a renamed notebook) fails it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "solutions", "exercises")
RAISES_TAG = "raises-exception"

#: path fragments that betray the machine a notebook ran on
MACHINE_PATHS = ["/root/", "/work/", "/tmp/", "/home/", "/Users/"]
_home = os.path.expanduser("~").rstrip("/")
for _p in (str(ROOT), _home):
    if _p and _p != "/" and _p + "/" not in MACHINE_PATHS:
        MACHINE_PATHS.append(_p + "/")


def _notebooks(*folders):
    return [p for folder in folders for p in sorted((ROOT / folder).glob("*.ipynb"))]


def _params(*folders):
    return [pytest.param(p, id=str(p.relative_to(ROOT))) for p in _notebooks(*folders)]


def _read(path: Path):
    return nbformat.read(str(path), as_version=4)


def _text_of(output) -> str:
    """Everything textual in one output (stream text, text-like data, error fields)."""
    parts = []
    text = output.get("text")
    if text:
        parts.append(text if isinstance(text, str) else "".join(text))
    for mime, value in output.get("data", {}).items():
        if mime.startswith("image/") and mime != "image/svg+xml":
            continue
        parts.append(value if isinstance(value, str) else repr(value))
    if output.get("output_type") == "error":
        parts += [output.get("ename", ""), output.get("evalue", "")] + list(output.get("traceback", []))
    return "\n".join(parts)


# --------------------------------------------------------------------------- links

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_MD_LINK = re.compile(r"!?\[(?P<text>[^\]]*)\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+[\"'][^)]*[\"'])?\s*\)")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(?P<target>\S+?)>?(?:\s+.*)?$", re.M)
_HTML_LINK = re.compile(r"""(?:href|src)\s*=\s*["'](?P<target>[^"']+)["']""", re.I)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def local_links(markdown: str) -> list[str]:
    """Targets of the links in ``markdown`` that point at local files (no URLs, no pure anchors)."""
    text = _INLINE_CODE.sub("", _FENCE.sub("", markdown))
    targets = [m.group("target") for rx in (_MD_LINK, _REF_DEF, _HTML_LINK) for m in rx.finditer(text)]
    out = []
    for t in targets:
        t = t.strip()
        if not t or t.startswith("#") or _SCHEME.match(t) or t.startswith("//"):
            continue
        t = unquote(t.split("#", 1)[0].split("?", 1)[0])
        if t and t not in out:
            out.append(t)
    return out


def _resolve(base: Path, target: str) -> Path:
    return (ROOT / target.lstrip("/")) if target.startswith("/") else (base / target)


def test_local_link_parser():
    md = ("See [the setup](notebooks/00_setup_check.ipynb#versions), [web](https://example.org), "
          "[top](#top), ![fig](docs/a%20b.png \"title\"), <a href='data/README.md'>data</a>\n"
          "```\n[not a link](in_code.md)\n```\n`[nor](this.md)`\n[ref]: tools/run_notebooks.py\n")
    assert local_links(md) == ["notebooks/00_setup_check.ipynb", "docs/a b.png", "tools/run_notebooks.py",
                               "data/README.md"]


def test_readme_links_resolve():
    readme = ROOT / "README.md"
    broken = [t for t in local_links(readme.read_text(encoding="utf-8")) if not _resolve(ROOT, t).exists()]
    assert not broken, f"README.md links to files that do not exist: {broken}"


# --------------------------------------------------------------------------- every notebook

@pytest.fixture(scope="module")
def python3_kernel():
    from jupyter_client.kernelspec import KernelSpecManager
    return KernelSpecManager().get_kernel_spec("python3")


@pytest.mark.parametrize("path", _params(*FOLDERS))
def test_kernel_is_python3(path, python3_kernel):
    # JupyterLab rewrites a kernelspec that differs from the kernel's own (even its display name),
    # and then shows the notebook as changed as soon as it opens (make check-browser's screenshot)
    spec = dict(_read(path).metadata.get("kernelspec", {}))
    want = {"name": "python3", "display_name": python3_kernel.display_name, "language": python3_kernel.language}
    assert spec == want, f"{path.name}: kernelspec is {spec}, expected {want} (tools/run_notebooks.py writes it)"


@pytest.mark.parametrize("path", _params(*FOLDERS))
def test_no_unexpected_errors(path):
    nb = _read(path)
    bad = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or RAISES_TAG in cell.metadata.get("tags", []):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                bad.append(f"cell {i + 1}: {out.get('ename')}: {out.get('evalue')}")
    assert not bad, (f"{path.name} has error outputs in cells not tagged {RAISES_TAG!r} "
                     f"(fix them, or tag cells that are meant to fail): {bad}")


@pytest.mark.parametrize("path", _params(*FOLDERS))
def test_no_machine_paths_in_outputs(path):
    nb = _read(path)
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            text = _text_of(out)
            for frag in MACHINE_PATHS:
                if frag in text:
                    line = next(ln for ln in text.splitlines() if frag in ln)
                    found.append(f"cell {i + 1}: {line.strip()[:120]!r}")
                    break
    assert not found, (f"{path.name} shows paths of the machine that ran it; re-run it with "
                       f"tools/run_notebooks.py (which scrubs them): {found}")


@pytest.mark.parametrize("path", _params("exercises"))
def test_exercises_have_no_outputs(path):
    nb = _read(path)
    with_outputs = [i + 1 for i, c in enumerate(nb.cells)
                    if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not with_outputs, (f"{path.name}: cells {with_outputs} have outputs or execution counts; "
                              "exercises are generated by `make exercises`, never committed executed")


@pytest.mark.parametrize("path", _params("notebooks", "solutions"))
def test_ends_with_next_link(path):
    nb = _read(path)
    assert nb.cells, f"{path.name} is empty"
    last = nb.cells[-1]
    assert last.cell_type == "markdown", f"{path.name}: the last cell must be markdown with a 'Next:' link"
    assert re.search(r"\bnext\b", last.source, re.I), f"{path.name}: the last cell has no 'Next' link"
    links = local_links(last.source)
    assert links, f"{path.name}: the last cell has no link to a local notebook: {last.source!r}"
    missing = [t for t in links if not _resolve(path.parent, t).exists()]
    assert not missing, f"{path.name}: the last cell links to files that do not exist: {missing}"
    series = sorted(path.parent.glob("*.ipynb"))
    is_last = path == series[-1]
    ok = [t for t in links if t.endswith(".ipynb")
          or (is_last and Path(t).name.lower() == "readme.md")]
    assert ok, (f"{path.name}: the 'Next' link must point to a notebook"
                + (" (or, as the last of the series, to the README)" if is_last else "")
                + f"; found {links}")


# --------------------------------------------------------------------------- lessons

LESSONS = [p for p in _notebooks("notebooks") if not p.name.startswith("00_")]


def test_the_series_is_there():
    """A deleted or renamed notebook fails here instead of silently dropping out of the tests."""
    assert len(LESSONS) >= 8, [p.name for p in LESSONS]


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in LESSONS])
def test_lesson_opens_with_objectives_and_ends_with_key_points(path):
    cells = _read(path).cells
    first = cells[0].source.lower()
    assert cells[0].cell_type == "markdown" and "objectives" in first, f"{path.name}: first cell has no objectives"
    assert re.search(r"\d+\s*min", first), f"{path.name}: the first cell gives no minutes"
    assert "prerequisite" in first, f"{path.name}: the first cell names no prerequisites"
    tail = [c for c in cells[-3:] if c.cell_type == "markdown"]
    assert any("key points" in c.source.lower() and c.source.count("\n- ") >= 2 for c in tail), \
        f"{path.name}: no Key points list (3-5 bullets, Markdown) in the last cells"
    assert any("predict" in c.source.lower() for c in cells if c.cell_type == "markdown"), \
        f"{path.name}: no 'predict, then run' prompt"


def _printed_conclusions(cell) -> bool:
    """A printed block of conclusions: stdout with a 'conclusion' heading or three or more '- ' bullets."""
    for out in cell.get("outputs", []):
        if out.get("output_type") != "stream" or out.get("name") != "stdout":
            continue
        lines = "".join(out.get("text", "")).splitlines()
        if sum(line.lstrip().startswith("- ") for line in lines) >= 3 or \
                any("conclusion" in line.lower() for line in lines):
            return True
    return False


@pytest.mark.parametrize("path", _params("notebooks", "solutions"))
def test_conclusions_are_rendered_markdown_not_printed(path):
    """Conclusions are written in Markdown cells, never printed: the rule fails on any stdout output
    that holds a line mentioning 'conclusion' or a list of three or more '- ' bullets."""
    bad = [i for i, c in enumerate(_read(path).cells) if c.cell_type == "code" and _printed_conclusions(c)]
    assert not bad, f"{path.name}: cells {bad} print conclusions as text; write them in a Markdown cell"


# --------------------------------------------------------------------------- lessons written, not generated
#
# Every sentence a learner reads is in a Markdown cell; a claim is guarded by one
# claim(...) call; a notebook keeps to 40 cells, 120 code lines around its lesson-code cells, 15 lines per
# code cell (a cell whose code is the lesson is tagged lesson-code and counted apart) and 50 prose words
# per teaching minute.

#: the lessons these rules hold for: 01-09, as far as they exist
WRITTEN = [p for p in _notebooks("notebooks") if re.match(r"0[1-9]_", p.name)]
#: the lessons that make measured claims: 01-08
CLAIMING = [p for p in WRITTEN if p.name[:2] <= "08"]
MAX_CELLS, MAX_CODE_LINES, MAX_CELL_LINES, WORDS_PER_MINUTE = 40, 120, 15, 50
#: an f-string with more than this many literal words is a sentence, not a label
MAX_FSTRING_WORDS = 5
LESSON_CODE = "lesson-code"
_WORD = re.compile(r"\S*[^\W_]\S*")                 # a whitespace-separated token with a letter or digit


def _written_params(paths):
    return [pytest.param(p, id=p.name) for p in paths]


def _python_source(source: str) -> str:
    """A cell's source as plain Python (IPython's magics become calls; a %%cell magic's body a string)."""
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(source)


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _is_text(node) -> bool:
    import ast
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _is_words(node) -> bool:
    """A text a learner reads: an f-string, or a string with a space or a plain word ("faster"), not a
    name such as "real_dense" or "numba.njit"."""
    import ast
    if isinstance(node, ast.JoinedStr):
        return True
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and (" " in node.value.strip() or re.fullmatch(r"[A-Za-z]{2,}", node.value) is not None))


def _call_name(node) -> str:
    import ast
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def prose_in_code(source: str) -> list[str]:
    """What in one code cell builds prose: ``Markdown(`` calls, f-strings with more than
    MAX_FSTRING_WORDS literal words, ``if ... else`` choosing between texts, and claim texts
    that are not plain string literals.  Empty when the cell is clean."""
    import ast
    try:
        tree = ast.parse(_python_source(source))
    except SyntaxError as e:
        return [f"does not parse as Python: {e.msg} (line {e.lineno})"]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) == "Markdown":
            found.append(f"line {node.lineno}: calls Markdown(...)")
        elif isinstance(node, ast.Call) and _call_name(node) == "claim" and node.args and not (
                isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append(f"line {node.lineno}: a claim whose text is not a plain string literal")
        elif isinstance(node, ast.JoinedStr):
            literal = " ".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if _words(literal) > MAX_FSTRING_WORDS:
                found.append(f"line {node.lineno}: an f-string of {_words(literal)} literal words "
                             f"(a sentence): {literal.strip()[:60]!r}")
        elif isinstance(node, ast.IfExp) and (_is_words(node.body) or _is_words(node.orelse)) \
                and "QUICK" not in ast.dump(node.test):                 # a quick-mode size or sample is data
            found.append(f"line {node.lineno}: an if ... else that chooses a text")
        elif isinstance(node, ast.If) and node.orelse:
            def prints_text(stmts):
                return any(isinstance(n, ast.Call) and _call_name(n) in ("print", "display")
                           and any(_is_text(a) for a in n.args) for s in stmts for n in ast.walk(s))
            if prints_text(node.body) and prints_text(node.orelse):
                found.append(f"line {node.lineno}: an if/else whose branches print different texts")
    return found


def _code_lines(cell) -> int:
    return sum(1 for line in cell.source.splitlines() if line.strip())


def teaching_minutes(path: Path) -> int:
    """The minutes of ``Teaching: N min`` in the notebook's first cell."""
    m = re.search(r"Teaching:\s*(\d+)\s*min", _read(path).cells[0].source)
    assert m, f"{path.name}: the first cell has no line 'Teaching: N min' (· Practice: M min)"
    return int(m.group(1))


def prose_words(path: Path) -> int:
    """Words a learner reads in the Markdown cells (link targets and HTML tags not counted)."""
    total = 0
    for c in _read(path).cells:
        if c.cell_type == "markdown":
            text = re.sub(r"<[^>]+>", " ", re.sub(r"\]\([^)]*\)", "]", c.source))
            total += _words(text)
    return total


def test_prose_rule_finds_what_it_should():
    """The detector of generated prose, on cells that break each rule and on clean ones."""
    bad = {
        "md": "from IPython.display import Markdown\nMarkdown('**done**')",
        "sentence": "x = 3\nprint(f'the level was {x}x faster than the reference on this page')",
        "word": "r = 2\nprint('faster' if r > 1 else 'slower')",
        "suffix": "print(f'{n} ms' + ('' if ok else ' (a tie)'))",
        "branches": "if t < 1:\n    print('meets the target')\nelse:\n    print(f'misses the target by {t}')",
        "claim": "claim(f'{name} is faster', True)",
    }
    for name, src in bad.items():
        assert prose_in_code(src), f"not caught: {name}"
    good = ["print(f'{n} words: {t:.1f} ms per page')",                # a label, 3 literal words
            "%timeit -o sum(range(10))",
            "%%cython\ndef f(x):\n    return 'a' if x else 'b'\n",       # Cython, not notebook prose
            "claim('numba and Cython tie', r.tie, measured=r)",
            "x = a if a > b else b",
            "PAGE = 'real_rotated' if config.QUICK else 'real_dense'",   # a sample chosen by mode: data
            "style = 'o' if main else 'x--'",
            "print(f'get_boxes_cpp on {n} words, one thread')"]          # an identifier is one word
    for src in good:
        assert not prose_in_code(src), f"flagged a clean cell: {src!r}: {prose_in_code(src)}"


@pytest.mark.parametrize("path", _written_params(WRITTEN))
def test_no_code_cell_builds_prose(path):
    bad = [f"cell {i}: {what}" for i, c in enumerate(_read(path).cells) if c.cell_type == "code"
           for what in prose_in_code(c.source)]
    assert not bad, (f"{path.name}: code cells build prose (write the sentence in a Markdown cell, print the "
                     f"numbers with show_table, guard the claim with claim(...)):\n  " + "\n  ".join(bad))


@pytest.mark.parametrize("path", _written_params(WRITTEN))
def test_lesson_size(path):
    cells = _read(path).cells
    code = [(i, c) for i, c in enumerate(cells) if c.cell_type == "code"]
    exempt = [(i, _code_lines(c)) for i, c in code if LESSON_CODE in c.metadata.get("tags", [])]
    print(f"{path.name}: {LESSON_CODE} cells exempt from the {MAX_CELL_LINES}-line limit: "
          + (", ".join(f"cell {i} ({n} lines)" for i, n in exempt) or "none"))
    problems = []
    if len(cells) > MAX_CELLS:
        problems.append(f"{len(cells)} cells (at most {MAX_CELLS})")
    # the budget counts the code around the lesson; a lesson-code cell (a %%cython kernel, a rung being
    # written, a profiler call) is the lesson itself and is counted apart, in the line printed above
    total = sum(_code_lines(c) for _, c in code)
    around = total - sum(n for _, n in exempt)
    print(f"{path.name}: {total} non-blank code lines, {around} outside {LESSON_CODE} cells")
    if around > MAX_CODE_LINES:
        problems.append(f"{around} non-blank code lines outside {LESSON_CODE} cells (at most {MAX_CODE_LINES})")
    long = [f"cell {i} ({_code_lines(c)} lines)" for i, c in code
            if _code_lines(c) > MAX_CELL_LINES and LESSON_CODE not in c.metadata.get("tags", [])]
    if long:
        problems.append(f"code cells over {MAX_CELL_LINES} lines, not tagged {LESSON_CODE!r}: {', '.join(long)}")
    minutes, words = teaching_minutes(path), prose_words(path)
    if words > WORDS_PER_MINUTE * minutes:
        problems.append(f"{words} words of prose for {minutes} teaching minutes "
                        f"(at most {WORDS_PER_MINUTE} per minute: {WORDS_PER_MINUTE * minutes})")
    assert not problems, f"{path.name}: " + "; ".join(problems)


@pytest.mark.parametrize("path", _written_params(CLAIMING))
def test_claims_are_guarded(path):
    import ast
    calls = [n for c in _read(path).cells if c.cell_type == "code" and not prose_in_code(c.source)
             for n in ast.walk(ast.parse(_python_source(c.source)))
             if isinstance(n, ast.Call) and _call_name(n) == "claim"]
    assert calls, f"{path.name}: no claim(...) call guards what its prose says about the run"


# --------------------------------------------------------------------------- INSTRUCTORS.md names headings
#
# The convention (stated at the top of INSTRUCTORS.md): a cell is named by the heading of the
# notebook section it is in, a numbered heading in double quotes ("3. One run, every level"), any
# heading in guillemets («Key points»), after the notebook's number: 08 "3. One run, every level".
# Inside a per-notebook section ("### 08 · ...") and in a table row whose first column is the
# notebook's number, the number may be left out.  Cells are never named by their index.

_NAMED = re.compile(r'(?:\b(\d\d)\s+)?(?:«([^»\n]+)»|["“](\d+\.\s[^"”\n]+)["”])')
_CELL_INDEX = re.compile(r"\bc\d{1,2}\b|\bcells? \d+\b")


def _norm(heading: str) -> str:
    return " ".join(heading.replace("`", "").replace("*", "").split())


def notebook_headings(path: Path) -> set[str]:
    return {_norm(line.lstrip("#")) for c in _read(path).cells if c.cell_type == "markdown"
            for line in c.source.splitlines() if re.match(r"#{1,6}\s", line)}


def heading_references(text: str) -> list[tuple]:
    """``(line number, folder, notebook number, heading)`` for every heading ``text`` names."""
    refs, section = [], None
    for no, line in enumerate(text.splitlines(), 1):
        m = re.match(r"#{1,6}\s+(\d\d)\b", line)
        if line.startswith("#"):
            section = m.group(1) if m else None
        row = re.match(r"\|\s*(\d\d)( \(solution\))?\s*\|", line)
        for g in _NAMED.finditer(line):
            number = g.group(1) or (row.group(1) if row else section)
            folder = "solutions" if row and row.group(2) and not g.group(1) else "notebooks"
            refs.append((no, folder, number, _norm(g.group(2) or g.group(3))))
    return refs


def test_heading_reference_parser():
    text = ('# Notes\nSee 08 "1. The rungs".\n### 03 · Python level\n- before «Key points», in "2. `Crop` it"\n'
            '## Slow cells\n| 01 | «A sweep» | 40 s |\n| 03 (solution) | "1. Time it" | 50 s |\n«Nowhere»\n'
            'Ask: "where could it come from?" (a quotation, not a heading)\n')
    assert heading_references(text) == [(2, "notebooks", "08", "1. The rungs"), (4, "notebooks", "03", "Key points"),
                                         (4, "notebooks", "03", "2. Crop it"), (6, "notebooks", "01", "A sweep"),
                                         (7, "solutions", "03", "1. Time it"), (8, "notebooks", None, "Nowhere")]


def heading_problems(text: str, root: Path = ROOT) -> list[str]:
    """What is wrong with the cells ``text`` (INSTRUCTORS.md) names: an index, or a heading not in its notebook."""
    problems = [f"line {no}: names a cell by index: {line.strip()[:80]}"
                for no, line in enumerate(text.splitlines(), 1) if _CELL_INDEX.search(line)]
    for no, folder, number, heading in heading_references(text):
        found = sorted((root / folder).glob(f"{number}_*.ipynb")) if number else []
        if number is None:
            problems.append(f"line {no}: «{heading}» names no notebook (write 'NN «{heading}»')")
        elif not found:
            problems.append(f"line {no}: no notebook {folder}/{number}_*.ipynb for «{heading}»")
        elif heading not in notebook_headings(found[0]):
            problems.append(f"line {no}: {found[0].name} has no heading «{heading}»")
    return problems


def test_instructors_names_headings_that_exist():
    problems = heading_problems((ROOT / "INSTRUCTORS.md").read_text(encoding="utf-8"))
    assert not problems, ("INSTRUCTORS.md must name cells by a heading of their notebook (see its top):\n  "
                          + "\n  ".join(problems))


def test_the_rules_reject_a_bad_notebook(tmp_path):
    """Each rule above fails on a notebook that breaks it, and passes the same notebook once fixed."""
    (tmp_path / "notebooks").mkdir()
    bad = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 01 · Bad\n\nTeaching: 1 min\n\n## Real heading\n\n" + "word " * 60),
        nbformat.v4.new_code_cell("from IPython.display import Markdown\nMarkdown(f'{1}')"),
        nbformat.v4.new_code_cell("\n".join(f"x{i} = {i}" for i in range(16))),
    ] + [nbformat.v4.new_markdown_cell("more") for _ in range(40)])
    path = tmp_path / "notebooks" / "01_bad.ipynb"
    nbformat.write(bad, str(path))
    for rule in (test_no_code_cell_builds_prose, test_lesson_size, test_claims_are_guarded):
        with pytest.raises(AssertionError):
            rule(path)
    good = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 01 · Good\n\nTeaching: 2 min\n\n## Real heading\n\n" + "word " * 60),
        nbformat.v4.new_code_cell("claim('a plain claim', True)"),
        nbformat.v4.new_code_cell("\n".join(f"x{i} = {i}" for i in range(16)), metadata={"tags": [LESSON_CODE]})])
    nbformat.write(good, str(path))
    for rule in (test_no_code_cell_builds_prose, test_lesson_size, test_claims_are_guarded):
        rule(path)
    notes = '### 01 · Good\n- at «Real heading»; at 01 "2. No such heading"; start c7 first\n'
    assert heading_problems(notes, tmp_path) == [
        'line 2: names a cell by index: - at «Real heading»; at 01 "2. No such heading"; start c7 first',
        "line 2: 01_bad.ipynb has no heading «2. No such heading»"]


# --------------------------------------------------------------------------- the day: README, INSTRUCTORS agree

def _table_rows(text: str, after: str) -> list[list[str]]:
    """The cells of the first Markdown table after the line starting with ``after``."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(after))
    rows, seen = [], False
    for line in lines[start + 1:]:
        if line.startswith("|"):
            seen = True
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not set("".join(cells)) <= set("-: "):
                rows.append(cells)
        elif seen:
            break
    return rows[1:]                                    # without the header


def _minutes(cell: str) -> int:
    """'30', '20 ([exercise](...))', '30 + 20', '-' or '' -> minutes."""
    return sum(int(n) for n in re.findall(r"^\d+|(?<=\+ )\d+", cell.replace("**", "")))


def _clock(cell: str) -> int:
    h, m = cell.split(":")
    return 60 * int(h) + int(m)


def test_readme_schedule_matches_the_notebooks():
    """Each notebook's own minutes (its last row in the README's schedule) are its header's, and the
    day's totals are the sums of the rows above them."""
    rows = _table_rows((ROOT / "README.md").read_text(encoding="utf-8"), "## Schedule")
    total = next(i for i, r in enumerate(rows) if "**" in r[1])
    day = rows[:total]
    assert (_minutes(rows[total][2]), _minutes(rows[total][3])) == (
        sum(_minutes(r[2]) for r in day), sum(_minutes(r[3]) for r in day)), f"the day's totals: {rows[total]}"
    own = {r[0]: r for r in rows if re.fullmatch(r"\d\d", r[0]) and r[0] != "00"}
    wrong = []
    for number, r in sorted(own.items()):
        found = sorted((ROOT / "notebooks").glob(f"{number}_*.ipynb"))
        if not found:
            continue
        head = _read(found[0]).cells[0].source
        teach = re.search(r"Teaching:\s*(\d+)\s*min", head)
        practice = re.search(r"Practice:\s*(\d+)\s*min", head)
        got = (int(teach.group(1)) if teach else None, int(practice.group(1)) if practice else 0)
        if got != (_minutes(r[2]), _minutes(r[3])):
            wrong.append(f"{found[0].name}: header says teaching {got[0]}, practice {got[1]}; "
                         f"README says {_minutes(r[2])} + {_minutes(r[3])}")
    assert not wrong, "the README's schedule and the notebooks' headers disagree:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("section,last", [("## The day's plan", "17:00"), ("### A half day", "13:00")])
def test_instructors_clock_adds_up(section, last):
    """In INSTRUCTORS.md's plans, each row starts when the one before it ends, and the day ends in time."""
    rows = _table_rows((ROOT / "INSTRUCTORS.md").read_text(encoding="utf-8"), section)
    wrong = []
    for row, nxt in zip(rows, rows[1:]):
        minutes = sum(_minutes(c) for c in row[2:4])
        if _clock(row[0]) + minutes != _clock(nxt[0]):
            wrong.append(f"{row[0]} + {minutes} min is not {nxt[0]} ({row[1][:40]})")
    assert not wrong, f"INSTRUCTORS.md, {section}: " + "; ".join(wrong)
    assert _clock(rows[-1][0]) <= _clock(last), f"{section} ends at {rows[-1][0]}, after {last}"


def test_instructors_day_uses_the_readme_minutes():
    """Every notebook row of INSTRUCTORS.md's day has the minutes of its row in the README's day."""
    readme = {}
    for r in _table_rows((ROOT / "README.md").read_text(encoding="utf-8"), "## Schedule"):
        if re.fullmatch(r"\d\d", r[0]):
            readme.setdefault(r[0], (_minutes(r[2]), _minutes(r[3])))   # the first row of a number: the day
    plan = _table_rows((ROOT / "INSTRUCTORS.md").read_text(encoding="utf-8"), "## The day's plan")
    got = {}
    for r in plan:
        m = re.search(r"\[(\d\d) ·", r[1])
        if m:
            t, p = got.get(m.group(1), (0, 0))
            got[m.group(1)] = (t + _minutes(r[2]), p + _minutes(r[3]))
    wrong = [f"{n}: INSTRUCTORS {got[n]}, README {readme.get(n)}" for n in sorted(got) if got[n] != readme.get(n)]
    assert not wrong, "INSTRUCTORS.md's day and the README's schedule disagree: " + "; ".join(wrong)

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
- the links in README.md to local files resolve.

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
    """Conclusions are Markdown (a Markdown cell, or IPython's Markdown display), never a print of
    f-strings: the rule fails on any stdout output that holds a line mentioning 'conclusion' or a
    list of three or more '- ' bullets."""
    bad = [i for i, c in enumerate(_read(path).cells) if c.cell_type == "code" and _printed_conclusions(c)]
    assert not bad, f"{path.name}: cells {bad} print conclusions as text; display them as Markdown"

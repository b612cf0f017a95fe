"""What each level cost to write and to run: the effort table of notebook 07.

Lines are counted in the files that implement a level (code lines only: no blank
lines, comments or docstrings), so the table stays true when the code changes.
"""
from __future__ import annotations

import io
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent

#: level -> (files, what it needs to run, build step, system packages)
LEVEL_FACTS = {
    "reference": (["reference.py"], "Python, NumPy, OpenCV", "none", "none"),
    "python": (["python_level.py::get_boxes_python,finish_boxes"], "Python, NumPy, OpenCV", "none", "none"),
    "numba": (["loops.py", "numba_level.py"], "numba (brings its own LLVM compiler)",
              "JIT on first call, cached on disk", "none"),
    "cython": (["cython_kernels.pyx", "cython_level.py"], "Cython + a C compiler",
               "compile a C extension", "a C compiler"),
    "cpp": (["cpp/textpost_cpp.cpp", "cpp_level.py", "cppbuild.py"],
            "a C++17 compiler, pkg-config, OpenCV C++ headers and libraries",
            "compile and link a C++ extension", "g++, pkg-config, libopencv-dev"),
}


def _python_code_lines(text: str) -> int:
    """Lines holding Python code (not blank, not only a comment, not a docstring)."""
    code_lines = set()
    prev = tokenize.INDENT
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return _c_code_lines(text, "#")
    for tok in tokens:
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                        tokenize.DEDENT, tokenize.ENDMARKER, tokenize.ENCODING):
            prev = tok.type if tok.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT) else prev
            continue
        if tok.type == tokenize.STRING and prev in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            prev = tokenize.NEWLINE if tok.end[0] > tok.start[0] else tok.type
            continue                                  # a docstring or a bare string statement
        code_lines.update(range(tok.start[0], tok.end[0] + 1))
        prev = tok.type
    return len(code_lines)


def _c_code_lines(text: str, comment: str = "//") -> int:
    n, in_block = 0, False
    for line in text.splitlines():
        s = line.strip()
        if in_block:
            if "*/" in s:
                in_block = False
            continue
        if s.startswith("/*"):
            in_block = "*/" not in s
            continue
        if s and not s.startswith(comment):
            n += 1
    return n


def code_lines(relpath: str) -> int:
    """Code lines of one file of the package, or of some of its functions (``file.py::f,g``)."""
    if "::" in relpath:
        import ast
        relpath, names = relpath.split("::")
        text = (PACKAGE / relpath).read_text()
        tree = ast.parse(text)
        lines = text.splitlines()
        return sum(_python_code_lines("\n".join(lines[node.lineno - 1:node.end_lineno]) + "\n")
                   for node in tree.body
                   if isinstance(node, ast.FunctionDef) and node.name in names.split(","))
    path = PACKAGE / relpath
    text = path.read_text()
    if path.suffix == ".py":
        return _python_code_lines(text)
    if path.suffix == ".pyx":
        return _c_code_lines(text, "#")
    return _c_code_lines(text, "//")


def effort_rows(levels) -> list[dict]:
    """One row per level: files, code lines, what it needs, build step, system packages."""
    rows = []
    for name in levels:
        if name not in LEVEL_FACTS:
            continue
        files, needs, build, system = LEVEL_FACTS[name]
        rows.append({"level": name,
                     "code_lines": sum(code_lines(f) for f in files),
                     "files": ", ".join(f.replace("::", ": ") for f in files),
                     "needs": needs, "build": build, "system": system})
    return rows


def print_effort(levels) -> list[dict]:
    rows = effort_rows(levels)
    print(f"{'level':<10}{'code lines':>11}  {'build step':<34}{'system packages':<32}files")
    for r in rows:
        print(f"{r['level']:<10}{r['code_lines']:>11}  {r['build']:<34}{r['system']:<32}{r['files']}")
    return rows

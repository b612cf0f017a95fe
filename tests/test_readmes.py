"""The two package and tools READMEs list every file once (the file lists are written twice: here they are tied)."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _listed(readme: Path) -> list[str]:
    """The names in the first column of the README's table (`name`)."""
    return re.findall(r"^\| `([^`]+)` \|", readme.read_text(encoding="utf-8"), re.M)


def test_textpost_readme_lists_every_module_once():
    listed = _listed(ROOT / "textpost" / "README.md")
    modules = sorted(p.name for p in (ROOT / "textpost").glob("*.py") if p.name != "__init__.py")
    assert sorted(n for n in listed if n.endswith(".py")) == modules
    assert "levels/" in listed and len(listed) == len(set(listed))


def test_tools_readme_lists_every_script_once():
    listed = _listed(ROOT / "tools" / "README.md")
    files = sorted(p.name for p in (ROOT / "tools").iterdir() if p.is_file() and p.name != "README.md")
    assert len(listed) == len(set(listed)), [n for n in listed if listed.count(n) > 1]
    assert sorted(n for n in listed if "/" not in n) == files


def test_levels_readme_has_a_row_for_every_registered_level():
    """Adding a level touches the registry and one README row: the two name the same levels."""
    from textpost.levels import REGISTRY
    text = (ROOT / "textpost" / "levels" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| [^|]+ \| ([^|]+) \|", text, re.M)
    named = {n for row in rows for n in re.findall(r"`(\w+)`", row)}
    assert named == {lv.name for lv in REGISTRY}

"""The set-up files agree with each other and with what the code needs."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# names that differ between PyPI and conda-forge, or that the conda route gets another way
CONDA_NAME = {"opencv-python-headless": "opencv-python-headless", "cython": "cython"}
CONDA_ONLY = {"python", "c-compiler", "cxx-compiler", "pkg-config", "libopencv", "make", "pip"}


def _norm(name):
    return name.strip().lower().replace("_", "-")


def requirements():
    out = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = re.split(r"(==|>=)", line)
            out[_norm(name)] = version
    return out


def environment():
    conda, pip = {}, {}
    section = None
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            section = "deps"
            continue
        m = re.match(r"^  - (pip:)?\s*(.*)$", line)
        m_pip = re.match(r"^      - (.*)$", line)
        if section and m_pip:
            spec = m_pip.group(1).strip()
            if not spec.startswith("-e"):
                name, _, version = re.split(r"(==|>=)", spec)
                pip[_norm(name)] = version
        elif section and m and not m.group(1):
            spec = m.group(2).strip()
            name, _, version = re.split(r"(=|>=)", spec, maxsplit=1) if re.search(r"[=>]", spec) else (spec, "", "")
            conda[_norm(name)] = version.lstrip("=")
    return conda, pip


def test_environment_yml_lists_the_same_python_packages_as_requirements():
    req = requirements()
    conda, pip = environment()
    env = {**conda, **pip}
    missing = sorted(set(req) - set(env))
    assert not missing, f"in requirements.txt but not in environment.yml: {missing}"
    extra = sorted(set(env) - set(req) - CONDA_ONLY)
    assert not extra, f"in environment.yml but not in requirements.txt: {extra}"
    for name, version in req.items():
        assert env[name] == version, f"{name}: requirements.txt says {version}, environment.yml {env[name]}"


def test_environment_yml_brings_the_compilers_and_opencv_cpp():
    conda, _ = environment()
    assert {"c-compiler", "cxx-compiler", "pkg-config", "libopencv"} <= set(conda)


def test_apt_txt_brings_the_cpp_toolchain():
    pkgs = (ROOT / "apt.txt").read_text().split()
    assert {"g++", "pkg-config", "libopencv-dev"} <= set(pkgs)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()


def test_the_weights_package_named_in_the_fix_is_the_pinned_one():
    """The detector's repair command names the weights package and version requirements.txt pins."""
    from textpost.craft_weights import FIX_COMMAND, WEIGHTS_PACKAGE, WEIGHTS_PACKAGE_VERSION
    assert requirements()[_norm(WEIGHTS_PACKAGE)] == WEIGHTS_PACKAGE_VERSION
    assert FIX_COMMAND.endswith(f"{WEIGHTS_PACKAGE}=={WEIGHTS_PACKAGE_VERSION}")


def test_one_python_version_everywhere():
    """The tested Python named by requirements.txt is the conda route's and CI's."""
    tested = re.search(r"Python (3\.\d+)", (ROOT / "requirements.txt").read_text()).group(1)
    conda, _ = environment()
    assert conda["python"] == tested
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):
        for version in re.findall(r"python-version:\s*\"?([\d.]+)", workflow.read_text()):
            assert version == tested, f"{workflow.name}: Python {version}, requirements.txt says {tested}"


def test_install_help_names_what_apt_txt_and_environment_yml_install():
    """The builder's install help (its errors, notebook 00) names the packages of apt.txt and environment.yml."""
    from textpost.build import INSTALL_BY_OS
    linux = INSTALL_BY_OS["Linux"]
    for pkg in (ROOT / "apt.txt").read_text().split():
        assert pkg in linux.split() or (pkg in ("g++", "make") and "build-essential" in linux), pkg
    conda, _ = environment()
    named = set(linux.split("conda install -c conda-forge")[1].split(",")[0].split())
    assert named == {"c-compiler", "cxx-compiler", "pkg-config", "libopencv"} and named <= set(conda)

#!/usr/bin/env bash
# Set-up for `make lab` and `make test`: system packages (apt.txt), a virtual
# environment in .venv with requirements.txt, and the textpost package (editable).
# With an active conda environment (environment.yml), that environment is used instead.
# Safe to run again: it only installs what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

# --- 1. system packages from apt.txt (C++ compiler, pkg-config, OpenCV C++ headers) ---
apt_pkgs=$(grep -v '^\s*#' apt.txt | xargs)
if command -v dpkg-query >/dev/null 2>&1; then
    missing=""
    for p in $apt_pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            say "installing system packages:$missing"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
            apt-get install -y -qq --no-install-recommends $missing >/dev/null
        else
            say "missing system packages:$missing"
            say "run this once, then run make again:"
            say "    sudo apt-get install -y --no-install-recommends$missing"
            say "(without them the C++ level cannot be built; the rest of the workshop works)"
        fi
    fi
elif ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists opencv4 2>/dev/null; then
    say "not a Debian/Ubuntu system: install a C++ compiler, pkg-config and OpenCV's C++ library"
    say "    macOS: xcode-select --install && brew install pkg-config opencv"
    say "    any OS: use the conda route (environment.yml), see README.md"
fi

# --- 2. Python environment ---
if [ -n "${CONDA_PREFIX:-}" ] && [ ! -d .venv ]; then
    PY="$CONDA_PREFIX/bin/python"
    say "using the active conda environment: $CONDA_PREFIX"
else
    if [ ! -x .venv/bin/python ]; then
        say "creating .venv"
        python3 -m venv .venv || { say "python3 -m venv failed: on Debian/Ubuntu run: sudo apt-get install python3-venv"; exit 1; }
    fi
    PY=.venv/bin/python
fi

stamp=".venv-installed"
[ "$PY" = ".venv/bin/python" ] && stamp=".venv/.installed"
want=$(cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing Python packages (requirements.txt) and textpost (editable)"
    "$PY" -m pip install -q --disable-pip-version-check -r requirements.txt
    "$PY" -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps -e .
    echo "$want" > "$stamp"
fi
say "ready: $("$PY" -c 'import sys, cv2, numpy, numba; print(f"Python {sys.version.split()[0]}, NumPy {numpy.__version__}, OpenCV {cv2.__version__}, numba {numba.__version__}")')"

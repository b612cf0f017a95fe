#!/usr/bin/env bash
# `make lab`: set up (tools/setup.sh), then JupyterLab on the repository root, notebook 00 first.
#
#   bash tools/lab.sh                 # what `make lab` runs: port 8888, or the next free one
#   PORT=8899 bash tools/lab.sh       # `make lab PORT=8899`: exactly this port (fails if it is taken)
#   NO_BROWSER=1 bash tools/lab.sh    # never try to open a browser, just print the URL
#   bash tools/lab.sh --ServerApp.x=y # any further arguments go to JupyterLab
#
# The server serves the repository root, so the file browser reaches notebooks/, exercises/
# and solutions/, and a link such as ../exercises/04_numba.ipynb in a notebook opens.
# It listens on localhost only. As root (Docker, many cloud VMs and WSL images, CI) it adds
# --allow-root, which Jupyter otherwise demands; a normal user never needs it.
# tests/test_lab.py starts the server through this very script, with TEXTPOST_LAB_SKIP_SETUP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

say() { printf '[lab] %s\n' "$*"; }

if [ "${TEXTPOST_LAB_SKIP_SETUP:-0}" != 1 ]; then
    bash tools/setup.sh
fi

# the same Python as tools/setup.sh and the Makefile: .venv, else the active conda environment
if [ -x .venv/bin/python ]; then
    PY=.venv/bin/python
elif [ -n "${CONDA_PREFIX:-}" ]; then
    PY="$CONDA_PREFIX/bin/python"
else
    PY=.venv/bin/python
fi

args=(
    --ServerApp.root_dir="$ROOT"                                   # the whole workshop, not notebooks/ only
    --LabApp.default_url=/lab/tree/notebooks/00_setup_check.ipynb  # ... with notebook 00 open first
    --ServerApp.ip=localhost
    --LabApp.app_settings_dir="$ROOT/tools/lab-settings"           # defaults: no prompt for Jupyter news or updates
)

# The port: $PORT exactly, else the first free one from 8888 on (as Jupyter itself would move on),
# chosen here so that the lines below name the port the server really uses.
port=${PORT:-}
if [ -z "$port" ]; then
    port=$("$PY" -c '
import socket
for port in range(8888, 8939):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("localhost", port))
        except OSError:
            continue
        print(port)
        break
')
    if [ -z "$port" ]; then
        say "ports 8888 to 8938 are all taken: choose one with make lab PORT=..."
        exit 1
    fi
    if [ "$port" != 8888 ]; then
        say "port 8888 is taken: using $port"
    fi
fi
args+=(--ServerApp.port="$port" --ServerApp.port_retries=0)

if [ "$(id -u)" = 0 ]; then
    args+=(--allow-root)
fi

# A Linux machine without a graphical session (SSH, container, WSL without a browser): do not let
# Python's webbrowser module start a text-mode browser in this terminal; print the URL instead.
no_browser=${NO_BROWSER:-}
if [ -z "$no_browser" ] && [ "$(uname -s)" = Linux ] && [ -z "${DISPLAY:-}" ] \
        && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${BROWSER:-}" ] && ! grep -qi microsoft /proc/version 2>/dev/null; then
    no_browser=1
fi
if [ "$no_browser" = 1 ]; then
    args+=(--no-browser)
    say "no browser here: open the URL that JupyterLab prints below (the line with ?token=),"
    say "starting with http://localhost:$port/lab (press Ctrl+C twice to stop the server)"
    say "from another machine: ssh -L $port:localhost:$port <this machine>, then open it there"
fi

exec "$PY" -m jupyterlab "${args[@]}" "$@"

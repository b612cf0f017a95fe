"""`make lab` starts JupyterLab on the repository root, as the user the tests run as (root in CI).

The server is started through tools/lab.sh, the script `make lab` runs, with set-up skipped
(the tests already run in the set-up environment), on a free localhost port and a known token.
Through the server's HTTP contents API the test reads notebook 00 and an exercise, checks that
every relative link in the notebooks and solutions resolves inside the served tree, then shuts
the server down through its API and checks that no process of it is left.
"""
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "tools" / "lab.sh"
START_TIMEOUT = 120          # seconds: a cold start of JupyterLab on a slow machine
STOP_TIMEOUT = 30

# [text](target) in Markdown, and href="target" / src="target" in HTML inside Markdown
LINK_RX = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|(?:href|src)=[\"']([^\"']+)[\"']")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, token, timeout=10, method="GET"):
    req = urllib.request.Request(url, method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:       # exists, owned by someone else: cannot be ours, but say alive
        return True
    return True


def relative_links(nb_path, root=ROOT):
    """(target path relative to ``root``, target as written) for every relative link in Markdown cells.

    A target that leaves ``root`` keeps its leading ``..``.
    """
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    here = PurePosixPath(nb_path.parent.relative_to(root).as_posix())
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for m in LINK_RX.finditer("".join(cell["source"])):
            target = m.group(1) or m.group(2)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith(("#", "/")):
                continue                              # http(s):, mailto:, in-page anchors, absolute
            path = urllib.parse.unquote(target.split("#")[0].split("?")[0])
            if not path:
                continue
            parts = []
            for p in (here / path).parts:
                if p == ".." and parts and parts[-1] != "..":
                    parts.pop()
                elif p != ".":
                    parts.append(p)
            out.append(("/".join(parts), target))
    return out


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab")
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")}
    env.update(PORT=str(port), JUPYTER_TOKEN=token, TEXTPOST_LAB_SKIP_SETUP="1", NO_BROWSER="1",
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
    log = (tmp / "lab.log").open("w+")
    proc = subprocess.Popen(["bash", str(LAB)], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    server = {"base": base, "token": token, "proc": proc, "log": log, "pgid": proc.pid}
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"make lab's server exited with {proc.returncode}:\n{log.read()[-3000:]}")
            try:
                status, _ = _get(f"{base}/api/status", token, timeout=2)
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                pass
            if time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the lab server did not answer within {START_TIMEOUT} s:\n{log.read()[-3000:]}")
            time.sleep(0.5)
        yield server
    finally:
        if proc.poll() is None:                       # the shutdown test did not run or failed
            os.killpg(server["pgid"], signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(server["pgid"], signal.SIGKILL)
                proc.wait(STOP_TIMEOUT)
        log.close()


def _contents(lab, path, content=True):
    url = f"{lab['base']}/api/contents/{urllib.parse.quote(path)}?content={int(content)}"
    status, body = _get(url, lab["token"])
    return status, json.loads(body)


def test_lab_serves_the_repository_root(lab):
    status, listing = _contents(lab, "")
    names = {item["name"] for item in listing["content"]}
    assert {"notebooks", "exercises", "solutions", "README.md"} <= names, names


def test_lab_serves_notebook_00_and_an_exercise(lab):
    for path in ("notebooks/00_setup_check.ipynb", "exercises/02_measure.ipynb"):
        status, model = _contents(lab, path)
        assert status == 200 and model["type"] == "notebook", path
        assert model["content"]["cells"], f"{path} came back without cells"


def test_lab_opens_notebook_00_first(lab):
    lab["log"].flush()
    text = Path(lab["log"].name).read_text()
    assert "/lab/tree/notebooks/00_setup_check.ipynb" in text, text[-2000:]
    # the URL to open is printed (there is no browser here)
    assert re.search(r"http://(localhost|127\.0\.0\.1):\d+/lab\S*\?token=", text), text[-2000:]


def test_lab_does_not_ask_about_jupyter_news(lab):
    # tools/lab-settings/overrides.json (lab.sh's --LabApp.app_settings_dir) changes the defaults,
    # so a learner's first start shows no prompt about news or updates (the room may be offline)
    url = f"{lab['base']}/lab/api/settings/@jupyterlab/apputils-extension:notification"
    status, body = _get(url, lab["token"])
    defaults = {k: v.get("default") for k, v in json.loads(body)["schema"]["properties"].items()}
    assert status == 200 and defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False, defaults


def test_lab_refuses_no_token(lab):
    req = urllib.request.Request(f"{lab['base']}/api/contents/notebooks")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code in (401, 403)


def test_every_relative_link_in_the_notebooks_resolves_through_the_server(lab):
    sources = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
    checked, broken = 0, []
    exercise_links = 0
    for nb in sources:
        for path, target in relative_links(nb):
            where = f"{nb.relative_to(ROOT)}: {target}"
            if path.startswith(".."):
                broken.append(f"{where} (outside the repository)")
                continue
            try:
                status, _ = _contents(lab, path, content=False)
            except urllib.error.HTTPError as err:
                broken.append(f"{where} (HTTP {err.code})")
                continue
            checked += 1
            exercise_links += path.startswith("exercises/")
    assert not broken, "links that do not open in the lab:\n" + "\n".join(broken)
    assert checked, "no relative links found: the link pattern is wrong"
    assert exercise_links, "no notebook links to an exercise any more"


def test_lab_shuts_down_cleanly(lab):
    """The last test that uses the server: shut it down through its API; no process of it is left."""
    proc = lab["proc"]
    status, _ = _get(f"{lab['base']}/api/shutdown", lab["token"], method="POST")
    assert status in (200, 204)
    assert proc.wait(STOP_TIMEOUT) == 0
    deadline = time.monotonic() + STOP_TIMEOUT
    while _group_alive(lab["pgid"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(lab["pgid"]), "processes of the lab server are still running"
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        _get(f"{lab['base']}/api/status", lab["token"], timeout=2)


def test_relative_links_parser(tmp_path):
    """The link pattern finds Markdown and HTML links and resolves '..' against the notebook's folder."""
    d = tmp_path / "notebooks"
    d.mkdir()
    nb = {"cells": [{"cell_type": "markdown", "source": [
        "[a](../exercises/04_numba.ipynb) [b](05_cython.ipynb#top) [c](https://x.org/a.ipynb)\n",
        '<a href="../GLOSSARY.md#dilation">d</a> [e](#anchor) [f](<../solutions/06_cpp.ipynb>) [h](../../up.md)']},
        {"cell_type": "code", "source": ["[g](nope.ipynb)"]}]}
    (d / "x.ipynb").write_text(json.dumps(nb))
    got = [p for p, _ in relative_links(d / "x.ipynb", root=tmp_path)]
    assert got == ["exercises/04_numba.ipynb", "notebooks/05_cython.ipynb", "GLOSSARY.md",
                   "solutions/06_cpp.ipynb", "../up.md"]


def test_lab_names_the_port_it_uses_when_8888_is_taken(tmp_path):
    """Without PORT and with 8888 taken, the `[lab]` lines (URL, ssh -L) name the port the server answers on."""
    token = secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "PORT")}
    env.update(JUPYTER_TOKEN=token, TEXTPOST_LAB_SKIP_SETUP="1", NO_BROWSER="1",
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    taken = socket.socket()
    try:
        taken.bind(("localhost", 8888))
        taken.listen()
    except OSError:
        pass                                          # taken already: the same case
    log = (tmp_path / "lab.log").open("w+")
    proc = subprocess.Popen(["bash", str(LAB)], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        port = None
        while port is None or not _answers(port, token):
            assert proc.poll() is None and time.monotonic() < deadline, _tail(log)
            log.seek(0)
            m = re.search(r"^\[lab\] starting with http://localhost:(\d+)/lab", log.read(), re.M)
            port = int(m.group(1)) if m else None
            time.sleep(0.5)
        log.seek(0)
        text = log.read()
        assert port != 8888 and f"[lab] port 8888 is taken: using {port}" in text
        assert f"ssh -L {port}:localhost:{port} " in text
        _get(f"http://127.0.0.1:{port}/api/shutdown", token, method="POST")
        assert proc.wait(STOP_TIMEOUT) == 0
    finally:
        taken.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(STOP_TIMEOUT)
        log.close()


def _answers(port, token):
    try:
        return _get(f"http://127.0.0.1:{port}/api/status", token, timeout=2)[0] == 200
    except (urllib.error.URLError, ConnectionError, socket.timeout):
        return False


def _tail(log):
    log.seek(0)
    return log.read()[-3000:]

"""The GitHub Actions workflow is valid, and runs what the README promises.

The linter is check-jsonschema (pinned in requirements.txt) with the GitHub workflow schema it
ships (SchemaStore's, vendored in the package: no network needed). It rejects what GitHub would
reject when the file is pushed: unknown keys, a job without `runs-on`, a step without `run` or
`uses`, wrong types. The second test proves that it does, on a deliberately broken copy.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "test.yml"


def lint(path):
    """(exit status, output) of the workflow linter on ``path``."""
    cmd = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return run.returncode, run.stdout + run.stderr


def load(path):
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True
    data["on"] = data.pop(True, data.get("on"))
    return data


@pytest.fixture(scope="module")
def linter():
    pytest.importorskip("check_jsonschema", reason="check-jsonschema is pinned in requirements.txt: run make setup")


def test_workflow_passes_the_linter(linter):
    status, out = lint(WORKFLOW)
    assert status == 0, f"{WORKFLOW.relative_to(ROOT)} does not lint:\n{out}"


def test_the_linter_rejects_a_broken_workflow(linter, tmp_path):
    text = WORKFLOW.read_text()
    broken = {
        "a job without runs-on": text.replace("    runs-on: ubuntu-24.04\n", "", 1),
        "a misspelled key": text.replace("    steps:\n", "    step:\n", 1),
        "a step with neither run nor uses": text.replace("        run: bash .ci/run\n", "", 1),
        "a mistyped value": text.replace("timeout-minutes: 60", "timeout-minutes: [60]", 1),
    }
    for what, copy in broken.items():
        assert copy != text, f"the test's edit for {what!r} no longer matches the workflow"
        path = tmp_path / "test.yml"
        shutil.copy(WORKFLOW, path)
        path.write_text(copy)
        status, out = lint(path)
        assert status != 0, f"the linter accepted {what}:\n{out}"
        assert "validation error" in out.lower(), f"the linter failed on {what} for another reason:\n{out}"


def test_workflow_runs_ci_on_push_and_pull_request():
    wf = load(WORKFLOW)
    assert {"push", "pull_request"} <= set(wf["on"])


def _steps_text(job):
    return "\n".join(str(step.get("run", "")) + " " + str(step.get("uses", "")) + " "
                     + " ".join(f"{k}={v}" for k, v in (step.get("with") or {}).items())
                     for step in job["steps"])


def test_one_job_runs_ci_run_on_ubuntu():
    jobs = load(WORKFLOW)["jobs"].values()
    assert any("ubuntu" in str(j["runs-on"]) and "bash .ci/run" in _steps_text(j) for j in jobs)


def test_one_job_takes_the_conda_route():
    jobs = load(WORKFLOW)["jobs"].values()
    conda = [j for j in jobs if "environment-file=environment.yml" in _steps_text(j)]
    assert conda, "no job creates the environment from environment.yml"
    assert any("make test" in _steps_text(j) for j in conda)
    # every step must run in a login shell, or the conda environment is not active
    assert all(re.search(r"\s-\w*l", j.get("defaults", {}).get("run", {}).get("shell", "")) for j in conda)

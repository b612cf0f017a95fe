"""A canary: CI must run in quick mode, or notebooks would take hours."""
import os

import pytest

from textpost import config


def test_ci_runs_in_quick_mode():
    if not os.environ.get("CI"):
        pytest.skip("not in CI (CI is set by .ci/run)")
    assert config.QUICK, "CI ran without TEXTPOST_QUICK=1: run the tests with `make test`"
    assert config.SIZE < 1280 and config.REPEAT <= 3

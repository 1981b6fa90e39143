"""The code base stays ruff-clean (rules in pyproject.toml)."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ruff():
    local = os.path.join(os.path.dirname(sys.executable), "ruff")
    return local if os.path.exists(local) else shutil.which("ruff")


@pytest.mark.skipif(not ruff(), reason="ruff is not installed (pip install -e .[test])")
def test_ruff_finds_nothing():
    result = subprocess.run([ruff(), "check", "--output-format", "concise", ROOT],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout

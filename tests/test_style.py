"""The tree follows its own style rules: `ruff check` (pyflakes, pycodestyle,
import order) and `ruff format --check` with the configuration in
pyproject.toml."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _ruff(*args):
    exe = shutil.which("ruff")
    cmd = [exe] if exe else [sys.executable, "-m", "ruff"]
    return subprocess.run(cmd + list(args), cwd=ROOT, capture_output=True, text=True)


@pytest.mark.skipif(
    not os.path.exists(os.path.join(ROOT, "pyproject.toml")),
    reason="runs from a source checkout only",
)
@pytest.mark.parametrize(
    "args", [("check", "."), ("format", "--check", ".")], ids=["lint", "format"]
)
def test_ruff(args):
    result = _ruff(*args)
    assert result.returncode == 0, result.stdout + result.stderr

"""The wheel configuration stays true to the tree: the test command that
cibuildwheel runs against every installed wheel names test files that exist."""

import os
import shlex

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYPROJECT = os.path.join(ROOT, "pyproject.toml")


@pytest.mark.skipif(
    not os.path.exists(PYPROJECT), reason="runs from a source checkout only"
)
def test_wheel_test_command_names_existing_test_files():
    tomllib = pytest.importorskip("tomllib")
    with open(PYPROJECT, "rb") as f:
        config = tomllib.load(f)["tool"]["cibuildwheel"]
    words = shlex.split(config["test-command"])
    assert words[0] == "pytest"
    files = [w for w in words if w.endswith(".py")]
    assert files, config["test-command"]
    for name in files:
        assert os.path.isfile(os.path.join(ROOT, name)), f"{name} does not exist"
        # the command runs from a copy of these
        assert any(name.startswith(src) for src in config["test-sources"])

"""The kernel and gradient tests again, against a bounds-checked debug build.

FASTMLP_DEBUG_BUILD=1 compiles the extensions with Cython's boundscheck,
initializedcheck and nonecheck on and without optimisation.  This test builds
such a copy of the package in a temporary folder and runs tests/test_elementwise.py,
tests/test_gemm.py (the matrix products, and the engine on the own kernels),
tests/test_gradients.py and tests/test_thread_team.py (the thread team) against it in a
subprocess, so an out-of-bounds memoryview access in the engine fails CI instead
of corrupting memory.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def debug_tree(tmp_path_factory):
    if not (ROOT / "setup.py").exists() or not (ROOT / "csrc").exists():
        pytest.skip("needs the source tree (setup.py, csrc/)")
    pytest.importorskip("Cython")
    tree = tmp_path_factory.mktemp("debug-build")
    for name in ("fastmlp", "csrc", "tests"):
        shutil.copytree(
            ROOT / name,
            tree / name,
            ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"),
        )
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    env = dict(os.environ, FASTMLP_DEBUG_BUILD="1")
    build = subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--inplace"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return tree


def test_kernels_gradients_and_team_pass_on_the_bounds_checked_build(debug_tree):
    # The build is the bounds-checked one: every module recorded the unoptimised
    # compile flags, and Cython emitted its buffer index checks (a release build
    # has none) in those that index memoryviews.
    for name in ("_blas", "_codes", "_gemm", "_net", "_optim", "_engine"):
        source = (debug_tree / "fastmlp" / "_kernels" / f"{name}.c").read_text()
        assert '"-O0"' in source and '"-O3"' not in source, name
        if name in ("_blas", "_gemm", "_net", "_engine"):
            assert "__Pyx_RaiseBufferIndexError(" in source, name
    env = dict(os.environ, PYTHONPATH=str(debug_tree))
    where = subprocess.run(
        [sys.executable, "-c", "import fastmlp._kernels._engine as e; print(e.__file__)"],
        cwd=debug_tree,
        env=env,
        capture_output=True,
        text=True,
    )
    assert str(debug_tree) in where.stdout, where.stdout + where.stderr
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_elementwise.py",
            "tests/test_gemm.py",
            "tests/test_gradients.py",
            "tests/test_thread_team.py",
            "-k",
            "not hold_on_either_side",
        ],
        cwd=debug_tree,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-3000:]
    # every test ran (none skipped; deselected: the own kernels' runs of whole test
    # files in a subprocess) and passed
    summary = run.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed, 2 deselected(, \d+ warnings?)? in .*", summary), (
        summary
    )

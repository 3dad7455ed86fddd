"""The C tests of csrc/ as tools/run_c_harness.sh runs them natively: the thread
team and the platform layer (futex and portable sleep), the own kernels (shapes
1..12 here), and the element-wise loops and optimizer steps of every build
variant the processor runs against their scalar build, bit for bit.  The other
ways (clang, ThreadSanitizer, mingw-w64 under wine, aarch64 under qemu) need
tools installed by hand: doc/development.rst."""

import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tools", "run_c_harness.sh")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(SCRIPT), reason="runs from a source checkout only")
@pytest.mark.skipif(
    not sys.platform.startswith("linux")
    or shutil.which("gcc") is None
    or shutil.which("objdump") is None,
    reason="needs Linux, gcc and objdump",
)
def test_c_harness_native():
    env = dict(os.environ, FM_TEST_MAXDIM="12")
    result = subprocess.run(
        ["bash", SCRIPT, "native"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    # one summary per program: team (futex), team (portable sleep), kernels, loops
    counts = re.findall(r"^(\d+) passed, (\d+) failed$", result.stdout, re.M)
    assert len(counts) == 4, out[-4000:]
    assert all(int(p) > 0 and int(f) == 0 for p, f in counts), out[-4000:]
    assert "variant package" in result.stdout

"""Regression guard for benchmarks/compare.py (the fastmlp vs scikit-learn vs PyTorch report).

Runs `python benchmarks/compare.py --quick` (toy sizes, one epoch; PyTorch only if
installed) in a subprocess and checks that it exits 0 and prints its report: the
header line, the markdown table header and the targets table. No timing is asserted.

    pytest tests/test_compare_script.py
"""

import subprocess
import tempfile
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "compare.py"


def test_compare_quick_runs_and_prints_table():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--threads", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        # Outside the source tree, so the installed (compiled) fastmlp is imported.
        cwd=tempfile.gettempdir(),
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    out = proc.stdout
    assert "| threads 1 |" in out
    assert "| configuration | X MiB | library | epochs | s/epoch |" in out
    assert "| target | measured | required | status |" in out
    for row in ("| fastmlp |", "| scikit-learn |"):
        assert row in out
    assert "predict_proba " in out and "lbfgs" in out and "CSR" in out

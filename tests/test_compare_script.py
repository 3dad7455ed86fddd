"""Regression guard for benchmarks/compare.py (the fastmlp vs scikit-learn vs PyTorch report).

Runs `python benchmarks/compare.py --quick` (toy sizes, one epoch; PyTorch only if
installed) in a subprocess and checks that it exits 0 and prints its report: the
header line, the markdown table header and the targets table, then the small-data
section (its table and targets). No timing is asserted.

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
    # The small-data section: both libraries and dtypes, and its targets.
    assert "Small data: per-call costs" in out
    assert "| call (digits 1797x64, (64,32)) | dtype | fastmlp | scikit-learn |" in out
    assert "| predict_proba, 10 rows | float32 |" in out
    assert "| fit, 40 epochs, early_stopping | float64 |" in out
    assert "| target: fastmlp vs scikit-learn | float32 | float64 | required | status |" in out

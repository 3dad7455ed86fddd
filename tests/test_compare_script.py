"""Regression guard for benchmarks/compare.py (the fastmlp vs scikit-learn vs PyTorch report)
and benchmarks/kernels.py (own small-GEMM kernels vs OpenBLAS).

Runs `python benchmarks/compare.py --quick` (toy sizes, one epoch; PyTorch only if
installed) in a subprocess and checks that it exits 0 and prints its report: the
header line, the markdown table header with every configuration's rows (the defaults,
the regressor with early stopping, the grid search) and the targets table, then the
small-data section (its table and targets). Runs `python benchmarks/kernels.py
--quick` the same way and checks its tables (the per-product one only where
fastmlp._kernels._gemm is built). No timing is asserted.

    pytest tests/test_compare_script.py
"""

import subprocess
import sys
import tempfile
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPT = BENCHMARKS / "compare.py"
KERNELS_SCRIPT = BENCHMARKS / "kernels.py"


def run_script(script, *args):
    proc = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        # Outside the source tree, so the installed (compiled) fastmlp is imported.
        cwd=tempfile.gettempdir(),
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_compare_quick_runs_and_prints_table():
    out = run_script(SCRIPT, "--quick", "--threads", "1")
    assert "| threads 1 |" in out
    assert "| configuration | X MiB | library | epochs | s/epoch |" in out
    assert "| target | measured | required | status |" in out
    for row in ("| fastmlp |", "| scikit-learn |"):
        assert row in out
    assert "predict_proba " in out and "lbfgs" in out and "CSR" in out
    assert "FASTMLP_KERNELS " in out
    # The realistic configurations, each measured for both libraries (no error text).
    for label in (
        "(100,) defaults 1 ep f64",
        "(100,) defaults 1 ep f32",
        "MLPRegressor 2000x25 (64,32) defaults 1 ep early stop f64",
        "GridSearchCV 4x3-fold 2000x20",
    ):
        rows = [line for line in out.splitlines() if label in line]
        libraries = {line.split(" | ")[2] for line in rows}
        assert {"fastmlp", "scikit-learn"} <= libraries, (label, rows)
    for target in (
        "defaults f32: fastmlp vs scikit-learn",
        "grid search f64",
        "regressor, early stopping f64",
        "MNIST-sized f64: fastmlp share",
    ):
        assert f"| {target}" in out
    # The small-data section: both libraries and dtypes, and its targets.
    assert "Small data: per-call costs" in out
    assert "| call (digits 1797x64, (64,32)) | dtype | fastmlp | scikit-learn |" in out
    assert "| predict_proba, 10 rows | float32 |" in out
    assert "| fit, 40 epochs, early_stopping | float64 |" in out
    assert (
        "| target: fastmlp vs scikit-learn | float32 | float64 | required | status |" in out
    )


def test_kernels_quick_runs_and_prints_tables():
    out = run_script(KERNELS_SCRIPT, "--quick", "--threads", "2")
    assert "GEMM rate (numpy matmul" in out
    assert (
        "| network | inputs | classes | dtype | threads | MFLOP/batch | epochs | "
        "us/batch blas | us/batch auto |"
    ) in out
    assert "| MNIST-sized (100,) | 784 | 10 | float32 | 2 |" in out
    assert "| wide (256,256) | 784 | 10 | float64 | 2 |" in out
    if "own kernels: not built" in out:
        assert "Section shapes skipped" in out
    else:
        assert "| shape (k, n) | op | M x K x N | dtype | GFLOP/s own" in out
        for op in ("forward", "weight grad", "delta back"):
            assert f"| (784, 100) | {op} |" in out
        assert "Own results differing" not in out


def test_compare_busy_runs_and_prints_its_table():
    out = run_script(SCRIPT, "--quick", "--busy", "1", "--only", "small-f64")
    assert "Busy machine: 1 other process spinning on the CPUs" in out
    assert (
        "| call | fastmlp | fastmlp first call | fastmlp 1 thread | fastmlp team "
        "(unmeasured) | scikit-learn | fastmlp / faster forced |"
    ) in out
    row = next(line for line in out.splitlines() if line.startswith("| 2000x20 (32,32)"))
    assert row.count(" ms |") == 5, row  # every variant measured
    assert "rows within 1.10x of the faster forced variant" in out

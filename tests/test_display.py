"""fastmlp.LossCurveDisplay, rendered with matplotlib's Agg backend."""

import subprocess
import sys
import tempfile

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmlp import LossCurveDisplay, MLPClassifier, MLPRegressor

X, Y = make_classification(n_samples=150, n_features=6, random_state=0)
XR, YR = make_regression(n_samples=150, n_features=6, noise=1.0, random_state=0)
YR = YR / YR.std()


@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def _line_data(line):
    return np.asarray(line.get_xdata(), dtype=float), np.asarray(
        line.get_ydata(), dtype=float
    )


def _render_png(display, path):
    display.figure_.savefig(path, format="png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_early_stopping_classifier(plt, tmp_path):
    est = MLPClassifier((8,), max_iter=30, early_stopping=True, n_iter_no_change=50,
                        random_state=0).fit(X, Y)  # fmt: skip
    display = LossCurveDisplay.from_estimator(est)
    assert isinstance(display, LossCurveDisplay)
    _render_png(display, tmp_path / "curve.png")

    epochs = np.arange(1, est.n_iter_ + 1)
    for line, curve in [
        (display.loss_line_, est.loss_curve_),
        (display.validation_loss_line_, est.validation_loss_curve_),
        (display.validation_score_line_, est.validation_scores_),
    ]:
        x, y = _line_data(line)
        assert_array_equal(x, epochs)
        assert_allclose(y, curve)
    # losses on the main axes, the score on its twin
    assert display.loss_line_.axes is display.ax_
    assert display.validation_loss_line_.axes is display.ax_
    assert display.validation_score_line_.axes is display.score_ax_
    assert display.score_ax_ is not display.ax_
    assert display.figure_ is display.ax_.figure
    assert display.ax_.get_xlabel() == "Epoch"
    assert "accuracy" in display.score_ax_.get_ylabel()
    assert display.ax_.get_title() == "MLPClassifier"
    labels = [t.get_text() for t in display.score_ax_.get_legend().get_texts()]
    assert labels == ["Training loss", "Validation loss", "Validation accuracy"]


def test_without_early_stopping_on_given_axes(plt, tmp_path):
    est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=15, random_state=0).fit(XR, YR)
    fig, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(
        make_pipeline(StandardScaler(), est).fit(XR, YR), ax=ax, name="mine",
        loss_kwargs={"color": "black"},
    )  # fmt: skip
    _render_png(display, tmp_path / "curve.png")
    assert display.ax_ is ax and display.figure_ is fig
    assert display.validation_loss_line_ is None and display.validation_score_line_ is None
    assert display.score_ax_ is None
    assert_allclose(_line_data(display.loss_line_)[1], est.loss_curve_)
    assert display.loss_line_.get_color() == "black"
    assert ax.get_title() == "mine"


def test_plot_returns_display_and_redraws(plt):
    display = LossCurveDisplay(
        loss_curve=[3.0, 2.0, 1.5], validation_scores=[0.5, 0.7, 0.8]
    )
    assert display.plot() is display
    first_ax = display.ax_
    _, ax = plt.subplots()
    display.plot(ax=ax)
    assert display.ax_ is ax is not first_ax
    assert_allclose(_line_data(display.validation_score_line_)[1], [0.5, 0.7, 0.8])


def test_scikit_learn_estimator(plt):
    est = SkMLPClassifier((8,), max_iter=20, early_stopping=True, random_state=0).fit(X, Y)
    display = LossCurveDisplay.from_estimator(est)
    assert display.validation_loss_line_ is None  # scikit-learn records no validation loss
    assert_allclose(_line_data(display.validation_score_line_)[1], est.validation_scores_)


def test_errors(plt):
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        LossCurveDisplay.from_estimator(MLPClassifier(solver="lbfgs", max_iter=5).fit(X, Y))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(MLPClassifier())


def test_matplotlib_is_imported_lazily():
    code = "import sys, fastmlp; print('matplotlib' in sys.modules)"
    # Run outside the source tree, so the installed (compiled) fastmlp is imported.
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tempfile.gettempdir(),
    )
    assert out.stdout.strip() == "False", out.stderr

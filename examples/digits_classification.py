"""
Handwritten digits: fastmlp against scikit-learn
================================================

scikit-learn's bundled digits data (1,797 8x8 images, 10 classes; no download).
Each model is ``make_pipeline(StandardScaler(), MLPClassifier(...))`` with the same
parameters and ``random_state`` for both libraries, so both learn the same network.
The table and the figure show the fit time, the test accuracy, the speed-up, whether
the two models predict the same and both libraries' training loss per epoch (the
curves lie on top of each other: it is the same training).

Run it from a clone of the repository::

    python examples/digits_classification.py           # full run
    python examples/digits_classification.py --quick   # a few seconds
"""

import argparse
import os
import sys

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fastmlp

try:
    _HERE = os.path.dirname(os.path.abspath(__file__))
except NameError:  # run by sphinx-gallery, from examples/ as the working directory
    _HERE = os.getcwd()
if _HERE not in sys.path:  # the shared table code in examples/_compare.py
    sys.path.insert(0, _HERE)
from _compare import compare, plot_comparison  # noqa: E402

# %%
# The models
# ----------
# The only difference between the two columns of the table is the class at the end
# of the pipeline: ``fastmlp.MLPClassifier`` or scikit-learn's ``MLPClassifier``.
# Three solvers: Adam on mini-batches of 32, SGD with Nesterov momentum, and L-BFGS.


def make_model(library, **params):
    MLP = fastmlp.MLPClassifier if library == "fastmlp" else SklearnMLPClassifier
    return make_pipeline(StandardScaler(), MLP(random_state=0, **params))


def main(quick=False):
    """Fit both libraries on digits; print the table and return its rows."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y)
    max_iter = 15 if quick else 200
    configs = [
        ("adam, (64,), batch 32",
         dict(hidden_layer_sizes=(64,), batch_size=32, max_iter=max_iter)),
        ("sgd+nesterov, (64, 32)",
         dict(hidden_layer_sizes=(64, 32), solver="sgd", learning_rate_init=0.05,
              max_iter=max_iter)),
        ("lbfgs, (64,)",
         dict(hidden_layer_sizes=(64,), solver="lbfgs", max_iter=max_iter)),
    ]
    print(f"digits: {len(X_train)} training / {len(X_test)} test images, "
          f"{X.shape[1]} pixels, 10 classes; max_iter={max_iter}\n")
    return compare(
        [(name, lambda lib, p=params: make_model(lib, **p)) for name, params in configs],
        X_train, y_train, X_test, y_test,
        repeats=3, score_name="test accuracy")


# %%
# Fit both libraries
# ------------------
# Each fit time is the best of three fits. ``n_iter_`` is the number of epochs
# (L-BFGS: iterations) each model ran, and the last column compares the two models'
# predicted classes on the test images.

if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Digits: fastmlp vs scikit-learn's MLPClassifier.")
    parser.add_argument("--quick", action="store_true",
                        help="few iterations, one timing run (seconds)")
    rows = main(quick=parser.parse_args().quick)

# %%
# The same numbers, drawn
# -----------------------
# Left, the fit times; middle, the test accuracies (equal); right, the training loss
# of every epoch of the two stochastic solvers: fastmlp's thick line and
# scikit-learn's dashed one coincide.

if __name__ == "__main__":
    import matplotlib.pyplot as plt

    plot_comparison(rows, "digits: fastmlp vs scikit-learn", "test accuracy")
    plt.show()

"""
Decision boundaries of the hidden activations
=============================================

fastmlp's hidden layers take scikit-learn's four activations
(``identity``, ``logistic``, ``tanh``, ``relu``) and seven more:
``leaky_relu``, ``elu``, ``selu``, ``softplus``, ``gelu``, ``silu`` and
``gaussian`` (see :ref:`activations`). Here a network of two hidden layers of
16 units with each of them learns the two interleaved half-moons of
``make_moons``; the figure shows the probability of the second class over the
plane and the accuracy on held-out points.

``identity`` makes the whole network linear, so its boundary is a straight
line. The piecewise-linear activations (``relu``, ``leaky_relu``) draw
boundaries made of straight pieces; the smooth ones (``tanh``, ``gelu``,
``silu``, ``softplus``, ...) curved ones; ``gaussian``, a bump rather than a
step, carves closed regions.

Run it as a script, ``python activation_decision_boundaries.py`` (at most
300 L-BFGS iterations; ``--quick``: 100), or as a notebook.
"""

import argparse
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split

import fastmlp

ACTIVATIONS = [
    "identity",
    "logistic",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "softplus",
    "gelu",
    "silu",
    "gaussian",
]

# %%
# Fit one network per activation
# ------------------------------
# L-BFGS on 300 points, with the same initial weights (``random_state=0``)
# for every activation.


def main(quick=False):
    """Fit one classifier per activation; print and return the test
    accuracies."""
    X, y = make_moons(n_samples=400, noise=0.25, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0
    )
    models, accuracies = {}, {}
    for activation in ACTIVATIONS:
        clf = fastmlp.MLPClassifier(
            hidden_layer_sizes=(16, 16),
            activation=activation,
            solver="lbfgs",
            alpha=1e-3,
            max_iter=100 if quick else 300,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_train, y_train)
        models[activation] = clf
        accuracies[activation] = clf.score(X_test, y_test)
        print(
            f"{activation:12s} test accuracy "
            f"{accuracies[activation]:.3f}  ({clf.n_iter_} iterations)"
        )
    return {
        "X_train": X_train,
        "y_train": y_train,
        "X_test": X_test,
        "y_test": y_test,
        "models": models,
        "accuracies": accuracies,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Decision boundaries of fastmlp's hidden activations."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="at most 100 L-BFGS iterations instead of 300",
    )
    # parse_known_args: a notebook's kernel passes arguments of its own.
    result = main(quick=parser.parse_known_args()[0].quick)

# %%
# Draw the boundaries
# -------------------
# scikit-learn's ``DecisionBoundaryDisplay`` works with fastmlp's classifiers
# as with any other. Training points are circles, held-out points triangles.

if __name__ == "__main__":
    fig, axes = plt.subplots(
        3, 4, figsize=(13, 9.6), layout="constrained", sharex=True, sharey=True
    )
    X_all = result["X_train"]
    for ax, (activation, clf) in zip(axes.flat, result["models"].items()):
        DecisionBoundaryDisplay.from_estimator(
            clf,
            X_all,
            response_method="predict_proba",
            cmap="RdBu",
            alpha=0.75,
            ax=ax,
            grid_resolution=120,
            eps=0.5,
        )
        ax.scatter(
            *result["X_train"].T,
            c=result["y_train"],
            cmap="RdBu",
            edgecolors="w",
            s=14,
            linewidths=0.5,
        )
        ax.scatter(
            *result["X_test"].T,
            c=result["y_test"],
            cmap="RdBu",
            edgecolors="w",
            s=24,
            marker="^",
            linewidths=0.5,
        )
        ax.set_title(f"{activation}: {result['accuracies'][activation]:.3f}")
        ax.set_xlabel("")
        ax.set_ylabel("")
    axes.flat[-1].set_axis_off()
    fig.suptitle(
        "make_moons, hidden_layer_sizes=(16, 16): test accuracy per activation"
    )
    plt.show()

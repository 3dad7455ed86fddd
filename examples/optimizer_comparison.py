"""
Optimizers compared on one problem
==================================

Every stochastic solver of fastmlp trains the same network, from the same
initial weights and on the same mini-batches, on the standardised digits:
scikit-learn's ``sgd`` (plain, with momentum, with Nesterov's momentum, with
the ``invscaling`` schedule) and ``adam``, and fastmlp's ``adamw``,
``adagrad``, ``rmsprop`` and ``adadelta``. Their update rules are written out
in :ref:`optimizers`.

Each solver runs with a usual learning rate for it and a fixed number of
epochs (``tol=0`` and a large ``n_iter_no_change`` switch the stopping rule
off). The figure shows the training loss of every epoch and the test accuracy
at the end. The learning rates are not tuned: the ranking on another problem,
or with other rates, can differ. ``solver="lbfgs"``, a full-batch method, has
no per-epoch loss and is left out.

Run it as a script, ``python optimizer_comparison.py`` (50 epochs;
``--quick``: 15), or as a notebook.
"""

import argparse
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import fastmlp

# %%
# The solvers and their settings
# ------------------------------
# ``learning_rate_init`` is the step size of every solver; only ``sgd``
# follows a ``learning_rate`` schedule. Adadelta multiplies its step by
# ``learning_rate_init``, so 1.0 is the original rule.

SOLVERS = {
    "sgd": dict(solver="sgd", learning_rate_init=0.01, momentum=0.0),
    "sgd, momentum 0.9": dict(
        solver="sgd",
        learning_rate_init=0.01,
        momentum=0.9,
        nesterovs_momentum=False,
    ),
    "sgd, Nesterov 0.9": dict(
        solver="sgd", learning_rate_init=0.01, momentum=0.9
    ),
    "sgd, invscaling": dict(
        solver="sgd",
        learning_rate="invscaling",
        learning_rate_init=0.2,
        power_t=0.1,
        momentum=0.0,
    ),
    "adam": dict(solver="adam", learning_rate_init=1e-3),
    "adamw, weight_decay 0.01": dict(
        solver="adamw", learning_rate_init=1e-3, weight_decay=0.01
    ),
    "adagrad": dict(solver="adagrad", learning_rate_init=0.01),
    "rmsprop": dict(solver="rmsprop", learning_rate_init=1e-3),
    "adadelta": dict(solver="adadelta", learning_rate_init=1.0),
}


def main(quick=False):
    """Fit one classifier per solver; print and return the curves and
    accuracies."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    max_iter = 15 if quick else 50
    results = {}
    print(f"{'solver':26s} {'final loss':>10s} {'test accuracy':>14s}")
    for name, params in SOLVERS.items():
        clf = fastmlp.MLPClassifier(
            hidden_layer_sizes=(64,),
            batch_size=32,
            max_iter=max_iter,
            tol=0.0,
            n_iter_no_change=max_iter + 1,
            random_state=0,
            **params,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_train, y_train)
        results[name] = {
            "loss_curve": list(clf.loss_curve_),
            "accuracy": clf.score(X_test, y_test),
        }
        print(
            f"{name:26s} {clf.loss_curve_[-1]:10.4f} "
            f"{results[name]['accuracy']:14.3f}"
        )
    return results


# %%
# Train
# -----

if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="fastmlp's optimizers compared."
    )
    parser.add_argument(
        "--quick", action="store_true", help="15 epochs instead of 50"
    )
    # parse_known_args: a notebook's kernel passes arguments of its own.
    results = main(quick=parser.parse_known_args()[0].quick)

# %%
# Loss per epoch and test accuracy
# --------------------------------
# Momentum speeds plain SGD up markedly (classical and Nesterov momentum
# nearly coincide here); the ``invscaling`` schedule starts with larger steps
# than plain ``sgd`` and shrinks them as the samples seen add up. With these
# rates the adaptive methods reach a low loss within a few epochs; ``adamw``
# follows ``adam`` closely, its decoupled weight decay pulling the weights
# slightly towards zero at every step.

if __name__ == "__main__":
    fig, (ax_loss, ax_acc) = plt.subplots(
        1, 2, figsize=(13, 4.8), layout="constrained", width_ratios=[1.6, 1]
    )
    styles = ["-", "--", "-.", ":"]
    for i, (name, result) in enumerate(results.items()):
        curve = result["loss_curve"]
        style = styles[i % 4] if name.startswith("sgd") else "-"
        ax_loss.plot(
            np.arange(1, len(curve) + 1),
            curve,
            label=name,
            color=f"C{i}",
            ls=style,
            lw=2,
        )
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss (loss_curve_)")
    ax_loss.legend(fontsize=8, ncols=2)
    names = list(results)
    accuracies = [results[name]["accuracy"] for name in names]
    ax_acc.barh(
        np.arange(len(names)),
        accuracies,
        color=[f"C{i}" for i in range(len(names))],
    )
    for i, accuracy in enumerate(accuracies):
        ax_acc.annotate(
            f"{accuracy:.3f}",
            (accuracy, i),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax_acc.set_yticks(np.arange(len(names)), names)
    ax_acc.invert_yaxis()
    ax_acc.set_xlim(min(accuracies) - 0.05, 1.0)
    ax_acc.set_xlabel("test accuracy")
    fig.suptitle("digits, hidden_layer_sizes=(64,), batch_size=32")
    plt.show()

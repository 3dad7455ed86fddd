"""
Handwritten digits: fastmlp against scikit-learn
================================================

scikit-learn's bundled digits data (1,797 8x8 images, 10 classes; no
download). Each model is ``make_pipeline(StandardScaler(),
MLPClassifier(...))`` with the same parameters and ``random_state`` for both
libraries, so both learn the same network. The tables and the figure show the
fit time, the speed-up, the test accuracy, whether the two models predict the
same, and both libraries' training loss per epoch (the curves lie on top of
each other: it is the same training).

Run it as a script, ``python digits_classification.py`` (``--quick``: a few
iterations), or as a notebook.
"""

import argparse
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fastmlp

# %%
# The models
# ----------
# The only difference between the two libraries' models is the class at the
# end of the pipeline: ``fastmlp.MLPClassifier`` or scikit-learn's
# ``MLPClassifier``. Three solvers: Adam on mini-batches of 32, SGD with
# Nesterov momentum, and L-BFGS.


def make_model(library, **params):
    if library == "fastmlp":
        MLP = fastmlp.MLPClassifier
    else:
        MLP = SklearnMLPClassifier
    return make_pipeline(StandardScaler(), MLP(random_state=0, **params))


def main(quick=False):
    """Fit both libraries on digits; print the tables, return their rows."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    max_iter = 15 if quick else 200
    configs = {
        "adam, (64,), batch 32": dict(
            hidden_layer_sizes=(64,), batch_size=32, max_iter=max_iter
        ),
        "sgd+nesterov, (64, 32)": dict(
            hidden_layer_sizes=(64, 32),
            solver="sgd",
            learning_rate_init=0.05,
            max_iter=max_iter,
        ),
        "lbfgs, (64,)": dict(
            hidden_layer_sizes=(64,), solver="lbfgs", max_iter=max_iter
        ),
    }
    print(
        f"digits: {len(X_train)} training / {len(X_test)} test images, "
        f"{X.shape[1]} pixels, 10 classes; max_iter={max_iter}\n"
    )
    return compare(
        [
            (name, lambda library, p=params: make_model(library, **p))
            for name, params in configs.items()
        ],
        X_train,
        y_train,
        X_test,
        y_test,
        repeats=1 if quick else 3,
        score_name="test accuracy",
    )


# %%
# Timing and comparing the two fits
# ---------------------------------
# The same code runs in the gallery's four comparisons with scikit-learn.
# ``compare`` fits every configuration with both libraries (the fit time is
# the best of ``repeats`` fits), scores both models on the test rows, checks
# whether they predict the same, and prints two tables.


def timed_fit(model, X, y, repeats):
    """Fit clones of ``model``; return the last one and the best wall time."""
    best = float("inf")
    for _ in range(repeats):
        fitted = clone(model)
        start = time.perf_counter()
        fitted.fit(X, y)
        best = min(best, time.perf_counter() - start)
    return fitted, best


def final_mlp(model):
    """The MLP at the end of a fitted pipeline (also inside a
    TransformedTargetRegressor)."""
    model = getattr(model, "regressor_", model)
    return model.steps[-1][1] if hasattr(model, "steps") else model


def same_predictions(ours, theirs, X):
    """How the two models' predictions on ``X`` compare, in a few words."""
    p, q = np.asarray(ours.predict(X)), np.asarray(theirs.predict(X))
    if np.array_equal(p, q):
        return "identical"
    if is_classifier(ours):
        return f"{int(np.sum(p != q))}/{len(p)} differ"
    return f"max diff {np.max(np.abs(p - q)):.2g}"


def compare(
    configs, X_train, y_train, X_test, y_test, repeats=1, score_name="score"
):
    """Fit each ``(name, make_model)`` of ``configs`` with both libraries
    (``make_model("fastmlp")``, ``make_model("scikit-learn")``); print the
    tables and return one dict per configuration."""
    rows = []
    for name, make_model in configs:
        with warnings.catch_warnings():
            # A short (--quick) run may stop at max_iter: intended here.
            warnings.simplefilter("ignore", ConvergenceWarning)
            ours, t_ours = timed_fit(
                make_model("fastmlp"), X_train, y_train, repeats
            )
            theirs, t_theirs = timed_fit(
                make_model("scikit-learn"), X_train, y_train, repeats
            )
        rows.append(
            {
                "name": name,
                "fastmlp_model": ours,
                "sklearn_model": theirs,
                "fastmlp_time": t_ours,
                "sklearn_time": t_theirs,
                "speedup": t_theirs / t_ours,
                "fastmlp_score": ours.score(X_test, y_test),
                "sklearn_score": theirs.score(X_test, y_test),
                "fastmlp_n_iter": final_mlp(ours).n_iter_,
                "sklearn_n_iter": final_mlp(theirs).n_iter_,
                "predictions": same_predictions(ours, theirs, X_test),
            }
        )
    width = max([len(row["name"]) for row in rows] + [len(score_name)])
    print(
        f"{'fit time (s)':{width}s}  {'fastmlp':>8s} {'sklearn':>8s} "
        f"{'speed-up':>9s}"
    )
    for row in rows:
        print(
            f"{row['name']:{width}s}  {row['fastmlp_time']:8.3f} "
            f"{row['sklearn_time']:8.3f} {row['speedup']:8.1f}x"
        )
    print(
        f"\n{score_name:{width}s}  {'fastmlp':>8s} {'sklearn':>8s} "
        f"{'n_iter_':>9s}  test predictions"
    )
    for row in rows:
        n_iter = f"{row['fastmlp_n_iter']}/{row['sklearn_n_iter']}"
        print(
            f"{row['name']:{width}s}  {row['fastmlp_score']:8.4f} "
            f"{row['sklearn_score']:8.4f} {n_iter:>9s}  "
            f"{row['predictions']}"
        )
    fits = "one fit" if repeats == 1 else f"the best of {repeats} fits"
    print(
        f"\nfit time: {fits}; speed-up: scikit-learn's time over "
        "fastmlp's;\nn_iter_: epochs (L-BFGS: iterations), "
        "fastmlp/scikit-learn;\ntest predictions: fastmlp's against "
        "scikit-learn's"
    )
    return rows


def plot_comparison(rows, title):
    """Draw the fit times, and both libraries' training loss per epoch
    (stochastic solvers only: L-BFGS records no loss curve)."""
    fig, (ax_time, ax_loss) = plt.subplots(
        1, 2, figsize=(9, 0.55 * len(rows) + 2.8), layout="constrained"
    )
    y = np.arange(len(rows))
    for offset, key, label in [
        (-0.2, "fastmlp", "fastmlp"),
        (0.2, "sklearn", "scikit-learn"),
    ]:
        ax_time.barh(
            y + offset, [row[f"{key}_time"] for row in rows], 0.4, label=label
        )
    for row, yi in zip(rows, y):
        ax_time.annotate(
            f"{row['speedup']:.1f}x faster",
            (max(row["fastmlp_time"], row["sklearn_time"]), yi),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    ax_time.set_yticks(y, [row["name"] for row in rows])
    ax_time.invert_yaxis()
    longest = max(max(r["fastmlp_time"], r["sklearn_time"]) for r in rows)
    ax_time.set_xlim(right=1.45 * longest)
    ax_time.set_xlabel("fit time (s)")
    ax_time.legend(loc="lower right", fontsize=9)
    curves = [
        row
        for row in rows
        if getattr(final_mlp(row["fastmlp_model"]), "loss_curve_", None)
    ]
    for i, row in enumerate(curves):
        ours = final_mlp(row["fastmlp_model"]).loss_curve_
        theirs = final_mlp(row["sklearn_model"]).loss_curve_
        ax_loss.plot(
            np.arange(1, len(ours) + 1),
            ours,
            color=f"C{i + 2}",
            lw=4,
            alpha=0.5,
            label=f"{row['name']}: fastmlp",
        )
        ax_loss.plot(
            np.arange(1, len(theirs) + 1),
            theirs,
            color="k",
            lw=1,
            ls="--",
            label="scikit-learn" if i == len(curves) - 1 else None,
        )
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss (loss_curve_)")
    ax_loss.legend(fontsize=9)
    fig.suptitle(title)
    return fig


# %%
# Fit both libraries
# ------------------
# Each fit time is the best of three fits (one with ``--quick``).
# ``n_iter_`` is the number of epochs (L-BFGS: iterations) each model ran,
# and the last column compares the two models' predicted classes on the test
# images.

if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Digits: fastmlp vs scikit-learn's MLPClassifier."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="15 iterations instead of 200 (seconds)",
    )
    # parse_known_args: a notebook's kernel passes arguments of its own.
    rows = main(quick=parser.parse_known_args()[0].quick)

# %%
# The same numbers, drawn
# -----------------------
# Left, the fit times; right, the training loss of every epoch of the two
# stochastic solvers: fastmlp's thick line and scikit-learn's dashed one
# coincide.

if __name__ == "__main__":
    plot_comparison(rows, "digits: fastmlp vs scikit-learn")
    plt.show()

"""
Early stopping on your own validation data and metric
=====================================================

``early_stopping=True`` holds out a random ``validation_fraction`` of the
training rows and watches their accuracy (classifier) or :math:`R^2`
(regressor). Both choices can mislead:

* **rows taken over time**: a random split puts rows from every period in the
  validation set, each surrounded in time by training rows much like it. The
  network is scored on interpolation, but is used to predict the future;
* **imbalanced classes, or probabilities that matter**: accuracy hardly moves
  while the probabilities get worse, so it keeps the wrong epoch.

As scikit-learn's gradient boosting does, fastmlp's ``fit`` takes a validation
set of your own (``X_val``, ``y_val``, ``sample_weight_val``: no rows are held
out of ``X``), and ``scoring`` chooses what early stopping watches: ``'loss'``,
any scikit-learn scorer name such as ``'neg_log_loss'``, or a callable scorer.

Run it from a clone of the repository::

    python examples/validation_data_and_scoring.py          # all epochs
    python examples/validation_data_and_scoring.py --quick  # 150 epochs
"""

import argparse
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

import fastmlp

# %%
# A time-ordered data set
# -----------------------
# 8000 rows taken one after the other. The target depends on three measured
# drivers, and also on a slow, unmeasured swing (a stationary process that
# takes hundreds of rows to change, like demand that drifts with the season).
# Two more measured covariates wander just as slowly and do not act on the
# target, but they tell roughly *when* a row was taken: a flexible network can
# use them to learn the swing of each stretch of time it has seen. That
# knowledge is worthless for later rows, whose swing it has not seen.
#
# The first 60% of the rows train, the next 20% are the validation period and
# the last 20% the test period, the "future" the model is meant for.


def slow_process(rng, n, persistence=0.995, scale=1.0):
    """A stationary AR(1) series: each value keeps `persistence` of the
    last."""
    values = np.empty(n)
    values[0] = scale * rng.randn()
    step = scale * np.sqrt(1 - persistence**2)
    for i in range(1, n):
        values[i] = persistence * values[i - 1] + step * rng.randn()
    return values


def make_series(n_rows=8000, seed=0):
    """(X, y, swing): X has the 3 drivers and the 2 slow covariates."""
    rng = np.random.RandomState(seed)
    drivers = rng.randn(n_rows, 3)
    covariates = np.c_[slow_process(rng, n_rows), slow_process(rng, n_rows)]
    swing = slow_process(rng, n_rows, scale=0.7)
    X = np.c_[drivers, covariates]
    y = (
        np.sin(2 * drivers[:, 0])
        + 0.5 * drivers[:, 1] * drivers[:, 2]
        + swing
        + 0.2 * rng.randn(n_rows)
    )
    return X, y, swing


def regressor(max_iter):
    return fastmlp.MLPRegressor(
        hidden_layer_sizes=(64, 64),
        learning_rate_init=0.003,
        max_iter=max_iter,
        n_iter_no_change=20,
        early_stopping=True,
        random_state=0,
    )


# %%
# An imbalanced classification task
# ---------------------------------
# One row in ten is positive, 3% of the labels are flipped, and the network
# (two layers of 128 units, no penalty) is large for 1400 training rows, so it
# over-fits: the validation log loss has a clear minimum, after which the
# probabilities become over-confident, while the validation accuracy wanders up
# and down by a few rows out of 600 and a lucky epoch sets its best. Early
# stopping on the accuracy (``scoring=None``) follows those few rows;
# ``scoring='neg_log_loss'`` stops at the log-loss minimum. Both watch the same
# given validation set.


def classifier(scoring, max_iter):
    return fastmlp.MLPClassifier(
        hidden_layer_sizes=(128, 128),
        alpha=0.0,
        learning_rate_init=0.005,
        max_iter=max_iter,
        n_iter_no_change=20,
        early_stopping=True,
        scoring=scoring,
        random_state=0,
    )


def main(quick=False):
    """Fit both studies; print their scores and return them with the data."""
    max_iter = 150 if quick else 300
    X, y, swing = make_series()
    n = len(y)
    train, val = int(0.6 * n), int(0.8 * n)
    X_train, y_train = X[:train], y[:train]
    X_val, y_val = X[train:val], y[train:val]
    X_test, y_test = X[val:], y[val:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # a random quarter of the training period held out...
        random_split = regressor(max_iter).set_params(validation_fraction=0.25)
        random_split.fit(X_train, y_train)
        # ...or the period that follows it given as the validation set
        given = regressor(max_iter).fit(
            X_train, y_train, X_val=X_val, y_val=y_val
        )
    result = {
        "series": (y, swing, train, val),
        "random_split": random_split,
        "given": given,
        "random_split_score": random_split.best_validation_score_,
        "random_split_test": random_split.score(X_test, y_test),
        "given_best_score": given.best_validation_score_,
        "given_test": given.score(X_test, y_test),
    }
    print(
        f"{'validation set':28s} {'best validation R^2':>20s} "
        f"{'test-period R^2':>16s} {'epochs':>7s}"
    )
    for name, est, test in (
        (
            "random 25% of training rows",
            random_split,
            result["random_split_test"],
        ),
        ("the later period", given, result["given_test"]),
    ):
        print(
            f"{name:28s} {est.best_validation_score_:20.3f} {test:16.3f} "
            f"{est.n_iter_:7d}"
        )

    Xc, yc = make_classification(
        n_samples=4000,
        n_features=20,
        n_informative=8,
        weights=[0.9],
        flip_y=0.03,
        random_state=1,
    )
    Xc_train, Xc_test, yc_train, yc_test = train_test_split(
        Xc, yc, test_size=0.5, stratify=yc, random_state=0
    )
    Xc_fit, Xc_val, yc_fit, yc_val = train_test_split(
        Xc_train, yc_train, test_size=0.3, stratify=yc_train, random_state=0
    )
    models, test_log_loss = {}, {}
    print(
        f"\n{'scoring':14s} {'kept epoch':>10s} {'test accuracy':>14s} "
        f"{'test log loss':>14s}"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for scoring in (None, "neg_log_loss"):
            model = classifier(scoring, max_iter).fit(
                Xc_fit, yc_fit, X_val=Xc_val, y_val=yc_val
            )
            models[scoring] = model
            test_log_loss[scoring] = log_loss(
                yc_test, model.predict_proba(Xc_test)
            )
            kept = int(np.argmax(model.validation_scores_)) + 1
            print(
                f"{scoring!s:14s} {kept:10d} "
                f"{model.score(Xc_test, yc_test):14.3f} "
                f"{test_log_loss[scoring]:14.3f}"
            )
    result.update(
        classifiers=models,
        log_loss=test_log_loss,
        classification_test=(Xc_test, yc_test),
    )
    return result


# %%
# Fit
# ---
# The random split scores the network on rows whose neighbours in time it
# trained on and promises far more than it delivers on the test period; the
# later period, given as ``X_val``, promises about what the test period gives,
# and stops training before the network has learned much about the swings of
# the past.

if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Early stopping on given validation data and score."
    )
    parser.add_argument(
        "--quick", action="store_true", help="at most 150 epochs"
    )
    result = main(quick=parser.parse_known_args()[0].quick)

# %%
# The series and its periods
# --------------------------
# The target (a running mean over 50 rows, to make the swing visible) and the
# unmeasured swing; shaded: the validation and test periods.

if __name__ == "__main__":
    import matplotlib.pyplot as plt

    y, swing, train, val = result["series"]
    rows = np.arange(len(y))
    fig, ax = plt.subplots(figsize=(9, 3.5), layout="constrained")
    smooth = np.convolve(y, np.ones(50) / 50, mode="same")
    ax.plot(rows, smooth, color="C0", lw=1, label="target (running mean)")
    ax.plot(rows, swing, color="k", lw=1, ls="--", label="unmeasured swing")
    ax.axvspan(train, val, color="C2", alpha=0.15, label="validation period")
    ax.axvspan(val, len(y), color="C3", alpha=0.15, label="test period")
    ax.set_xlabel("row (time)")
    ax.legend(loc="upper left", fontsize=8, ncols=2)

# %%
# What each validation set promised
# ---------------------------------
# ``validation_scores_`` of the two fits, epoch by epoch, and (dashed) the
# :math:`R^2` each kept network reaches on the test period. The random split's
# curve climbs far above what its network achieves later; the later period's
# curve stays close to it.

if __name__ == "__main__":
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    for key, label, color in (
        ("random_split", "random 25% of the training rows", "C0"),
        ("given", "the later period (X_val)", "C2"),
    ):
        est = result[key]
        scores = est.validation_scores_
        epochs = np.arange(1, len(scores) + 1)
        ax.plot(epochs, scores, color=color, label=f"validation: {label}")
        ax.axhline(
            result[key + "_test"],
            color=color,
            ls="--",
            lw=1,
            label="test period, kept network",
        )
        best = int(np.argmax(scores))
        ax.plot(epochs[best], scores[best], "o", color=color)
    ax.set_xlabel("epoch")
    ax.set_ylabel("$R^2$")
    ax.set_ylim(-0.2, 1.0)
    ax.legend(fontsize=8)

# %%
# Accuracy or log loss on imbalanced classes
# ------------------------------------------
# Left: the validation log loss of both fits (``validation_loss_curve_``, which
# fastmlp records whatever the score; the two fits train alike until the second
# stops), the dot at the epoch each kept, and (dotted, right axis) the
# validation accuracy the first one watched. Right: the calibration of the kept
# networks on the test rows (the fraction of positives against the mean
# predicted probability, in ten bins of equally many rows; log scales, as most
# probabilities are small): the network kept for its accuracy is
# over-confident, its small probabilities far below the frequencies they stand
# for.

if __name__ == "__main__":
    from sklearn.calibration import calibration_curve

    Xc_test, yc_test = result["classification_test"]
    fig, (ax_loss, ax_cal) = plt.subplots(
        1, 2, figsize=(11, 4), layout="constrained"
    )
    ax_acc = ax_loss.twinx()
    for (scoring, est), color in zip(
        result["classifiers"].items(), ("C1", "C4")
    ):
        name = (
            "accuracy (scoring=None)"
            if scoring is None
            else f"scoring={scoring!r}"
        )
        losses = est.validation_loss_curve_
        epochs = np.arange(1, len(losses) + 1)
        kept = int(np.argmax(est.validation_scores_))
        ax_loss.plot(epochs, losses, color=color, label=f"watching {name}")
        ax_loss.plot(epochs[kept], losses[kept], "o", color=color)
        if scoring is None:
            ax_acc.plot(
                epochs, est.validation_scores_, color=color, ls=":", lw=1
            )
        proba = est.predict_proba(Xc_test)[:, 1]
        observed, predicted = calibration_curve(
            yc_test, proba, n_bins=10, strategy="quantile"
        )
        ax_cal.plot(
            predicted,
            observed,
            "o-",
            color=color,
            label=f"{name}: log loss {result['log_loss'][scoring]:.3f}",
        )
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("validation log loss")
    ax_acc.set_ylabel("validation accuracy (dotted)")
    ax_loss.legend(fontsize=8, loc="upper left")
    ax_cal.plot([1e-3, 1], [1e-3, 1], color="grey", lw=1, ls=":")
    ax_cal.set_xscale("log")
    ax_cal.set_yscale("log")
    ax_cal.set_xlim(1e-6, 1)
    ax_cal.set_ylim(1e-3, 1)
    ax_cal.set_xlabel("mean predicted probability")
    ax_cal.set_ylabel("fraction of positives")
    ax_cal.legend(fontsize=8, loc="upper left")
    plt.show()

# sphinx_gallery_thumbnail_number = 2

# %%
# Reading the results
# -------------------
# Choose the validation set the way the model will be used: a later period for
# a forecast, whole groups (customers, patients) for new groups, a fixed set
# when the data come with one. Choose the score the way the predictions will be
# used: ``'neg_log_loss'`` (or ``'loss'``, computed in the compiled validation
# pass) when the probabilities matter, ``'roc_auc'`` or ``'average_precision'``
# for a ranking, ``'balanced_accuracy'`` for decisions on imbalanced classes. A
# validation set given to ``fit`` without ``early_stopping=True`` is scored at
# every epoch too (a learning curve), and stops nothing.

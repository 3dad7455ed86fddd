"""
Training and validation loss: under- and over-fitting
=====================================================

Learning curves plot a model's error on the data it trains on next to its
error on held-out data, epoch after epoch. Their shapes tell the usual
stories apart:

* **under-fitting** (high bias): the model is too simple for the data. Both
  losses stay high and close together; more epochs do not help, more
  capacity does;
* **a good fit**: both losses come down to about the noise level of the data
  and stay there;
* **over-fitting** (high variance): the model is flexible enough to learn the
  noise of its few training points. The training loss goes on falling, far
  below the noise level, while the validation loss reaches a minimum and then
  rises again. Early stopping, a penalty (``alpha``), dropout or more data
  help.

With ``early_stopping=True`` fastmlp records the loss on the held-out rows of
every epoch in ``validation_loss_curve_`` (scikit-learn records only the
validation score), and :class:`fastmlp.LossCurveDisplay` draws it with the
training loss (``loss_curve_``). Here ``n_iter_no_change`` equals
``max_iter`` so that every network trains for all its epochs and the curves
show what happens after the best epoch.

Run it as a script, ``python loss_curves_under_over_fitting.py`` (1,000
epochs; ``--quick``: 300), or as a notebook.
"""

import argparse
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

import fastmlp

# %%
# The data
# --------
# Sixty noisy samples of a sine wave. Half of them train the networks, the
# other half (``validation_fraction=0.5``) is held out. The noise has a
# standard deviation of 0.4, so the best possible squared-error loss,
# :math:`\frac{1}{2}\,\mathrm{mean}(y - p)^2`, is about
# :math:`\frac{1}{2} \cdot 0.4^2 = 0.08`.

NOISE = 0.4


def make_data(n_samples=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-3, 3, size=(n_samples, 1))
    y = np.sin(1.5 * X[:, 0]) + NOISE * rng.randn(n_samples)
    return X, y


# %%
# Three networks
# --------------
# The same solver and data for all three; only the capacity differs: two
# hidden units, sixteen, and three layers of 128 ReLU units without a
# penalty.

MODELS = {
    "under-fitting: (2,)": dict(hidden_layer_sizes=(2,), activation="relu"),
    "good fit: (16,) tanh": dict(
        hidden_layer_sizes=(16,), activation="tanh", alpha=1e-3
    ),
    "over-fitting: (128, 128, 128)": dict(
        hidden_layer_sizes=(128, 128, 128), activation="relu", alpha=0.0
    ),
}


def make_model(max_iter, early_stopping=True, **params):
    return fastmlp.MLPRegressor(
        solver="adam",
        learning_rate_init=0.005,
        batch_size=30,
        max_iter=max_iter,
        early_stopping=early_stopping,
        validation_fraction=0.5,
        n_iter_no_change=max_iter,
        random_state=0,
        **params,
    )


def main(quick=False):
    """Fit the three networks; print their losses and return them.

    ``models`` are fitted with early stopping (they record both curves and
    keep the best epoch's weights); ``last_epoch`` are the same networks
    trained on one half of the samples for all their epochs, without early
    stopping.
    """
    X, y = make_data()
    max_iter = 300 if quick else 1000
    X_half, X_other, y_half, y_other = train_test_split(
        X, y, test_size=0.5, random_state=0
    )
    models, last_epoch = {}, {}
    print(f"{'':30s}  {'loss, last epoch':>22s}  {'lowest validation':>17s}")
    print(
        f"{'network':30s}  {'training':>10s} {'validation':>11s}  "
        f"{'loss':>8s} {'epoch':>8s}"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, params in MODELS.items():
            est = make_model(max_iter, **params).fit(X, y)
            val = np.asarray(est.validation_loss_curve_)
            print(
                f"{name:30s}  {est.loss_curve_[-1]:10.3f} {val[-1]:11.3f}  "
                f"{val.min():8.3f} {int(val.argmin()) + 1:8d}"
            )
            models[name] = est
            last_epoch[name] = make_model(
                max_iter, early_stopping=False, **params
            ).fit(X_half, y_half)
    print(f"\nnoise level: 0.5 * {NOISE}^2 = {0.5 * NOISE**2:.3f}")
    return {
        "X": X,
        "y": y,
        "models": models,
        "last_epoch": last_epoch,
        "halves": (X_half, y_half, X_other, y_other),
    }


# %%
# Fit
# ---
# The training loss (``loss_curve_``) includes the penalty term; the
# validation loss is the data term alone.

if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Training and validation loss: under- and over-fitting."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="300 epochs instead of 1,000 (seconds)",
    )
    # parse_known_args: a notebook's kernel passes arguments of its own.
    result = main(quick=parser.parse_known_args()[0].quick)

# %%
# The learning curves
# -------------------
# One :class:`fastmlp.LossCurveDisplay` per network (the losses on a log
# scale; the validation :math:`R^2` on the right axis). The grey line is the
# noise level. The over-fitting network's validation loss is lowest after
# about twenty epochs, then climbs while its training loss keeps falling.

if __name__ == "__main__":
    fig, axes = plt.subplots(
        3, 1, figsize=(8, 11), layout="constrained", sharex=True
    )
    for ax, (name, est) in zip(axes, result["models"].items()):
        fastmlp.LossCurveDisplay.from_estimator(est, ax=ax, name=name)
        ax.axhline(0.5 * NOISE**2, color="grey", lw=1)
        ax.set_yscale("log")
        if ax is not axes[-1]:
            ax.set_xlabel("")

# %%
# What the networks learned
# -------------------------
# The same three networks, trained on one half of the samples (dots) for all
# their epochs, without early stopping, and drawn over the other half
# (circles): the under-fitting network, with two ReLU units, can only draw a
# few straight pieces; the good fit follows the sine wave; the over-fitting
# one bends to pass close to its training points and misses the held-out
# ones.

if __name__ == "__main__":
    X_half, y_half, X_other, y_other = result["halves"]
    grid = np.linspace(-3, 3, 400).reshape(-1, 1)
    fig, axes = plt.subplots(
        1, 3, figsize=(12, 3.8), layout="constrained", sharey=True
    )
    for ax, (name, est) in zip(axes, result["last_epoch"].items()):
        ax.scatter(
            X_half[:, 0], y_half, s=16, color="k", label="training half"
        )
        ax.scatter(
            X_other[:, 0],
            y_other,
            s=22,
            facecolors="none",
            edgecolors="grey",
            label="held-out half",
        )
        ax.plot(
            grid[:, 0],
            np.sin(1.5 * grid[:, 0]),
            color="k",
            lw=1,
            ls=":",
            label="sin(1.5 x)",
        )
        ax.plot(
            grid[:, 0], est.predict(grid), color="C3", lw=2, label="network"
        )
        ax.set_title(name)
        ax.set_xlabel("x")
    axes[0].legend(loc="lower left", fontsize=8)
    plt.show()

# sphinx_gallery_thumbnail_number = 2

# %%
# Reading the curves
# ------------------
# A validation loss that rises while the training loss falls is the sign of
# over-fitting, and its minimum is the epoch early stopping keeps (with its
# default ``n_iter_no_change=10`` the fit would have stopped shortly after
# it). Two curves that stay high together point to a model too small for the
# data, or a penalty too strong. The validation loss can sit below the
# training loss, as for the good fit here: the held-out half is a different
# sample of 30 points, and the training loss also carries the penalty.

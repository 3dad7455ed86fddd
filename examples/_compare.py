"""Shared by the examples: fit fastmlp and scikit-learn side by side, print a table,
draw the comparison.

Not an example itself. Each example builds its own models (a scikit-learn Pipeline
whose last step is fastmlp's or scikit-learn's MLP, with identical parameters) and
hands them to :func:`compare`, then its rows to :func:`plot_comparison`.
"""

import time
import warnings

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning


def timed_fit(model, X, y, repeats=1):
    """Fit clones of ``model`` ``repeats`` times; return the last one and the best
    wall time in seconds."""
    best = np.inf
    for _ in range(repeats):
        fitted = clone(model)
        start = time.perf_counter()
        fitted.fit(X, y)
        best = min(best, time.perf_counter() - start)
    return fitted, best


def final_mlp(model):
    """The MLP at the end of a (possibly wrapped) fitted pipeline."""
    model = getattr(model, "regressor_", model)  # TransformedTargetRegressor
    if hasattr(model, "steps"):
        model = model.steps[-1][1]
    return model


def _n_iter(model):
    """n_iter_ of the MLP at the end of a (possibly wrapped) fitted pipeline."""
    return getattr(final_mlp(model), "n_iter_", None)


def _same_predictions(ours, theirs, X):
    p, q = np.asarray(ours.predict(X)), np.asarray(theirs.predict(X))
    if np.array_equal(p, q):
        return "identical"
    if is_classifier(ours):
        return f"{int(np.sum(p != q))}/{len(p)} differ"
    return f"max diff {np.max(np.abs(p - q)):.2g}"


def compare(configs, X_train, y_train, X_test, y_test, *, repeats=1,
            score_name="score"):
    """Fit each configuration with both libraries and print one table row each.

    Parameters
    ----------
    configs : list of (str, callable)
        A name and a function ``make(library)`` returning the unfitted model, with
        ``library`` either ``"fastmlp"`` or ``"scikit-learn"``.
    X_train, y_train, X_test, y_test : array-like
        Training and held-out data; the score is ``model.score(X_test, y_test)``
        (accuracy for classifiers, R^2 for regressors).
    repeats : int
        Fit time is the best of this many fits.
    score_name : str
        Column title of the score.

    Returns
    -------
    rows : list of dict
        One per configuration: ``name``, ``fastmlp_time``, ``sklearn_time``,
        ``fastmlp_score``, ``sklearn_score``, ``speedup`` (scikit-learn's time over
        fastmlp's) and ``predictions`` (how the two models' test predictions
        compare, as printed), ``fastmlp_n_iter`` and ``sklearn_n_iter``, and the
        fitted models, ``fastmlp_model`` and ``sklearn_model``.
    """
    width = max([len(name) for name, _ in configs] + [13])
    header = (f"{'':{width}s}  {'fit time (s)':^17s}  {score_name:^17s}  "
              f"{'speed-up':>8s}  {'n_iter_':^15s}  test")
    sub = (f"{'configuration':{width}s}  {'fastmlp':>8s} {'sklearn':>8s}  "
           f"{'fastmlp':>8s} {'sklearn':>8s}  {'':8s}  {'fastmlp/sklearn':>15s}  "
           "predictions")
    print(header)
    print(sub)
    print("-" * len(sub))
    rows = []
    for name, make in configs:
        with warnings.catch_warnings():
            # A short run (quick mode) may stop at max_iter: that is intended here.
            warnings.simplefilter("ignore", ConvergenceWarning)
            ours, t_ours = timed_fit(make("fastmlp"), X_train, y_train, repeats)
            theirs, t_theirs = timed_fit(make("scikit-learn"), X_train, y_train, repeats)
        s_ours = ours.score(X_test, y_test)
        s_theirs = theirs.score(X_test, y_test)
        same = _same_predictions(ours, theirs, X_test)
        row = {
            "name": name,
            "fastmlp_time": t_ours,
            "sklearn_time": t_theirs,
            "fastmlp_score": s_ours,
            "sklearn_score": s_theirs,
            "speedup": t_theirs / t_ours,
            "predictions": same,
            "fastmlp_n_iter": _n_iter(ours),
            "sklearn_n_iter": _n_iter(theirs),
            "fastmlp_model": ours,
            "sklearn_model": theirs,
        }
        rows.append(row)
        print(f"{name:{width}s}  {t_ours:8.3f} {t_theirs:8.3f}  "
              f"{s_ours:8.4f} {s_theirs:8.4f}  {row['speedup']:7.1f}x  "
              f"{str(row['fastmlp_n_iter']) + '/' + str(row['sklearn_n_iter']):^15s}  "
              f"{same}")
    timing = "one fit" if repeats == 1 else f"best of {repeats} fits"
    print(f"\nfit time: {timing}; speed-up: scikit-learn's fit time over fastmlp's;\n"
          "n_iter_: epochs (L-BFGS: iterations) each model ran;\n"
          "test predictions: fastmlp's model against scikit-learn's on the test set")
    return rows


def plot_comparison(rows, title, score_name="test score"):
    """Draw the table of :func:`compare`: fit times, test scores and, for the
    stochastic solvers, both libraries' training loss per epoch.

    Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    names = [row["name"] for row in rows]
    y = np.arange(len(rows))
    height = 0.38
    curves = [row for row in rows
              if getattr(final_mlp(row["fastmlp_model"]), "loss_curve_", None) is not None
              and getattr(final_mlp(row["sklearn_model"]), "loss_curve_", None) is not None]
    bar_height = 0.6 * len(rows) + 2.0
    if curves:
        fig, axes = plt.subplot_mosaic([["time", "score"], ["loss", "loss"]],
                                       figsize=(10, bar_height + 3.6), layout="constrained",
                                       height_ratios=[bar_height, 3.6])
    else:
        fig, axes = plt.subplot_mosaic([["time", "score"]], figsize=(10, bar_height),
                                       layout="constrained")
    ax_time, ax_score = axes["time"], axes["score"]
    for offset, key, label, color in [(-height / 2, "fastmlp", "fastmlp", "C0"),
                                      (height / 2, "sklearn", "scikit-learn", "C1")]:
        ax_time.barh(y + offset, [row[f"{key}_time"] for row in rows], height,
                     label=label, color=color)
        ax_score.barh(y + offset, [row[f"{key}_score"] for row in rows], height,
                      label=label, color=color)
    for row, yi in zip(rows, y):
        ax_time.annotate(f"{row['speedup']:.1f}x faster",
                         (max(row["fastmlp_time"], row["sklearn_time"]), yi),
                         xytext=(4, 0), textcoords="offset points", va="center",
                         fontsize=8)
    ax_time.set_yticks(y, names)
    ax_time.invert_yaxis()
    ax_time.set_xlabel("fit time (s)")
    ax_time.set_xlim(right=1.35 * max(max(r["fastmlp_time"], r["sklearn_time"])
                                      for r in rows))
    ax_time.legend(loc="lower right", fontsize=8)
    ax_score.set_yticks(y, [])
    ax_score.invert_yaxis()
    ax_score.set_xlabel(score_name)
    low = min(min(r["fastmlp_score"], r["sklearn_score"]) for r in rows)
    ax_score.set_xlim(max(0.0, low - 0.1 * (1 - low) - 0.02), 1.0)
    if curves:
        ax = axes["loss"]
        for i, row in enumerate(curves):
            ours = final_mlp(row["fastmlp_model"]).loss_curve_
            theirs = final_mlp(row["sklearn_model"]).loss_curve_
            ax.plot(np.arange(1, len(ours) + 1), ours, color=f"C{i + 2}", lw=3,
                    alpha=0.5, label=f"{row['name']}: fastmlp")
            ax.plot(np.arange(1, len(theirs) + 1), theirs, color="k", lw=1, ls="--",
                    label="scikit-learn" if i == len(curves) - 1 else None)
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (loss_curve_)")
        ax.legend(fontsize=7)
    fig.suptitle(title)
    return fig

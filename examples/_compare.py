"""Shared by the examples: fit fastmlp and scikit-learn side by side, print a table.

Not an example itself. Each example builds its own models (a scikit-learn Pipeline
whose last step is fastmlp's or scikit-learn's MLP, with identical parameters) and
hands them to :func:`compare`.
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


def _n_iter(model):
    """n_iter_ of the MLP at the end of a (possibly wrapped) fitted pipeline."""
    model = getattr(model, "regressor_", model)  # TransformedTargetRegressor
    if hasattr(model, "steps"):
        model = model.steps[-1][1]
    return getattr(model, "n_iter_", None)


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
        compare, as printed), ``fastmlp_n_iter`` and ``sklearn_n_iter``.
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

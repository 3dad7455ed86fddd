"""
Searching hyper-parameters fast
===============================

A grid search fits one model per candidate and fold: here 12 candidates x 5
folds = 60 fits of a small network on scikit-learn's digits. Three ways to
run the same search:

* scikit-learn's ``GridSearchCV`` over scikit-learn's ``MLPClassifier``;
* scikit-learn's ``GridSearchCV`` over fastmlp's ``MLPClassifier``: each fit
  faster, but still one after the other;
* ``fastmlp.model_selection.GridSearchCV`` (only the import changes): the
  folds' data split once, the scaler fitted once per fold, and the 60 models
  trained together, whole models on the machine's threads at once.

The two fastmlp searches give the same ``cv_results_`` scores, bit for bit.

Run it from a clone of the repository::

    python examples/search_speed.py           # digits, 60 fits
    python examples/search_speed.py --quick   # 10 epochs per fit
    python examples/search_speed.py --full    # also scikit-learn, n_jobs=2
"""

import argparse
import time
import warnings

import numpy as np
from sklearn import model_selection as sk_model_selection
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmlp import MLPClassifier, model_selection

# %%
# The search
# ----------
# A pipeline of a scaler and a network, 3 architectures x 2 penalties x 2
# learning rates, 5-fold cross-validation, 40 epochs per fit. The same
# search runs three ways; the two fastmlp searches must agree on every score
# of every fold and pick the same candidate.

GRID = {
    "mlpclassifier__hidden_layer_sizes": [(32,), (64,), (64, 32)],
    "mlpclassifier__alpha": [1e-4, 1e-2],
    "mlpclassifier__learning_rate_init": [1e-3, 1e-2],
}


def timed_search(module, model_class, X, y, max_iter, n_jobs=None):
    """(seconds, fitted search) of the grid search."""
    pipe = make_pipeline(
        StandardScaler(), model_class(max_iter=max_iter, random_state=0)
    )
    search = module.GridSearchCV(pipe, GRID, cv=5, n_jobs=n_jobs)
    start = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - start, search


def main(quick=False, full=False):
    """Run the searches; print their times; return {"times": {name:
    seconds}, "same": the two fastmlp searches agree, "best": parameters}."""
    X, y = load_digits(return_X_y=True)
    max_iter = 10 if quick else 40
    runs = {
        "scikit-learn": (sk_model_selection, SkMLPClassifier, None),
        "fastmlp,\none by one": (sk_model_selection, MLPClassifier, None),
        "fastmlp\nmodel_selection": (model_selection, MLPClassifier, None),
    }
    if full:
        runs["scikit-learn\nn_jobs=2"] = (
            sk_model_selection,
            SkMLPClassifier,
            2,
        )
    times, searches = {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, (module, model_class, n_jobs) in runs.items():
            times[name], searches[name] = timed_search(
                module, model_class, X, y, max_iter, n_jobs
            )
    one_by_one = searches["fastmlp,\none by one"].cv_results_
    together = searches["fastmlp\nmodel_selection"]
    same = all(
        np.array_equal(one_by_one[key], together.cv_results_[key])
        for key in one_by_one
        if "test_score" in key
    )
    print(f"same scores, bit for bit: {same}")
    print("best parameters:")
    for key, value in together.best_params_.items():
        print(f"  {key.split('__')[-1]} = {value}")
    print(f"best score: {together.best_score_:.4f}")
    print()
    print(f"{'search':<28}{'seconds':>8}{'speed-up':>10}")
    base = times["scikit-learn"]
    for name, seconds in times.items():
        label = name.replace("\n", " ")
        print(f"{label:<28}{seconds:>8.2f}{base / seconds:>9.1f}x")
    return {"times": times, "same": same, "best": together.best_params_}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Searching fast.")
    parser.add_argument(
        "--quick", action="store_true", help="10 epochs per fit"
    )
    parser.add_argument(
        "--full", action="store_true", help="also scikit-learn, n_jobs=2"
    )
    args, _ = parser.parse_known_args()
    result = main(quick=args.quick, full=args.full)

# %%
# The time of the search
# ----------------------

if __name__ == "__main__":
    import matplotlib.pyplot as plt

    times = result["times"]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    names = list(times)
    bars = ax.barh(names, [times[n] for n in names], color="#4c72b0")
    for bar, name in zip(bars, names):
        ax.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f" {times[name]:.2f} s",
            va="center",
        )
    ax.invert_yaxis()
    ax.set_xlabel("seconds for 60 fits (lower is better)")
    ax.set_xlim(0, 1.2 * max(times.values()))
    ax.set_title("Grid search on digits, 12 candidates x 5 folds")
    fig.tight_layout()
    plt.show()

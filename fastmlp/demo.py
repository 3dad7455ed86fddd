"""Train fastmlp and scikit-learn side by side on scikit-learn's digits data.

Run with ``fastmlp-demo`` (or ``python -m fastmlp.demo`` outside the source
tree). Both models get identical parameters and random_state, so they learn the
same network; the demo prints accuracy, loss, fit time and the speed-up.
"""

import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.preprocessing import StandardScaler

from fastmlp import MLPClassifier, __version__


def _best_fit_time(estimator, X, y, repeats):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        estimator.fit(X, y)
        best = min(best, time.perf_counter() - start)
    return best


def main(repeats=3):
    import sklearn

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    print(
        f"digits: {X_train.shape[0]} training and {X_test.shape[0]} test images, "
        f"{X.shape[1]} pixels, 10 classes"
    )
    print(f"fastmlp {__version__} vs scikit-learn {sklearn.__version__}\n")

    configs = [
        ("adam, (64,), batch 32", dict(hidden_layer_sizes=(64,), batch_size=32)),
        (
            "sgd+nesterov, (64, 32)",
            dict(hidden_layer_sizes=(64, 32), solver="sgd", learning_rate_init=0.05),
        ),
        ("lbfgs, (64,)", dict(hidden_layer_sizes=(64,), solver="lbfgs")),
    ]
    header = (
        f"{'configuration':24s} {'dtype':8s} {'test acc':>14s} {'fit time (s)':>20s} "
        f"{'speed-up':>9s}  same model"
    )
    print(header)
    print("-" * len(header))
    for name, params in configs:
        for dtype in (np.float64, np.float32):
            Xtr, Xte = X_train.astype(dtype), X_test.astype(dtype)
            kw = dict(max_iter=60, random_state=0, **params)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                ours, theirs = MLPClassifier(**kw), SklearnMLPClassifier(**kw)
                t_ours = _best_fit_time(ours, Xtr, y_train, repeats)
                t_theirs = _best_fit_time(theirs, Xtr, y_train, repeats)
            acc_ours = ours.score(Xte, y_test)
            acc_theirs = theirs.score(Xte, y_test)
            same = all(
                np.allclose(a, b, rtol=1e-4, atol=1e-6)
                for a, b in zip(ours.coefs_, theirs.coefs_)
            )
            print(
                f"{name:24s} {np.dtype(dtype).name:8s} "
                f"{acc_ours:6.4f}/{acc_theirs:6.4f}  "
                f"{t_ours:8.3f}/{t_theirs:8.3f}  {t_theirs / t_ours:8.1f}x  "
                f"{'yes' if same else 'no'}"
            )
    print(
        "\n(test acc and fit time: fastmlp/scikit-learn; fit time is the best of "
        f"{repeats} runs; 'same model' compares coefs_ at rtol 1e-4)"
    )


if __name__ == "__main__":
    main()

"""Fit time of fastmlp vs scikit-learn on a small network, both dtypes, one run.

    python benchmarks/small_net.py [--threads N] [--repeats R]

Data: 20000 x 20 standard normal features, binary target; hidden (32, 32),
batch_size=32, adam, 5 epochs (tol=0 so every run does all 5). Both libraries get
identical parameters and the same BLAS thread limit; the table reports the best of
R fits of each, the ratio, and the largest difference between the loss curves.
"""

import argparse
import platform
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from threadpoolctl import threadpool_limits

from fastmlp import MLPClassifier


def best_time(make, X, y, repeats):
    best, model = np.inf, None
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        model.fit(X, y)
        best = min(best, time.perf_counter() - start)
    return best, model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.RandomState(0)
    X = rng.randn(20000, 20)
    y = (X[:, :3].sum(axis=1) + 0.5 * rng.randn(20000) > 0).astype(int)
    params = dict(
        hidden_layer_sizes=(32, 32),
        batch_size=32,
        solver="adam",
        max_iter=5,
        tol=0.0,
        random_state=0,
    )
    print(
        f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, BLAS threads {args.threads}\n"
    )
    print("| dtype | scikit-learn (s) | fastmlp (s) | speed-up | max loss-curve diff |")
    print("|---|---|---|---|---|")
    with threadpool_limits(args.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for dtype in (np.float64, np.float32):
            Xd = X.astype(dtype)
            t_sk, sk = best_time(
                lambda: SklearnMLPClassifier(**params), Xd, y, args.repeats
            )
            t_us, us = best_time(lambda: MLPClassifier(**params), Xd, y, args.repeats)
            diff = np.max(np.abs(np.subtract(sk.loss_curve_, us.loss_curve_)))
            print(
                f"| {np.dtype(dtype).name} | {t_sk:.3f} | {t_us:.3f} | "
                f"{t_sk / t_us:.1f}x | {diff:.1e} |"
            )


if __name__ == "__main__":
    main()

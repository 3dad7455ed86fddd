"""Fits in several Python threads at once vs the same fits one after the other.

    python benchmarks/concurrent_fits.py [--fits K] [--repeats R]

Data: 20000 x 784 standard normal float32 features, 10 classes; hidden (100,),
batch_size=200, adam, 3 epochs (tol=0). The main thread first fits once itself (as
a script that fits, then hands work to a thread pool, would), then K fits with
different random_state run (a) one after the other in the main thread and (b) at
the same time in K threads of a thread pool, and (c) at the same time under the
user's own `threadpool_limits(1)`. Best of R rounds, in seconds for all K fits.
With K fits at once fastmlp gives each one thread; on a machine with at least K
cores (b) should take about as long as one fit, and never much longer than (a).
"""

import argparse
import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from fastmlp import MLPClassifier


def fit(seed, X, y):
    return MLPClassifier(
        hidden_layer_sizes=(100,),
        batch_size=200,
        max_iter=3,
        tol=0.0,
        n_iter_no_change=100,
        random_state=seed,
    ).fit(X, y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 20_000)
    seeds = list(range(args.fits))
    fit(0, X, y)  # warm-up, in the main thread

    def timed(run):
        best = np.inf
        for _ in range(args.repeats):
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
        return best

    with ThreadPoolExecutor(max_workers=args.fits) as pool:

        def together():
            list(pool.map(lambda s: fit(s, X, y), seeds))

        def limited():
            with threadpool_limits(limits=1, user_api="blas"):
                together()

        sequential = timed(lambda: [fit(s, X, y) for s in seeds])
        concurrent = timed(together)
        concurrent_1 = timed(limited)
    print(f"{args.fits} fits, {len(os.sched_getaffinity(0))} CPUs")
    print("| one after the other | at once | at once, threadpool_limits(1) |")
    print("|---|---|---|")
    print(f"| {sequential:.3f} s | {concurrent:.3f} s | {concurrent_1:.3f} s |")


if __name__ == "__main__":
    main()

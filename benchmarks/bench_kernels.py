"""asv benchmarks of the own small-GEMM kernels against OpenBLAS.

    asv run --python=same --quick -b GemmProduct -b TrainingStep

GemmProduct (shape, op, dtype, kernel)
    time_product        PRODUCTS products of a training step at batch 200 for a layer
                        of shape (fan-in, fan-out): forward X @ W, weight grad A^T D,
                        delta back D @ W^T (see kernels.py, function operands), with
                        kernel "own" (the current instruction set) or "blas", in one
                        call of fastmlp._kernels._gemm.product (its `repeat`; one
                        product per call where it has none), so the cost of the Python
                        call is spread over them

TrainingStep (network, dtype, kernels)
    time_fit            a fit of MLPClassifier(hidden, batch_size=200, tol=0) for a
                        fixed number of epochs on 10000 synthetic rows (50 batches an
                        epoch), with FASTMLP_KERNELS set to `kernels`
    track_us_per_batch  the same fit's time per mini-batch in microseconds, the
                        fastest of 3 fits

BLAS threads are pinned to FASTMLP_BENCH_THREADS (default 1) as in common.py, which
also makes fastmlp's team one thread. Where fastmlp._kernels._gemm is not built, the
benchmarks that need it are skipped (setup raises NotImplementedError).
`python benchmarks/kernels.py` prints the same comparisons as tables.
"""

import math
import os
import time

import numpy as np

from .common import DTYPES, bench_context

SHAPES = ["20x100", "100x10", "64x32", "784x100", "256x256"]
OPS = ["forward", "weight grad", "delta back"]
NETWORKS = {  # name: (hidden, inputs, classes, epochs)
    "(64,32) 20 in 2 cl": ((64, 32), 20, 2, 20),
    "(100,) 784 in 10 cl": ((100,), 784, 10, 3),
    "(256,256) 784 in 10 cl": ((256, 256), 784, 10, 2),
}
PRODUCTS = 20
STEP_ROWS = 10_000
BATCH = 200
ENV = "FASTMLP_KERNELS"


def load_gemm():
    """fastmlp._kernels._gemm; NotImplementedError (asv: skipped) where not built."""
    try:
        from fastmlp._kernels import _gemm
    except ImportError as exc:
        raise NotImplementedError(f"fastmlp._kernels._gemm is not built: {exc}") from exc
    return _gemm


class GemmProduct:
    """One product of a training step, own kernels vs OpenBLAS."""

    params = [SHAPES, OPS, DTYPES, ["own", "blas"]]
    param_names = ["shape", "op", "dtype", "kernel"]
    timeout = 120

    def setup(self, shape, op, dtype, kernel):
        from .kernels import has_keyword, operands

        self.gemm = load_gemm()
        k, n = map(int, shape.split("x"))
        trans_b = has_keyword(self.gemm, "trans_b", False)
        (self.A, self.B, self.C, self.keywords), _ = operands(
            op, k, n, dtype, np.random.default_rng(0), trans_b
        )
        if has_keyword(self.gemm, "repeat", 1):
            self.keywords["repeat"] = PRODUCTS
        self._context = bench_context()

    def teardown(self, shape, op, dtype, kernel):
        self._context.close()

    def time_product(self, shape, op, dtype, kernel):
        self.gemm.product(self.A, self.B, self.C, kernel=kernel, **self.keywords)


class TrainingStep:
    """Fits of MLPClassifier at batch 200 with FASTMLP_KERNELS=blas or auto."""

    params = [list(NETWORKS), DTYPES, ["blas", "auto"]]
    param_names = ["network", "dtype", "kernels"]
    timeout = 300

    def setup(self, network, dtype, kernels):
        if kernels != "blas":
            load_gemm()  # without the own kernels, "auto" would measure BLAS again
        from fastmlp import MLPClassifier

        hidden, inputs, classes, self.epochs = NETWORKS[network]
        rng = np.random.default_rng(0)
        X = rng.standard_normal((STEP_ROWS, inputs))
        scores = X @ rng.standard_normal((inputs, classes))
        self.y = np.argmax(
            scores + 0.3 * scores.std() * rng.standard_normal(scores.shape), axis=1
        )
        self.X = X.astype(dtype)
        self._saved = os.environ.get(ENV)
        os.environ[ENV] = kernels
        self._context = bench_context()

        def make(epochs):
            return MLPClassifier(
                hidden,
                batch_size=BATCH,
                max_iter=epochs,
                tol=0.0,
                n_iter_no_change=epochs + 1,
                random_state=0,
            )

        self.make = make
        make(1).fit(self.X, self.y)  # warm-up

    def teardown(self, network, dtype, kernels):
        self._context.close()
        if self._saved is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = self._saved

    def time_fit(self, network, dtype, kernels):
        self.make(self.epochs).fit(self.X, self.y)

    time_fit.number = 1
    time_fit.repeat = (1, 3, 10.0)
    time_fit.warmup_time = 0.0

    def track_us_per_batch(self, network, dtype, kernels):
        best = math.inf
        for _ in range(3):
            model = self.make(self.epochs)
            start = time.perf_counter()
            model.fit(self.X, self.y)
            best = min(best, time.perf_counter() - start)
        return 1e6 * best / (self.epochs * math.ceil(STEP_ROWS / BATCH))

    track_us_per_batch.unit = "us"

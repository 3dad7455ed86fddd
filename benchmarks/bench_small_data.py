"""asv benchmarks of the per-call costs on small data: scikit-learn's digits (X / 16,
1797 x 64, 10 classes), hidden (64, 32), adam's defaults, random_state=0 (see
common.digits_params), the calls whose fixed cost is the whole cost there.

    asv run --python=same --quick -b SmallData

SmallDataCalls (dtype)
    time_predict_1_row, time_predict_proba_1_row, time_predict_proba_10_rows,
    time_predict_1797_rows      a classifier fitted 40 epochs (in setup_cache)
    time_partial_fit_1_row, time_partial_fit_32_rows,
    time_regressor_partial_fit_1_row, time_regressor_partial_fit_32_rows
                                a classifier (classes given there) and a regressor (on
                                digits' y as a float target) after a first partial_fit
                                over digits in setup; every timed call updates them

SmallDataFit (early_stopping, dtype)
    time_fit_1_epoch            max_iter=1: the fixed cost of a fit
    time_fit_40_epochs          max_iter=40, tol=0: every epoch runs

BLAS threads are pinned to FASTMLP_BENCH_THREADS (default 1) as in common.py.
`python benchmarks/compare.py --only small-data` measures the same calls against
scikit-learn's.
"""

from fastmlp import MLPClassifier, MLPRegressor

from .common import (
    DIGITS_CLASSES,
    DTYPES,
    LONG_EPOCHS,
    bench_context,
    digits_data,
    digits_params,
)


class SmallDataCalls:
    """predict, predict_proba and partial_fit of a few rows."""

    params = [DTYPES]
    param_names = ["dtype"]
    timeout = 300

    def setup_cache(self):
        with bench_context():
            return {
                dtype: MLPClassifier(**digits_params(LONG_EPOCHS)).fit(*digits_data(dtype))
                for dtype in DTYPES
            }

    def setup(self, fitted, dtype):
        self._context = bench_context()
        X, y = digits_data(dtype)
        self.X, self.y, self.y_float = X, y, y.astype(dtype)
        self.X1, self.X10, self.X32 = X[:1], X[:10], X[:32]
        self.fitted = fitted[dtype]
        self.classifier = MLPClassifier(**digits_params(1)).partial_fit(
            X, y, classes=DIGITS_CLASSES
        )
        self.regressor = MLPRegressor(**digits_params(1)).partial_fit(X, self.y_float)

    def teardown(self, fitted, dtype):
        self._context.close()

    def time_predict_1_row(self, fitted, dtype):
        self.fitted.predict(self.X1)

    def time_predict_proba_1_row(self, fitted, dtype):
        self.fitted.predict_proba(self.X1)

    def time_predict_proba_10_rows(self, fitted, dtype):
        self.fitted.predict_proba(self.X10)

    def time_predict_1797_rows(self, fitted, dtype):
        self.fitted.predict(self.X)

    def time_partial_fit_1_row(self, fitted, dtype):
        self.classifier.partial_fit(self.X1, self.y[:1])

    def time_partial_fit_32_rows(self, fitted, dtype):
        self.classifier.partial_fit(self.X32, self.y[:32])

    def time_regressor_partial_fit_1_row(self, fitted, dtype):
        self.regressor.partial_fit(self.X1, self.y_float[:1])

    def time_regressor_partial_fit_32_rows(self, fitted, dtype):
        self.regressor.partial_fit(self.X32, self.y_float[:32])


class SmallDataFit:
    """A fit of 1 epoch (its fixed cost) and of 40, without and with early stopping."""

    params = [[False, True], DTYPES]
    param_names = ["early_stopping", "dtype"]
    timeout = 300

    def setup(self, early_stopping, dtype):
        self._context = bench_context()
        self.X, self.y = digits_data(dtype)

    def teardown(self, early_stopping, dtype):
        self._context.close()

    def time_fit_1_epoch(self, early_stopping, dtype):
        MLPClassifier(**digits_params(1, early_stopping)).fit(self.X, self.y)

    def time_fit_40_epochs(self, early_stopping, dtype):
        MLPClassifier(**digits_params(LONG_EPOCHS, early_stopping)).fit(self.X, self.y)

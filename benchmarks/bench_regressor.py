"""asv benchmarks of fastmlp.MLPRegressor: fit time, fit peak memory, predict time
and final training loss over solver x dtype x size (2 targets, see common.py).

    asv run --python=same --quick -b MLPRegressorSuite
"""

from fastmlp import MLPRegressor

from .common import MLPBenchmark, regression_data


class MLPRegressorSuite(MLPBenchmark):
    """MLPRegressor on a 2-output synthetic regression problem."""

    estimator_class = MLPRegressor
    load_data = staticmethod(regression_data)

    def setup_cache(self):
        return self._fit_all()

"""asv benchmarks of fastmlp.MLPClassifier: fit time, fit peak memory, predict time
and final training loss over solver x dtype x size (5 classes, see common.py).

    asv run --python=same --quick -b MLPClassifierSuite
"""

from fastmlp import MLPClassifier

from .common import MLPBenchmark, classification_data


class MLPClassifierSuite(MLPBenchmark):
    """MLPClassifier on a 5-class synthetic problem."""

    estimator_class = MLPClassifier
    load_data = staticmethod(classification_data)

    def setup_cache(self):
        return self._fit_all()

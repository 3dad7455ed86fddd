"""asv benchmark of a hyper-parameter search: scikit-learn's breast cancer
(569 x 30), Pipeline(StandardScaler(), MLPClassifier(random_state=0,
max_iter=40)), a grid of hidden (32,), (64,), (64, 32) x alpha 1e-4, 1e-2 x
learning_rate_init 1e-3, 1e-2 with cv=5 (60 fits), BLAS allowed two threads.

    asv run --python=same --quick -b Search

Search (way)
    time_grid_search   "together": fastmlp.model_selection.GridSearchCV (the
                       fits trained together); "one-by-one": scikit-learn's
                       GridSearchCV over the same fastmlp pipeline.
    time_cross_val_score  cross_val_score(cv=5) of the (64, 32) candidate, by
                       fastmlp.model_selection / by scikit-learn.

`python benchmarks/compare.py --only search` measures the larger grids, with
scikit-learn's MLP beside.
"""

from sklearn import model_selection as skms
from sklearn.datasets import load_breast_cancer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fastmlp import MLPClassifier
from fastmlp import model_selection as fms

from .common import bench_context

GRID = {
    "mlp__hidden_layer_sizes": [(32,), (64,), (64, 32)],
    "mlp__alpha": [1e-4, 1e-2],
    "mlp__learning_rate_init": [1e-3, 1e-2],
}


def _pipeline(**params):
    model = MLPClassifier(max_iter=40, random_state=0, **params)
    return Pipeline([("scale", StandardScaler()), ("mlp", model)])


class Search:
    params = [["together", "one-by-one"]]
    param_names = ["way"]
    timeout = 300

    def setup(self, way):
        self.X, self.y = load_breast_cancer(return_X_y=True)
        self._context = bench_context(threads=2)
        self.module = fms if way == "together" else skms

    def teardown(self, way):
        self._context.close()

    def time_grid_search(self, way):
        self.module.GridSearchCV(_pipeline(), GRID, cv=5).fit(self.X, self.y)

    def time_cross_val_score(self, way):
        self.module.cross_val_score(_pipeline(hidden_layer_sizes=(64, 32)), self.X,
                                    self.y, cv=5)  # fmt: skip

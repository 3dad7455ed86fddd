"""The rows a fit trains on, and the one full-batch objective.

`TrainingSet` is what a fit's drivers read: the engine's `Dataset` of the rows
(X, targets, weights in the network's dtype) with the validated X and y that
early stopping splits, and the rows that train.  `FullBatchObjective` is the
data loss (weighted mean over the rows) plus the penalty, with its gradient,
evaluated by the engine over row chunks so its workspace does not grow with the
number of rows.  L-BFGS minimises it, early stopping reads its data loss and
score sums on the held-out rows (a forward pass only), and `check_gradients`
differentiates it numerically.
"""

from typing import NamedTuple

import numpy as np

from ._kernels import _engine

# Rows per chunk for full-batch work (objective, prediction) are chosen so the
# activations of one chunk hold about this many values.
_CHUNK_VALUES = 1 << 20


def chunk_rows(layout, n):
    """Rows per chunk of full-batch work on `n` rows of the network `layout`."""
    return int(max(1, min(n, max(64, _CHUNK_VALUES // layout.width))))


def row_flops(data, layout):
    """Floating-point operations of a forward and backward pass per row of the
    Dataset `data` (~ 6 per weight; a sparse first layer costs per stored value)."""
    if not data.sparse:
        return layout.dense_row_flops
    units = np.asarray(layout.units, dtype=np.float64)
    per_weight = units[:-1] * units[1:]
    # the first layer touches fan_out weights per stored value
    per_weight[0] = data.n_stored / max(data.n_rows, 1) * units[1]
    return 6.0 * float(per_weight.sum())


class TrainingSet(NamedTuple):
    """The rows a fit trains on, in every form its drivers read them."""

    X: object  # validated X (dense or sparse): split and scored for early stopping
    y: np.ndarray  # validated targets, 2-D (label indicators for classifiers)
    weighted: bool  # whether sample_weight or class_weight gave weights
    data: _engine.Dataset  # X, Y and weights in the network's dtype
    rows: object = None  # the rows that train (intp array), None: all of them

    @classmethod
    def build(cls, X, y, weights, dtype):
        """`weights`: the per-row weights (sample and class weights), or None."""
        return cls(X, y, weights is not None, _engine.Dataset(X, dtype, y, weights))

    @property
    def n_samples(self):
        """Rows an epoch trains on."""
        return self.data.n_rows if self.rows is None else self.rows.shape[0]


class FullBatchObjective:
    """Objective and gradient of the network `spec` on all rows of the Dataset
    `data`.

    The objective is the data loss averaged over the rows with the sample
    weights plus the penalty alpha * ((1 - l1_ratio) * 0.5 * ||W||^2 +
    l1_ratio * ||W||_1) divided by the weight sum; `spec` says whether dropout
    applies (never, here: the engine's full-batch pass has none).
    """

    def __init__(self, spec, data):
        self.spec, self.data = spec, data
        self.n_rows = data.n_rows
        self.flops = self.n_rows * row_flops(data, spec.layout)
        self.chunk = chunk_rows(spec.layout, self.n_rows)

    def __call__(self, params, grad, n_threads=1):
        """The objective at `params`; `grad` receives its gradient.  Returns
        ``(objective, data_loss)``, data_loss being the weighted mean loss
        without the penalty.  The result does not depend on `n_threads`."""
        network = _engine.Network(self.spec, params)
        return _engine.loss_grad(network, self.data, grad, self.chunk, n_threads)

    def validation_pass(self, params, rule, sums, correct, n_threads=1):
        """The data loss at `params` (the one __call__ gives) and the score sums
        of `rule` (a value of _codes.SCORE_RULES) in `sums` and `correct`, from
        one forward pass.  Returns ``(data_loss, finite)``, finite being False
        when an output is NaN or infinite."""
        network = _engine.Network(self.spec, params)
        return _engine.validation_pass(
            network, self.data, self.chunk, rule, sums, correct, n_threads
        )

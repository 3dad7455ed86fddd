"""The engine's input and the one full-batch objective.

`EngineInput` is X as the compiled engine reads it: dense C-contiguous rows, or
the three arrays of a canonical CSR matrix; `TrainingSet` bundles it with the
targets and weights of a fit.  `FullBatchObjective` is the data
loss (weighted mean over the rows) plus the penalty, with its gradient,
evaluated by the engine over row chunks so its workspace does not grow with the
number of rows.  L-BFGS minimises it, early stopping reads its data loss and
score sums on the held-out rows (a forward pass only), and `check_gradients`
differentiates it numerically.
"""

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ._kernels import _engine

# Rows per chunk for full-batch work (objective, prediction) are chosen so the
# activations of one chunk hold about this many values.
_CHUNK_VALUES = 1 << 20


def chunk_rows(layout, n):
    """Rows per chunk of full-batch work on `n` rows of the network `layout`."""
    return int(max(1, min(n, max(64, _CHUNK_VALUES // layout.width))))


class EngineInput(NamedTuple):
    """X as the engine takes it; unpacked (``*data``) into the engine's calls."""

    dense: np.ndarray  # (n_rows, n_features) C-contiguous; (0, n_features) when sparse
    data: np.ndarray  # CSR values (empty when dense)
    indices: np.ndarray  # CSR column indices
    indptr: np.ndarray  # CSR row pointers
    sparse: bool

    @classmethod
    def from_X(cls, X, dtype):
        """X (dense or sparse) in `dtype`, copied only where the engine needs it."""
        if sp.issparse(X):
            X = sp.csr_matrix(X, dtype=dtype)
            if not X.has_canonical_format:
                X = X.copy()
                X.sum_duplicates()
            return cls(
                np.empty((0, X.shape[1]), dtype=dtype),
                np.ascontiguousarray(X.data, dtype=dtype),
                np.ascontiguousarray(X.indices, dtype=np.intp),
                np.ascontiguousarray(X.indptr, dtype=np.intp),
                True,
            )
        no_index = np.zeros(1, dtype=np.intp)
        return cls(np.ascontiguousarray(X, dtype=dtype), np.zeros(0, dtype=dtype),
                   no_index, no_index, False)  # fmt: skip

    @property
    def values(self):
        """The stored values: what a finiteness check reads."""
        return self.data if self.sparse else self.dense

    def row_flops(self, layout):
        """Floating-point operations of a forward and backward pass per row
        (~ 6 per weight; a sparse first layer costs per stored value)."""
        if not self.sparse:
            return layout.dense_row_flops
        units = np.asarray(layout.units, dtype=np.float64)
        per_weight = units[:-1] * units[1:]
        # the first layer touches fan_out weights per stored value
        n_rows = max(self.indptr.shape[0] - 1, 1)
        per_weight[0] = self.data.shape[0] / n_rows * units[1]
        return 6.0 * float(per_weight.sum())


class TrainingSet(NamedTuple):
    """The rows a fit trains on, in every form its drivers read them."""

    X: object  # validated X (dense or sparse): scored and split for early stopping
    y: np.ndarray  # validated targets, 2-D (label indicators for classifiers)
    Y: np.ndarray  # y in the network's dtype, C-contiguous: what the engine reads
    sample_weight: np.ndarray  # per-row weights in the network's dtype (ones if none)
    weighted: bool  # whether sample_weight or class_weight gave weights
    inputs: EngineInput

    @classmethod
    def build(cls, X, y, weights, dtype):
        """`weights`: the per-row weights (sample and class weights), or None."""
        if weights is None:
            sw = np.ones(X.shape[0], dtype=dtype)
        else:
            sw = np.ascontiguousarray(weights, dtype=dtype)
        Y = np.ascontiguousarray(y, dtype=dtype)
        return cls(X, y, Y, sw, weights is not None, EngineInput.from_X(X, dtype))


class FullBatchObjective:
    """Objective and gradient of the network `spec` on all rows of `data`.

    The objective is the data loss averaged over the rows with
    `sample_weight` plus the penalty alpha * ((1 - l1_ratio) * 0.5 * ||W||^2 +
    l1_ratio * ||W||_1) divided by the weight sum; `spec` says whether dropout
    applies (never, here: the engine's full-batch pass has none).
    """

    def __init__(self, spec, data, Y, sample_weight, layout):
        dtype = Y.dtype
        self.spec, self.data, self.Y, self.sample_weight = spec, data, Y, sample_weight
        self.n_rows = Y.shape[0]
        self.flops = self.n_rows * data.row_flops(layout)
        self.chunk = chunk_rows(layout, self.n_rows)
        self._workspace = np.empty(max(1, spec.workspace_size(self.chunk, False, True)), dtype)

    def __call__(self, params, grad, n_threads=1):
        """The objective at `params`; `grad` receives its gradient.  Returns
        ``(objective, data_loss)``, data_loss being the weighted mean loss
        without the penalty.  The result does not depend on `n_threads`."""
        return _engine.loss_grad(
            self.spec, *self.data, self.Y, self.sample_weight, params, grad,
            self._workspace, self.chunk, n_threads,
        )  # fmt: skip

    def validation_pass(self, params, rule, sums, correct, n_threads=1):
        """The data loss at `params` (the one __call__ gives) and the score sums
        of `rule` (a value of _codes.SCORE_RULES) in `sums` and `correct`, from
        one forward pass.  Returns ``(data_loss, finite)``, finite being False
        when an output is NaN or infinite."""
        return _engine.validation_pass(
            self.spec, *self.data, self.Y, self.sample_weight, params, self._workspace,
            self.chunk, rule, sums, correct, n_threads,
        )  # fmt: skip

"""Early stopping: the validation split, the validation loss and score of each
epoch, and the best parameters seen (the stopping rule itself is the epoch
loop's, `_stochastic.py`).

The split is of row indices, as scikit-learn's (same random draws, stratified
for single-output classification): the engine trains on the training rows of X
in place, and the held-out rows are scored after every epoch, by one forward
pass of the engine that gives the loss and the sums the score is made of.
"""

import numpy as np
from sklearn.model_selection import train_test_split

from ._kernels import _codes
from ._objective import FullBatchObjective


class _Accuracy:
    """accuracy_score(y_val, est.predict(X_val), sample_weight=sw_val) from the
    rows the engine finds predicted right."""

    def __init__(self, n_rows, sample_weight, dtype):
        self.sums = np.zeros(1)
        self.correct = np.empty(n_rows, dtype=dtype)
        self._weights = None
        if sample_weight is not None:
            # accuracy_score takes any weights as float64
            self._weights = sample_weight.astype(np.float64)
            self._weighted = np.empty(n_rows)
            self._weight_sum = self._weights.sum()

    def score(self, finite):
        # Classes are predicted from non-finite outputs too (predict does so),
        # so `finite` does not matter.
        if self._weights is None:
            # The count of right rows, exact in double: np.mean's value.
            return float(self.sums[0] / self.correct.shape[0])
        # np.average's sums (pairwise), to the last bit.
        np.multiply(self.correct, self._weights, out=self._weighted)
        return float(self._weighted.sum() / self._weight_sum)


class _R2:
    """r2_score(y_val, est.predict(X_val), sample_weight=sw_val) (outputs
    averaged uniformly, force_finite) from the engine's residual sums."""

    def __init__(self, Y, sample_weight):
        y = Y.astype(np.float64)
        if sample_weight is None:
            w = np.ones((y.shape[0], 1))
        else:
            w = sample_weight.astype(np.float64)[:, None]
        # Weights summing to 0 fail later, in the first epoch's validation loss.
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.sum(w * y, axis=0) / np.sum(w)
        self._total = np.sum(w * (y - mean) ** 2, axis=0)
        self.sums = np.zeros(y.shape[1])
        self.correct = np.empty(0, dtype=Y.dtype)

    def score(self, finite):
        if not finite:
            return np.nan
        # A constant column scores 1 when fitted exactly, else 0 (force_finite).
        per_output = [1.0 - r / t if t != 0 else float(r == 0)
                      for r, t in zip(self.sums, self._total)]  # fmt: skip
        return float(np.mean(per_output))


def validation_split(n_rows, stratify, random_state, validation_fraction):
    """(train_rows, val_rows): the rows a fit with ``early_stopping=True`` trains
    on and holds out, as scikit-learn draws them (`stratify`: the labels of a
    single-output classification, else None)."""
    train_rows, val_rows = train_test_split(
        np.arange(n_rows),
        random_state=random_state,
        test_size=validation_fraction,
        stratify=stratify,
    )
    if val_rows.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    return train_rows.astype(np.intp), val_rows


class ValidationSet:
    """The rows early stopping scores after every epoch.

    `evaluate` gives the validation loss (the data loss without the penalty)
    and the score (accuracy or R², with the sample weights when the fit has
    any) of given parameters; `keep` copies the parameters of a new best score
    into a buffer of this fit's own, `best_params`.

    Parameters
    ----------
    spec : NetSpec
        The network, without dropout.
    data : Dataset
        The held-out rows with their targets and weights (ones when none).
    rule : str
        A key of _codes.SCORE_RULES: how the estimator's predict decides.
    weighted : bool
        Whether the score weighs the rows by data.sample_weight.
    best_params : ndarray
        The parameters to restore should no epoch of this fit score best (the
        best of an earlier call with warm_start).
    """

    def __init__(self, spec, data, rule, weighted, best_params):
        self._pass = FullBatchObjective(spec, data)
        self._rule = _codes.SCORE_RULES[rule]
        weights = data.sample_weight if weighted else None
        if rule == "residuals":
            self._score = _R2(data.Y, weights)
        else:
            self._score = _Accuracy(data.n_rows, weights, data.dtype)
        self.best_params = best_params
        # A buffer of this fit's own: the estimator's snapshot (roll-back of a
        # failed call) may hold the array best_params was before.
        self._best = np.empty_like(best_params)

    def evaluate(self, params, n_threads):
        """(validation loss, validation score) at `params`."""
        score = self._score
        loss, finite = self._pass.validation_pass(params, self._rule, score.sums,
                                                  score.correct, n_threads)
        return loss, score.score(finite)

    def keep(self, params):
        """Remember `params` as the best parameters; returns the buffer."""
        np.copyto(self._best, params)
        self.best_params = self._best
        return self._best

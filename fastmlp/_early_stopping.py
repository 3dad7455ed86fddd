"""Early stopping: the validation split, the validation loss and score of each
epoch, and the best parameters seen.

The split is of row indices, as scikit-learn's (same random draws, stratified
for single-output classification): the engine trains on the training rows of X
in place, and the held-out rows are scored after every epoch, by one forward
pass of the engine that gives the loss and the sums the score is made of.
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split

from ._kernels import _codes
from ._objective import EngineInput, FullBatchObjective


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


class ValidationSet:
    """The rows held out of a fit with ``early_stopping=True``.

    ``train_rows`` are the rows the epochs train on; `evaluate` gives the
    validation loss (the data loss without the penalty) and the score
    (accuracy or R², with the sample weights) of the current parameters;
    `record` keeps the best parameters.
    """

    def __init__(self, est, training_set, layout):
        X, y, Y, sw = training_set.X, training_set.y, training_set.Y, training_set.sample_weight
        n_total = Y.shape[0]
        stratify = y if (is_classifier(est) and est.n_outputs_ == 1) else None
        train_rows, val_rows = train_test_split(
            np.arange(n_total),
            random_state=est._random_state,
            test_size=est.validation_fraction,
            stratify=stratify,
        )
        if val_rows.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        self.train_rows = train_rows.astype(np.intp)
        dtype = Y.dtype
        Y_val, sw_val = Y[val_rows], sw[val_rows]  # weights: ones when none were given
        self._pass = FullBatchObjective(
            est._net_spec(layout, dropout=False),
            EngineInput.from_X(X[val_rows], dtype),
            Y_val,
            sw_val,
            layout,
        )
        rule = est._score_rule()
        self._rule = _codes.SCORE_RULES[rule]
        weights = sw_val if training_set.weighted else None
        if rule == "residuals":
            self._score = _R2(Y_val, weights)
        else:
            self._score = _Accuracy(val_rows.shape[0], weights, dtype)
        # A buffer of this fit's own: the estimator's snapshot (roll-back of a
        # failed call) may hold the array _best_params was before.
        self._best = np.empty(layout.n_params, dtype=dtype)

    def evaluate(self, params, n_threads):
        """(validation loss, validation score) at `params`."""
        score = self._score
        loss, finite = self._pass.validation_pass(params, self._rule, score.sums,
                                                  score.correct, n_threads)
        return loss, score.score(finite)

    def record(self, est, score):
        """Append the epoch's validation score; count epochs without improvement
        by more than tol; keep the parameters of the best score."""
        est.validation_scores_.append(score)
        if est.verbose:
            print("Validation score: %f" % score)
        if score < est.best_validation_score_ + est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            np.copyto(self._best, est._params)
            est._best_params = self._best

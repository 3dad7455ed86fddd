"""Early stopping: the validation split, the validation loss and score of each
epoch, and the best parameters seen.

The split is of row indices, as scikit-learn's (same random draws, stratified
for single-output classification): the engine trains on the training rows of X
in place, and the held-out rows are scored after every epoch.
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split

from ._objective import EngineInput, FullBatchObjective


class ValidationSet:
    """The rows held out of a fit with ``early_stopping=True``.

    ``train_rows`` are the rows the epochs train on; `evaluate` gives the
    validation loss (the data loss without the penalty) and the score
    (accuracy or R², with the sample weights) of the current parameters.
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
        self.X = X[val_rows]
        y_val = Y[val_rows]
        if is_classifier(est):
            y_val = est._label_binarizer.inverse_transform(y_val)
        elif y_val.shape[1] == 1:
            y_val = y_val.ravel()
        self.y = y_val
        self.sample_weight = sw[val_rows] if training_set.weighted else None
        self._loss = FullBatchObjective(
            est._net_spec(layout, dropout=False),
            EngineInput.from_X(self.X, dtype),
            Y[val_rows],
            sw[val_rows],  # ones when no weights were given
            layout,
        )
        self._grad = np.empty(layout.n_params, dtype=dtype)

    def evaluate(self, est, params, n_threads):
        """(validation loss, validation score) of `est` at `params`."""
        _, loss = self._loss(params, self._grad, n_threads)
        score = est._score(self.X, self.y, sample_weight=self.sample_weight)
        return loss, score


def record_validation_score(est, score):
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
        est._best_params = est._params.copy()

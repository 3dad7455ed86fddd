"""Early stopping and validation scores: the validation split, the validation
loss and score of each epoch, and the best parameters seen (the stopping rule
itself is the epoch loop's, `_stochastic.py`).

The rows scored are either a split of the training rows (row indices, as
scikit-learn draws them: same random draws, stratified for single-output
classification; the engine trains on the other rows of X in place) or a
validation set given to fit.  After every epoch one forward pass of the engine
gives their loss and the sums the built-in scores are made of (accuracy, R²);
``scoring='loss'`` reads the loss alone, and any other scorer runs in Python on
the engine's prediction of the validation rows (`ScorerScore`).

Each score kind has the same face: `rule`, `sums` and `correct` (what the
engine's validation pass fills) and ``score(loss, finite, params, n_threads)``.
"""

import numpy as np
from sklearn.model_selection import train_test_split

from ._kernels import _codes, _engine
from ._objective import FullBatchObjective


def _score_buffers(rule, data):
    """(rule code, sums, correct): what the validation pass of score rule `rule`
    (a key of _codes.SCORE_RULES) on the Dataset `data` writes: one sum per
    output and no row flags for "residuals", else one sum and one flag per row
    (in the network's dtype)."""
    code = _codes.SCORE_RULES[rule]
    if rule == "residuals":
        return code, np.zeros(data.Y.shape[1]), np.empty(0, dtype=data.dtype)
    return code, np.zeros(1), np.empty(data.n_rows, dtype=data.dtype)


def builtin_score(rule, data, weighted):
    """scoring=None: the estimator's own score (accuracy, or R² for the rule
    "residuals") of the validation rows `data`, weighted by their
    data.sample_weight when `weighted`."""
    if rule == "residuals":
        return _R2(data, weighted)
    return _Accuracy(rule, data, weighted)


class _Accuracy:
    """accuracy_score(y_val, est.predict(X_val), sample_weight=sw_val) from the
    rows the engine finds predicted right."""

    def __init__(self, rule, data, weighted):
        self.rule, self.sums, self.correct = _score_buffers(rule, data)
        self._weights = None
        if weighted:
            n_rows = data.n_rows
            # accuracy_score takes any weights as float64
            self._weights = data.sample_weight.astype(np.float64)
            self._weighted = np.empty(n_rows)
            self._weight_sum = self._weights.sum()

    def score(self, loss, finite, params, n_threads):
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

    def __init__(self, data, weighted):
        y = data.Y.astype(np.float64)
        if not weighted:
            w = np.ones((y.shape[0], 1))
        else:
            w = data.sample_weight.astype(np.float64)[:, None]
        # Weights summing to 0 fail later, in the first epoch's validation loss.
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.sum(w * y, axis=0) / np.sum(w)
        self._total = np.sum(w * (y - mean) ** 2, axis=0)
        self.rule, self.sums, self.correct = _score_buffers("residuals", data)

    def score(self, loss, finite, params, n_threads):
        if not finite:
            return np.nan
        # A constant column scores 1 when fitted exactly, else 0 (force_finite).
        per_output = [1.0 - r / t if t != 0 else float(r == 0)
                      for r, t in zip(self.sums, self._total)]  # fmt: skip
        return float(np.mean(per_output))


class NegativeLoss:
    """scoring='loss': the validation loss (the data loss, no penalty), negated
    so that greater is better.  The pass's score sums (of the estimator's own
    rule, `rule`, over the Dataset `data`) are not read."""

    def __init__(self, rule, data):
        self.rule, self.sums, self.correct = _score_buffers(rule, data)

    def score(self, loss, finite, params, n_threads):
        return -loss


class EpochResponses:
    """Stands for the estimator in a scorer's call, ``scorer(responses, X, y)``.

    Its ``predict``, ``predict_proba``, ``predict_log_proba`` and
    ``decision_function`` of the validation rows' X (that very object) are the
    estimator's own, computed from one engine prediction of the epoch's
    parameters per kind of output (the output activation, or the raw scores for
    ``decision_function``), without validating X again; any other attribute,
    and these methods on other data, are the estimator's (so a scorer finds
    the methods the estimator has, and only those).

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        The estimator being fitted; read, never changed.
    X : ndarray or sparse matrix of shape (n_val, n_features)
        The validation rows as the scorer receives them.
    data : Dataset
        The same rows as the engine reads them.
    specs : dict
        {None: NetSpec of the network's outputs, "identity": NetSpec of its raw
        scores (classifiers)}, both without dropout.
    chunk : int
        Rows per chunk of the prediction: the estimator's own for this many
        rows, so the outputs are bit for bit those of its predict.
    """

    METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")

    def __init__(self, estimator, X, data, specs, chunk):
        self._estimator, self.X, self.data = estimator, X, data
        self._specs, self._chunk = specs, chunk
        self._params = None
        self._outputs = {}

    def start_epoch(self, params, n_threads):
        """Answer for the parameters `params` (None: for no epoch)."""
        self._params, self._n_threads = params, n_threads
        self._outputs.clear()

    def __getattr__(self, name):
        try:
            estimator = self.__dict__["_estimator"]
        except KeyError:  # copy, pickle: not set up
            raise AttributeError(name) from None
        attribute = getattr(estimator, name)  # the estimator's AttributeError
        if name not in self.METHODS:
            return attribute

        def response(X):
            if X is not self.X or self._params is None:
                return attribute(X)
            return estimator._output_response(name, self._output(name))

        response.__name__ = name  # scikit-learn's scorers read it
        return response

    def _output(self, method):
        kind = "identity" if method == "decision_function" else None
        out = self._outputs.get(kind)
        if out is None:
            spec = self._specs[kind]
            out = np.empty(
                (self.data.n_rows, spec.layout.units[-1]), dtype=self._params.dtype
            )
            _engine.predict(
                _engine.Network(spec, self._params),
                self.data,
                out,
                self._chunk,
                self._n_threads,
            )
            self._outputs[kind] = out
        return out


class ScorerScore:
    """A scikit-learn scorer (a name's, or a callable ``scorer(estimator, X,
    y)``) of the validation rows, in Python, once per epoch: its calls of
    predict, predict_proba or decision_function read one engine prediction of
    the rows (`EpochResponses`).  As the estimators' score, NaN when the
    network's outputs are not finite.

    `name` is how the user gave the scorer (for messages); `responses` holds
    the rows (X and their Dataset); `y` their targets as the scorer reads them
    (class labels for classifiers); `sample_weight` None or one weight per row;
    `rule` the estimator's score rule (the pass's sums are not read)."""

    def __init__(self, name, scorer, responses, y, sample_weight, rule):
        self.rule, self.sums, self.correct = _score_buffers(rule, responses.data)
        self._name, self._scorer, self._responses = name, scorer, responses
        self._X, self._y = responses.X, y
        # as gradient boosting calls its scorer: sample_weight only when given
        self._kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}

    def score(self, loss, finite, params, n_threads):
        if not finite:
            return np.nan
        self._responses.start_epoch(params, n_threads)
        try:
            score = self._scorer(self._responses, self._X, self._y, **self._kwargs)
        except ValueError as error:
            raise ValueError(
                f"scoring={self._name!r} failed on the validation set: {error}"
            ) from error
        finally:
            self._responses.start_epoch(None, 1)
        return float(score)


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
    """The rows scored after every epoch: held out of the training rows, or
    given to fit.

    `evaluate` gives the validation loss (the data loss without the penalty)
    and the score of given parameters; `keep` copies the parameters of a new
    best score into a buffer of this fit's own, `best_params`.

    Parameters
    ----------
    spec : NetSpec
        The network, without dropout.
    data : Dataset
        The validation rows with their targets and weights (ones when none).
    score : object
        What `evaluate` computes besides the loss: one of this module's score
        kinds (accuracy, R², the negated loss, a scorer).
    best_params : ndarray
        The parameters to restore should no epoch of this fit score best (the
        best of an earlier call with warm_start).
    stops : bool
        Whether the score decides when training stops and which parameters it
        ends with (early stopping), or is only recorded.
    """

    def __init__(self, spec, data, score, best_params, stops=True):
        self._pass = FullBatchObjective(spec, data)
        self._score = score
        self.stops = stops
        self.best_params = best_params
        # A buffer of this fit's own: the estimator's snapshot (roll-back of a
        # failed call) may hold the array best_params was before.
        self._best = np.empty_like(best_params)

    def evaluate(self, params, n_threads):
        """(validation loss, validation score) at `params`."""
        score = self._score
        loss, finite = self._pass.validation_pass(
            params, score.rule, score.sums, score.correct, n_threads
        )
        return loss, score.score(loss, finite, params, n_threads)

    def keep(self, params):
        """Remember `params` as the best parameters; returns the buffer."""
        np.copyto(self._best, params)
        self.best_params = self._best
        return self._best

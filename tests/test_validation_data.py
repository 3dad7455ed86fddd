"""A validation set given to fit / partial_fit (``X_val``, ``y_val``,
``sample_weight_val``) and the validation score ``scoring``.

* A given validation set is the held-out split supplied by hand: a fit with
  ``validation_fraction`` (its split recorded as it is drawn) and a fit on its
  training rows given its held-out rows agree to the last bit (``shuffle=False``:
  with shuffling, the split's own random draws would shift the shuffling's).
* The score of every epoch is scikit-learn's scorer applied to the model of that
  epoch (a callback receives each epoch's fitted model), to the last bit; the
  best epoch's weights are the fit's result; ``'loss'`` is the negated
  validation loss.
* Without early stopping a given set is scored and changes nothing else; with
  ``partial_fit`` each call given one appends one score.
* Every bad argument gives a clear error naming it and leaves the model as it
  was; a Pipeline transforms ``X_val`` with ``transform_input``.
"""

import copy
import importlib.util
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import accuracy_score, get_scorer, make_scorer, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmlp import MLPClassifier, MLPRegressor, _early_stopping
from fastmlp import _multilayer_perceptron as mlp_module
from fastmlp._kernels import _engine
from fastmlp._objective import TrainingSet

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # f1_samples on rows without a true or predicted label
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning"),
]

XC, YC = make_classification(
    n_samples=400, n_features=10, n_informative=6, n_classes=3, random_state=0
)
XB, YB = make_classification(n_samples=400, n_features=10, random_state=1)
XR, YR = make_regression(
    n_samples=400, n_features=10, n_targets=2, noise=5.0, random_state=0
)
YR = YR / YR.std(axis=0)
YM = np.c_[XC[:, 0] > 0, XC[:, 1] + XC[:, 2] > 0, XC[:, 3] > 0.5].astype(int)
SW = np.random.RandomState(3).uniform(0.2, 3.0, 400)

DATA = {
    "multiclass": (MLPClassifier, XC, YC),
    "binary": (MLPClassifier, XB, YB),
    "multilabel": (MLPClassifier, XC, YM),
    "regression": (MLPRegressor, XR, YR),
    "regression1": (MLPRegressor, XR, YR[:, 0]),
}


def _est(Est, **params):
    return Est(
        **{
            "hidden_layer_sizes": (12,),
            "learning_rate_init": 0.01,
            "max_iter": 12,
            "random_state": 0,
            **params,
        }
    )


def _split(task, n_val=100):
    """(X, y, X_val, y_val, sw, sw_val): the first 300 rows train, the last
    `n_val` validate."""
    _, X, y = DATA[task]
    return X[:300], y[:300], X[-n_val:], y[-n_val:], SW[:300], SW[-n_val:]


def _assert_same_fit(a, b):
    for x, y in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(x, y)
    assert a.n_iter_ == b.n_iter_ and a.t_ == b.t_
    assert a.loss_curve_ == b.loss_curve_
    assert a.validation_scores_ == b.validation_scores_
    assert a.validation_loss_curve_ == b.validation_loss_curve_
    assert a.best_validation_score_ == b.best_validation_score_
    assert a.best_loss_ == b.best_loss_


# --------------------------------------------------------------------------
# given validation data = the held-out rows supplied by hand
# --------------------------------------------------------------------------
@pytest.mark.parametrize("scoring", [None, "loss", "neg_log_loss"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("task", ["multiclass", "binary", "multilabel", "regression"])
def test_given_set_is_the_held_out_split(task, dtype, weighted, scoring, monkeypatch):
    Est, X, y = DATA[task]
    if scoring == "neg_log_loss":
        if Est is MLPRegressor:
            scoring = "neg_mean_absolute_error"
        elif task == "multilabel":
            scoring = "f1_macro"
        if weighted and dtype == np.float32:
            # the split's scorer gets the float32 weights the fit trains with,
            # a given set's scorer the float64 weights given
            pytest.skip("the two constructions weigh the scorer differently")
    X = X.astype(dtype)
    sw = SW if weighted else None
    drawn = []

    def recording_split(*args):
        rows = split(*args)
        drawn.append(rows)
        return rows

    split = mlp_module.validation_split
    monkeypatch.setattr(mlp_module, "validation_split", recording_split)
    params = dict(
        early_stopping=True,
        validation_fraction=0.25,
        shuffle=False,
        n_iter_no_change=4,
        tol=1e-3,
        max_iter=80,
        learning_rate_init=0.05,
        scoring=scoring,
    )
    held_out = _est(Est, **params).fit(X, y, sample_weight=sw)
    ((train_rows, val_rows),) = drawn
    given = _est(Est, **params).fit(
        X[train_rows],
        y[train_rows],
        sample_weight=None if sw is None else sw[train_rows],
        X_val=X[val_rows],
        y_val=y[val_rows],
        sample_weight_val=None if sw is None else sw[val_rows],
    )
    assert len(drawn) == 1  # the given set draws no split
    assert 1 < held_out.n_iter_ < 80  # stopped early: the best epoch's weights
    _assert_same_fit(held_out, given)


# --------------------------------------------------------------------------
# the score of each epoch is the scorer of that epoch's model
# --------------------------------------------------------------------------
class EpochModels:
    """A callback keeping the model of every epoch (sklearn.callback)."""

    def __init__(self):
        self.models = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name == "epoch":
            self.models.append(fitted_estimator)
        return False


def _proba_gap(est, X, y):
    """A callable scorer: minus the mean distance of P(class 1) to y."""
    return -float(np.mean(np.abs(est.predict_proba(X)[:, 1] - y)))


def _score_and_elsewhere(est, X, y):
    """A callable scorer that also predicts other rows than the validation
    set's (the estimator's own prediction) and calls score."""
    return est.score(X, y) + 0.0 * est.predict(XB[:5]).sum()


SCORERS = [
    ("multiclass", None, "accuracy"),
    ("multiclass", "neg_log_loss", "neg_log_loss"),
    ("multiclass", "roc_auc_ovr", "roc_auc_ovr"),
    ("multiclass", "balanced_accuracy", "balanced_accuracy"),
    ("multiclass", "f1_macro", "f1_macro"),
    ("binary", "roc_auc", "roc_auc"),
    ("binary", "average_precision", "average_precision"),
    ("binary", _proba_gap, _proba_gap),
    ("binary", _score_and_elsewhere, _score_and_elsewhere),
    ("binary-hinge", "roc_auc", "roc_auc"),  # decision_function
    ("multilabel", "f1_samples", "f1_samples"),
    ("regression", None, "r2"),
    ("regression", "neg_mean_absolute_error", "neg_mean_absolute_error"),
    ("regression1", "neg_median_absolute_error", "neg_median_absolute_error"),
    ("regression1", make_scorer(r2_score), make_scorer(r2_score)),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(
    "task,scoring,reference",
    SCORERS,
    ids=[f"{t}-{getattr(s, '__name__', s)}" for t, s, _ in SCORERS],
)
def test_each_epochs_score_is_the_scorer_of_its_model(task, scoring, reference, weighted):
    pytest.importorskip("sklearn.callback")
    extra = {}
    if task == "binary-hinge":
        task, extra = "binary", {"loss": "hinge"}
    if weighted and (
        reference is _proba_gap or reference is _score_and_elsewhere or task == "multilabel"
    ):
        pytest.skip("a scorer without weights")
    Est = DATA[task][0]
    X, y, X_val, y_val, sw, sw_val = _split(task)
    recorder = EpochModels()
    est = _est(
        Est,
        early_stopping=True,
        scoring=scoring,
        n_iter_no_change=100,
        learning_rate_init=0.05,
        max_iter=15,
        **extra,
    )
    est.set_callbacks(recorder)
    est.fit(
        X,
        y,
        sample_weight=sw,
        X_val=X_val,
        y_val=y_val,
        sample_weight_val=sw_val if weighted else None,
    )
    scorer = get_scorer(reference) if isinstance(reference, str) else reference
    kwargs = {"sample_weight": sw_val} if weighted else {}
    expected = [scorer(model, X_val, y_val, **kwargs) for model in recorder.models]
    assert len(expected) == est.n_iter_ == 15
    assert est.validation_scores_ == expected
    best = int(np.argmax(expected))
    assert est.best_validation_score_ == expected[best]
    for got, kept in zip(
        est.coefs_ + est.intercepts_,
        recorder.models[best].coefs_ + recorder.models[best].intercepts_,
    ):
        assert_array_equal(got, kept)


@pytest.mark.parametrize(
    "Est,task", [(MLPClassifier, "multiclass"), (MLPRegressor, "regression")]
)
def test_loss_scoring_is_the_negated_validation_loss(Est, task):
    X, y, X_val, y_val, _, sw_val = _split(task)
    est = _est(
        Est,
        early_stopping=True,
        scoring="loss",
        n_iter_no_change=3,
        learning_rate_init=0.05,
        max_iter=60,
    )
    est.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=sw_val)
    assert est.validation_scores_ == [-v for v in est.validation_loss_curve_]
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.n_iter_ < 60  # stopped by the loss
    # the best score is the data loss of the kept weights, from their predictions
    if Est is MLPRegressor:
        residual = est.predict(X_val) - y_val
        loss = np.sum(sw_val[:, None] * 0.5 * residual**2) / sw_val.sum()
    else:
        proba = np.clip(est.predict_proba(X_val), 1e-15, 1 - 1e-15)
        loss = -np.sum(sw_val * np.log(proba[np.arange(100), y_val])) / sw_val.sum()
    assert_allclose(-est.best_validation_score_, loss, rtol=1e-12)


def test_infinite_patience_runs_every_epoch_and_keeps_the_best():
    """n_iter_no_change=np.inf: all max_iter epochs, then the best epoch's weights."""
    pytest.importorskip("sklearn.callback")
    X, y, X_val, y_val, _, _ = _split("multiclass")
    recorder = EpochModels()
    est = _est(
        MLPClassifier,
        hidden_layer_sizes=(64, 64),
        early_stopping=True,
        scoring="loss",
        n_iter_no_change=np.inf,
        learning_rate_init=0.02,
        max_iter=25,
    ).set_callbacks(recorder)
    est.fit(X, y, X_val=X_val, y_val=y_val)
    assert est.n_iter_ == 25
    best = int(np.argmax(est.validation_scores_))
    assert best < 24, "the case must get worse after its best epoch"
    for got, kept in zip(est.coefs_, recorder.models[best].coefs_):
        assert_array_equal(got, kept)


def test_python_scorer_reads_one_prediction_per_epoch(monkeypatch):
    """No validation of X_val after the first: predict_proba and predict of the
    validation rows come from the one engine prediction of each epoch."""
    X, y, X_val, y_val, _, _ = _split("multiclass")
    calls = {"predict": 0, "checks": 0}
    predict = _engine.predict

    def counting_predict(*args, **kwargs):
        calls["predict"] += 1
        return predict(*args, **kwargs)

    check = MLPClassifier._check_X_predict

    def counting_check(self, X):
        calls["checks"] += 1
        return check(self, X)

    def proba_and_classes(est, X, y):
        return float(np.mean(est.predict_proba(X).argmax(axis=1) == est.predict(X)))

    monkeypatch.setattr(_early_stopping._engine, "predict", counting_predict)
    monkeypatch.setattr(MLPClassifier, "_check_X_predict", counting_check)
    est = _est(MLPClassifier, scoring=proba_and_classes, max_iter=7)
    est.fit(X, y, X_val=X_val, y_val=y_val)
    assert est.validation_scores_ == [1.0] * 7
    # 7 epochs: one prediction each; the fit's final check predicts 256 rows at most
    assert calls["checks"] == 0
    assert calls["predict"] == 7 + 1


@pytest.mark.parametrize("scoring", ["neg_log_loss", "loss", None])
def test_non_finite_outputs_score_nan_without_calling_the_scorer(scoring):
    """As the estimators' score: NaN (the accuracy of predicted classes for
    scoring=None, whatever the outputs), and a scorer is not called on them."""
    X, y, X_val, y_val, _, _ = _split("multiclass")
    est = _est(MLPClassifier, scoring=scoring, max_iter=2).fit(X, y)
    est.intercepts_[-1][...] = np.nan
    given = est._validate_validation_data(X_val, y_val, None, n_outputs=3)
    rows = TrainingSet.build(
        X, est._label_binarizer.transform(y).astype(bool), None, est._params.dtype
    )
    _, validation = est._validation_set(est._net_spec(est._network_layout()), rows, given)
    loss, score = validation.evaluate(est._params, 1)
    assert np.isnan(loss)
    if scoring is None:
        assert score == accuracy_score(y_val, est.predict(X_val))
    else:
        assert np.isnan(score)


# --------------------------------------------------------------------------
# without early stopping; partial_fit
# --------------------------------------------------------------------------
@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_given_set_without_early_stopping_is_only_scored(task):
    Est = DATA[task][0]
    X, y, X_val, y_val, _, _ = _split(task)
    plain = _est(Est, max_iter=30, n_iter_no_change=2, tol=1e-2).fit(X, y)
    scored = _est(Est, max_iter=30, n_iter_no_change=2, tol=1e-2, scoring="loss")
    scored.fit(X, y, X_val=X_val, y_val=y_val)
    for a, b in zip(plain.coefs_ + plain.intercepts_, scored.coefs_ + scored.intercepts_):
        assert_array_equal(a, b)
    assert plain.loss_curve_ == scored.loss_curve_ and scored.n_iter_ < 30
    assert scored.best_loss_ == plain.best_loss_ and scored.best_validation_score_ is None
    assert len(scored.validation_scores_) == scored.n_iter_
    assert scored.validation_scores_[-1] == -scored.validation_loss_curve_[-1]
    assert plain.validation_scores_ is None and plain.validation_loss_curve_ is None
    # a later fit without validation data records none
    scored.fit(X, y)
    assert scored.validation_scores_ is None and scored.validation_loss_curve_ is None


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_partial_fit_scores_the_given_set_after_each_call(task):
    Est = DATA[task][0]
    X, y, X_val, y_val, _, sw_val = _split(task)
    kwargs = {"classes": np.unique(y)} if Est is MLPClassifier else {}
    plain, scored = _est(Est), _est(Est)
    expected = []
    for call, start in enumerate(range(0, 300, 50)):
        rows = slice(start, start + 50)
        plain.partial_fit(X[rows], y[rows], **kwargs)
        if call == 3:  # a call without validation data appends nothing
            scored.partial_fit(X[rows], y[rows], **kwargs)
            continue
        scored.partial_fit(
            X[rows], y[rows], X_val=X_val, y_val=y_val, sample_weight_val=sw_val, **kwargs
        )
        expected.append(scored.score(X_val, y_val, sample_weight=sw_val))
    for a, b in zip(plain.coefs_ + plain.intercepts_, scored.coefs_ + scored.intercepts_):
        assert_array_equal(a, b)
    assert plain.loss_curve_ == scored.loss_curve_
    assert_allclose(scored.validation_scores_, expected, rtol=1e-13)
    assert len(scored.validation_loss_curve_) == 5
    assert scored.best_validation_score_ is None
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        scored.set_params(early_stopping=True).partial_fit(X, y, X_val=X_val, y_val=y_val)


# --------------------------------------------------------------------------
# bad arguments: a clear error, the model unchanged
# --------------------------------------------------------------------------
def _state(est):
    """The fitted state, as bytes that compare equal when nothing changed."""
    return pickle.dumps(
        {k: v for k, v in vars(est).items() if k.endswith("_") and not k.startswith("_")}
    )


BAD_CLASSIFIER = [
    ("x_without_y", dict(X_val="X"), "X_val is provided, but y_val was not"),
    ("y_without_x", dict(y_val="y"), "y_val is provided, but X_val was not"),
    ("weights_alone", dict(sample_weight_val="w"), "sample_weight_val is provided"),
    (
        "features",
        dict(X_val=np.ones((100, 9)), y_val="y"),
        r"X_val has 9 features, but MLPClassifier is expecting 10",
    ),
    ("nan", dict(X_val=np.full((100, 10), np.nan), y_val="y"), "Input X_val contains NaN"),
    ("strings", dict(X_val=np.full((100, 10), "a"), y_val="y"), "could not convert"),
    ("1d", dict(X_val=np.ones(100), y_val="y"), "Expected 2D array, got 1D array"),
    (
        "rows",
        dict(X_val="X", y_val=np.zeros(99, dtype=int)),
        "X_val and y_val have different numbers of rows: 100 and 99",
    ),
    (
        "unknown_class",
        dict(X_val="X", y_val=np.full(100, 7)),
        r"y_val has classes not in the classes of y: \[7\]",
    ),
    ("label_type", dict(X_val="X", y_val=np.array(["a"] * 100)), "y_val has classes"),
    ("y_nan", dict(X_val="X", y_val=np.full(100, np.nan)), "Input y_val contains NaN"),
    (
        "multilabel_y",
        dict(X_val="X", y_val=np.zeros((100, 2), dtype=int)),
        "y_val must be one class label per row",
    ),
    (
        "weights_shape",
        dict(X_val="X", y_val="y", sample_weight_val=np.ones(99)),
        "sample_weight_val must have one weight per row of X_val",
    ),
    (
        "weights_negative",
        dict(X_val="X", y_val="y", sample_weight_val=-np.ones(100)),
        "sample_weight_val must not contain negative values",
    ),
    (
        "weights_zero",
        dict(X_val="X", y_val="y", sample_weight_val=np.zeros(100)),
        "sample_weight_val must contain at least one positive value",
    ),
]


def _arguments(spec, X_val, y_val, sw_val):
    given = {"X": X_val, "y": y_val, "w": sw_val}
    return {k: given[v] if isinstance(v, str) else v for k, v in spec.items()}


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize(
    "case,spec,message", BAD_CLASSIFIER, ids=[c[0] for c in BAD_CLASSIFIER]
)
def test_bad_validation_data_raises_and_changes_nothing(case, spec, message, method):
    X, y, X_val, y_val, _, sw_val = _split("multiclass")
    est = _est(MLPClassifier, warm_start=True, max_iter=3)
    est.fit(X, y, X_val=X_val, y_val=y_val)
    before, predictions = _state(est), est.predict_proba(X_val)
    kwargs = _arguments(spec, X_val, y_val, sw_val)
    with pytest.raises(ValueError, match=message):
        getattr(est, method)(X, y, **kwargs)
    assert _state(est) == before
    assert_array_equal(est.predict_proba(X_val), predictions)


BAD_OTHER = [
    (
        "regressor_outputs",
        MLPRegressor,
        {},
        "regression",
        dict(X_val="X", y_val=np.zeros(100)),
        "y_val has 1 outputs per row, y has 2",
    ),
    (
        "regressor_nan",
        MLPRegressor,
        {},
        "regression",
        dict(X_val="X", y_val=np.full((100, 2), np.inf)),
        "Input y_val contains infinity",
    ),
    (
        "poisson_negative",
        MLPRegressor,
        {"loss": "poisson"},
        "regression1",
        dict(X_val="X", y_val=-np.ones(100)),
        "non-negative targets y_val",
    ),
    (
        "multilabel_columns",
        MLPClassifier,
        {},
        "multilabel",
        dict(X_val="X", y_val=np.zeros((100, 2), dtype=int)),
        "y_val must be a label indicator matrix of 3 columns",
    ),
    (
        "multilabel_labels",
        MLPClassifier,
        {},
        "multilabel",
        dict(X_val="X", y_val=np.zeros(100, dtype=int)),
        "y_val must be a label indicator matrix",
    ),
    (
        "lbfgs",
        MLPClassifier,
        {"solver": "lbfgs"},
        "multiclass",
        dict(X_val="X", y_val="y"),
        "solver='lbfgs' has no epochs",
    ),
    (
        "unknown_scorer",
        MLPClassifier,
        {"scoring": "accuracyy"},
        "multiclass",
        {},
        "scoring='accuracyy' is neither None, 'loss', a callable nor the name",
    ),
    (
        "metric_function",
        MLPClassifier,
        {"scoring": accuracy_score, "early_stopping": True},
        "multiclass",
        {},
        "looks like it is a metric function rather than a scorer",
    ),
    (
        "proba_of_hinge",
        MLPClassifier,
        {"scoring": "neg_log_loss", "loss": "hinge"},
        "multiclass",
        dict(X_val="X", y_val="y"),
        "scoring='neg_log_loss' needs predict_proba, which MLPClassifier with loss='hinge'",
    ),
    (
        "proba_of_regressor",
        MLPRegressor,
        {"scoring": "roc_auc", "early_stopping": True},
        "regression",
        {},
        "scoring='roc_auc' needs decision_function or predict_proba",
    ),
    (
        "classification_metric",
        MLPRegressor,
        {"scoring": "accuracy"},
        "regression",
        dict(X_val="X", y_val="y"),
        "scoring='accuracy' failed on the validation set",
    ),
]


@pytest.mark.parametrize(
    "case,Est,params,task,spec,message", BAD_OTHER, ids=[c[0] for c in BAD_OTHER]
)
def test_bad_arguments_of_each_kind_raise_and_change_nothing(
    case, Est, params, task, spec, message
):
    X, y, X_val, y_val, _, sw_val = _split(task)
    if Est is MLPRegressor and params.get("loss") == "poisson":
        y, y_val = np.abs(y), np.abs(y_val)
    est = _est(Est, warm_start=True, max_iter=3).fit(X, y)
    before = _state(est)
    est.set_params(**params)
    with pytest.raises(ValueError, match=message):
        est.fit(X, y, **_arguments(spec, X_val, y_val, sw_val))
    assert _state(est) == before


def test_bad_scoring_type_is_a_parameter_error():
    with pytest.raises(ValueError, match="The 'scoring' parameter of MLPClassifier"):
        _est(MLPClassifier, scoring=3).fit(XC, YC)


def test_refit_of_another_width_failing_on_x_val_keeps_the_fitted_width():
    est = _est(MLPClassifier, max_iter=2).fit(XC, YC)
    before = _state(est)
    with pytest.raises(
        ValueError, match="X_val has 10 features, but MLPClassifier is expecting 6"
    ):
        est.fit(XC[:, :6], YC, X_val=XC, y_val=YC)
    assert _state(est) == before and est.n_features_in_ == 10


# --------------------------------------------------------------------------
# input forms: feature names, sparse, float32, pipelines
# --------------------------------------------------------------------------
def test_feature_names_of_x_val():
    pd = pytest.importorskip("pandas")
    X, y, X_val, y_val, _, _ = _split("multiclass")
    columns = [f"f{i}" for i in range(10)]
    frame = pd.DataFrame(X, columns=columns)
    frame_val = pd.DataFrame(X_val, columns=columns)
    est = _est(MLPClassifier, max_iter=3, scoring="neg_log_loss")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*feature names")
        est.fit(frame, y, X_val=frame_val, y_val=pd.Series(y_val))
    reference = _est(MLPClassifier, max_iter=3, scoring="neg_log_loss")
    reference.fit(X, y, X_val=X_val, y_val=y_val)
    assert est.validation_scores_ == reference.validation_scores_
    with pytest.raises(ValueError, match="The feature names of X_val should match"):
        est.fit(frame, y, X_val=frame_val[columns[::-1]], y_val=y_val)
    with pytest.warns(UserWarning, match="X_val does not have valid feature names"):
        est.fit(frame, y, X_val=X_val, y_val=y_val)
    with pytest.warns(UserWarning, match="X_val has feature names, but MLPClassifier"):
        est.fit(X, y, X_val=frame_val, y_val=y_val)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_x_val(fmt):
    X, y, X_val, y_val, _, _ = _split("multiclass")
    X_val = np.where(np.abs(X_val) > 0.5, X_val, 0.0)
    dense = _est(MLPClassifier, scoring="neg_log_loss").fit(X, y, X_val=X_val, y_val=y_val)
    sparse = _est(MLPClassifier, scoring="neg_log_loss")
    sparse.fit(X, y, X_val=sp.csr_matrix(X_val).asformat(fmt), y_val=y_val)
    assert_allclose(sparse.validation_scores_, dense.validation_scores_, rtol=1e-12)
    assert_allclose(sparse.validation_loss_curve_, dense.validation_loss_curve_, rtol=1e-12)


def test_float64_x_val_of_a_float32_network_is_scored_in_float32():
    X, y, X_val, y_val, _, _ = _split("binary")
    est = _est(MLPClassifier, scoring="neg_log_loss", max_iter=3)
    est.fit(X.astype(np.float32), y, X_val=X_val, y_val=y_val)
    assert est.coefs_[0].dtype == np.float32
    assert est.validation_scores_[-1] == get_scorer("neg_log_loss")(
        est, X_val.astype(np.float32), y_val
    )


def test_set_fit_request_names_the_validation_arguments():
    with sklearn.config_context(enable_metadata_routing=True):
        for Est in (MLPClassifier, MLPRegressor):
            est = Est().set_fit_request(X_val=True, y_val=True, sample_weight_val=True)
            requests = est.get_metadata_routing().fit.requests
            assert requests["X_val"] is requests["y_val"] is True
            est.set_partial_fit_request(X_val=True, y_val=True)


@pytest.mark.parametrize(
    "Est,task", [(MLPClassifier, "multiclass"), (MLPRegressor, "regression")]
)
def test_pipeline_transforms_x_val(Est, task):
    """With transform_input=["X_val"] the scaler fitted on X transforms X_val
    before the network scores it; without it X_val arrives as given."""
    X, y, X_val, y_val, _, _ = _split(task)
    X, X_val = 5 * X + 3, 5 * X_val + 3
    with sklearn.config_context(enable_metadata_routing=True):

        def pipeline(**kwargs):
            est = _est(Est, scoring="loss").set_fit_request(X_val=True, y_val=True)
            return make_pipeline(StandardScaler(), est, **kwargs)

        routed = pipeline(transform_input=["X_val"]).fit(X, y, X_val=X_val, y_val=y_val)
        as_given = pipeline().fit(X, y, X_val=X_val, y_val=y_val)
    scaler = StandardScaler().fit(X)
    by_hand = _est(Est, scoring="loss").fit(
        scaler.transform(X), y, X_val=scaler.transform(X_val), y_val=y_val
    )
    assert routed[-1].validation_scores_ == by_hand.validation_scores_
    assert as_given[-1].validation_scores_ != by_hand.validation_scores_


def test_fitted_model_keeps_no_validation_data():
    """The validation set and the scorer's stand-in live for the fit only."""
    X, y, X_val, y_val, _, _ = _split("multiclass")
    X_val = X_val.copy()
    est = _est(MLPClassifier, scoring="roc_auc_ovr", early_stopping=True, max_iter=3)
    est.fit(X, y, X_val=X_val, y_val=y_val)
    state = pickle.dumps(est)
    assert len(state) < len(pickle.dumps((est, X_val))) - X_val.nbytes // 2
    copy.deepcopy(est).predict(X_val)


def test_model_pickled_before_scoring_existed_loads_and_trains():
    X, y, X_val, y_val, _, _ = _split("multiclass")
    est = _est(MLPClassifier, max_iter=2).fit(X, y)
    del est.scoring
    loaded = pickle.loads(pickle.dumps(est))
    assert loaded.get_params()["scoring"] is None
    loaded.partial_fit(X, y, X_val=X_val, y_val=y_val)
    assert loaded.validation_scores_ == [loaded.score(X_val, y_val)]


# --------------------------------------------------------------------------
# the gallery example
# --------------------------------------------------------------------------
def test_validation_data_example_quick():
    path = (
        Path(__file__).resolve().parent.parent
        / "examples"
        / "validation_data_and_scoring.py"
    )
    spec = importlib.util.spec_from_file_location("fastmlp_example_validation_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(quick=True)
    # the random split promises much more than the test period gives; the later
    # period about what it gives, and its network does no worse there
    assert result["random_split_score"] > result["random_split_test"] + 0.15
    assert abs(result["given_best_score"] - result["given_test"]) < 0.1
    assert result["given_test"] >= result["random_split_test"]
    # early stopping on the log loss keeps better probabilities than on accuracy
    assert result["log_loss"]["neg_log_loss"] < result["log_loss"][None] - 0.03

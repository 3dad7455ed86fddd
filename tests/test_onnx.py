"""ONNX export: fastmlp's skl2onnx converters, run with onnxruntime.

Every activation (and per-layer lists) x output activation x task x loss x dtype
is converted, run on random rows beyond the training range, and compared with
fastmlp's own predictions.

Tolerances: the graph computes the network in the input's dtype, as fastmlp
does, so the differences are rounding: GEMM sums in another order and
onnxruntime's exp, tanh, erf and softmax (a few ulps each). Rounding in a sum
is absolute (relative to its terms, not to a result near 0), so the outputs are
compared with an absolute tolerance relative to their largest magnitude (at
least 1): 1e-5 in float32 (measured: at most 4.8e-7, 4 ulps of 1), 1e-12 in
float64 (measured: at most 1.4e-15).
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from _optional import import_or_skip
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_multilabel_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from test_export import CLASSIFIERS, REGRESSORS, XR, Y3, Y_COUNTS, YR2, X, _fitted

import fastmlp
from fastmlp import MLPClassifier, MLPRegressor
from fastmlp._onnx import _required_opset

skl2onnx = import_or_skip("skl2onnx")
ort = import_or_skip("onnxruntime")

ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "selu",
               "softplus", "gelu", "silu", "gaussian"]  # fmt: skip
HIDDEN = [*ACTIVATIONS, ["relu", "tanh"], ["gelu", "leaky_relu"]]  # two hidden layers
OUT_ACTIVATIONS = ["identity", "logistic", "tanh", "exp", "softplus"]
DTYPES = [np.float32, np.float64]
TOL = {np.float32: 1e-5, np.float64: 1e-12}

XM, YM = make_multilabel_classification(n_samples=150, n_features=6, n_classes=4,
                                        random_state=0)  # fmt: skip
XM = XM / XM.max()
Y_STR = np.array(["no", "yes"])[Y3 % 2]
TASKS = {"binary": (X, Y_STR), "multiclass": (X, Y3), "multilabel": (XM, YM)}
# Rows beyond the training range: saturated activations included.
ROWS = np.random.RandomState(0).normal(scale=2.0, size=(1000, X.shape[1]))


def _name(value):
    return "-".join(value) if isinstance(value, list) else getattr(value, "__name__", value)


def _session(model, Xd, **kwargs):
    """The ONNX model of ``model`` for input like ``Xd``, and its session."""
    onx = skl2onnx.to_onnx(model, Xd[:1], **kwargs)
    sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return onx, sess


def _run(model, Xd, **kwargs):
    onx, sess = _session(model, Xd, **kwargs)
    return onx, sess.run(None, {sess.get_inputs()[0].name: Xd})


def _opset(onx):
    return next(o.version for o in onx.opset_import if o.domain == "")


def _expected_opset(activations, dtype):
    """7 for Gemm's broadcast intercepts; 9 for gelu (Erf, Where) and float64
    softplus (Where); 8 for Max / Min of a scalar, which leaky_relu, elu and selu
    use in float64."""
    acts = set(activations)
    if "gelu" in acts or (dtype == np.float64 and "softplus" in acts):
        return 9
    return 8 if dtype == np.float64 and acts & {"leaky_relu", "elu", "selu"} else 7


def assert_close(got, expected, dtype):
    scale = max(1.0, float(np.abs(expected).max()))
    assert_allclose(got.reshape(expected.shape), expected, rtol=0, atol=TOL[dtype] * scale)


def assert_labels(labels, est, rows, dtype):
    """The labels are fastmlp's, but where fastmlp's own outputs are within the
    tolerance of a tie (two largest, or the threshold), where rounding decides."""
    expected = est.predict(rows)
    if expected.dtype.kind == "U":
        labels = labels.astype(str)
    labels = labels.reshape(expected.shape)
    if est.loss == "log_loss":
        out, threshold = est.predict_proba(rows), 0.5
    else:
        out, threshold = est.decision_function(rows), 0.0
    tie = 10 * TOL[dtype] * max(1.0, float(np.abs(out).max()))
    if expected.ndim == 1 and len(est.classes_) > 2:  # multiclass
        top2 = np.sort(out, axis=1)[:, -2:]
        near_tie = top2[:, 1] - top2[:, 0] < tie
    else:  # binary (the positive class's column) or multilabel
        out = out[:, 1] if out.ndim == 2 and expected.ndim == 1 else out
        near_tie = np.abs(out - threshold) < tie
    differ = labels != expected
    assert not np.any(differ & ~near_tie), np.argwhere(differ & ~near_tie)


def setup_module():
    fastmlp.register_onnx_converters()
    fastmlp.register_onnx_converters()  # idempotent


# --------------------------------------------------------------------------
# Every activation x output activation x task x loss x dtype
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=_name)
@pytest.mark.parametrize("out_activation", OUT_ACTIVATIONS)
@pytest.mark.parametrize("activation", HIDDEN, ids=_name)
def test_regressor_matrix(activation, out_activation, dtype):
    est = MLPRegressor(hidden_layer_sizes=(7, 5), activation=activation,
                       out_activation=out_activation, solver="lbfgs", max_iter=10,
                       random_state=0).fit(XR.astype(dtype), YR2)  # fmt: skip
    rows = ROWS.astype(dtype)
    onx, (pred,) = _run(est, rows)
    assert pred.dtype == dtype and pred.shape == (len(rows), 2)
    assert_close(pred, est.predict(rows), dtype)
    acts = [*(activation if isinstance(activation, list) else [activation]), out_activation]
    assert _opset(onx) == _expected_opset(acts, dtype) == _required_opset(est, dtype)[0]


@pytest.mark.parametrize("dtype", DTYPES, ids=_name)
@pytest.mark.parametrize("loss", ["log_loss", "hinge", "squared_hinge"])
@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("activation", HIDDEN, ids=_name)
def test_classifier_matrix(activation, task, loss, dtype):
    Xd, yd = TASKS[task]
    est = MLPClassifier((7, 5), activation=activation, loss=loss, solver="lbfgs",
                        max_iter=10, random_state=0).fit(Xd.astype(dtype), yd)  # fmt: skip
    rows = ROWS.astype(dtype)
    onx, sess = _session(est, rows, options={"zipmap": False})
    labels, second = sess.run(None, {sess.get_inputs()[0].name: rows})
    if loss == "log_loss":
        assert [o.name for o in sess.get_outputs()] == ["label", "probabilities"]
        assert_close(second, est.predict_proba(rows), dtype)
    else:  # decision scores, no probabilities
        assert [o.name for o in sess.get_outputs()] == ["label", "scores"]
        assert second.shape == (len(rows), est.n_outputs_)
        assert_close(second, est.decision_function(rows), dtype)
    assert second.dtype == dtype
    assert labels.dtype == (object if task == "binary" else np.int64)
    assert labels.shape == ((len(rows), 4) if task == "multilabel" else (len(rows),))
    assert_labels(labels, est, rows, dtype)
    acts = activation if isinstance(activation, list) else [activation]
    assert _opset(onx) == _expected_opset(acts, dtype) == _required_opset(est, dtype)[0]


@pytest.mark.parametrize("dtype", DTYPES, ids=_name)
@pytest.mark.parametrize(
    "loss, out_activation, y",
    [("squared_error", None, YR2), ("absolute_error", None, YR2), ("huber", "tanh", YR2),
     ("poisson", None, Y_COUNTS), ("poisson", "softplus", Y_COUNTS)],
)  # fmt: skip
def test_regressor_losses(loss, out_activation, y, dtype):
    est = MLPRegressor(loss, hidden_layer_sizes=(6,), activation="selu",
                       out_activation=out_activation, solver="lbfgs", max_iter=20,
                       random_state=0).fit(XR.astype(dtype), y)  # fmt: skip
    rows = ROWS.astype(dtype)
    _, (pred,) = _run(est, rows)
    assert pred.shape == (len(rows), est.n_outputs_)
    assert_close(pred, est.predict(rows), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=_name)
def test_10000_random_rows(dtype):
    rows = np.random.RandomState(1).uniform(-4, 4, size=(10_000, X.shape[1])).astype(dtype)
    clf = MLPClassifier((16, 8), activation=["gelu", "silu"], max_iter=30,
                        random_state=0).fit(X.astype(dtype), Y3)  # fmt: skip
    _, (labels, proba) = _run(clf, rows, options={"zipmap": False})
    assert_close(proba, clf.predict_proba(rows), dtype)
    assert_labels(labels, clf, rows, dtype)
    reg = MLPRegressor("poisson", hidden_layer_sizes=(16, 8), activation="elu",
                       out_activation="softplus", max_iter=30,
                       random_state=0).fit(XR.astype(dtype), Y_COUNTS)  # fmt: skip
    _, (pred,) = _run(reg, rows)
    assert_close(pred, reg.predict(rows), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=_name)
@pytest.mark.parametrize("out_activation", ["logistic", "exp", "softplus"])
def test_small_outputs_keep_their_digits(out_activation, dtype):
    """Outputs far below 1 (the tails of the output activation) keep their
    relative accuracy: an error of the sum z = x W + b of at most 10 ulps of the
    sum of |terms| moves f(z) by that much relative to f(z) (exp and the
    logistic's and softplus' tails: f'(z) / f(z) <= 1), plus f's own ulps."""
    est = MLPRegressor(hidden_layer_sizes=(), out_activation=out_activation, solver="lbfgs",
                       max_iter=10, random_state=0).fit(XR.astype(dtype), YR2)  # fmt: skip
    rows = (ROWS * 10).astype(dtype)
    _, (pred,) = _run(est, rows)
    expected = est.predict(rows)
    terms = np.abs(rows.astype(np.float64)) @ np.abs(est.coefs_[0])
    terms += np.abs(est.intercepts_[0])
    eps = np.finfo(dtype).eps
    tiny = np.abs(expected) < 1e-3
    assert tiny.sum() > 100 and np.abs(expected[tiny]).min() < 1e-30
    error, small = np.abs(pred - expected)[tiny], np.abs(expected[tiny])
    bound = 10 * eps * (terms[tiny] + 1) * small + np.finfo(dtype).tiny
    assert np.all(error <= bound), (error / small).max()


# --------------------------------------------------------------------------
# Pipelines, options, labels, inputs
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=_name)
def test_pipeline(dtype):
    Xd = X.astype(dtype)
    clf = MLPClassifier((8,), activation="gelu", max_iter=20, random_state=0)
    clf = make_pipeline(StandardScaler(), clf).fit(Xd, Y_STR)
    rows = ROWS.astype(dtype)
    if dtype == np.float32:
        _, (labels, proba_maps) = _run(clf, rows)  # zipmap: one dictionary per row
        proba = np.array([[row[c] for c in clf.classes_] for row in proba_maps])
    else:  # ONNX's ZipMap takes float32 only
        with pytest.raises(ValueError, match="ZipMap"):
            _session(clf, rows)
        options = {MLPClassifier: {"zipmap": "columns"}}
        _, (labels, *columns) = _run(clf, rows, options=options)
        proba = np.column_stack(columns)
    assert_close(proba, clf.predict_proba(rows), dtype)
    assert_labels(labels, clf[-1], clf[0].transform(rows), dtype)
    reg = MLPRegressor(hidden_layer_sizes=(8,), activation=["silu"], out_activation="tanh",
                       max_iter=20, random_state=0)  # fmt: skip
    reg = make_pipeline(StandardScaler(), reg).fit(XR.astype(dtype), YR2)
    _, (pred,) = _run(reg, rows)
    assert_close(pred, reg.predict(rows), dtype)


def test_classifier_options():
    est = MLPClassifier((6,), activation="softplus", max_iter=20, random_state=0)
    est.fit(X, Y_STR)
    rows = ROWS.astype(np.float32)
    expected = est.predict_proba(rows)
    _, (labels, *columns) = _run(est, rows, options={"zipmap": "columns"})
    assert_close(np.column_stack(columns), expected, np.float32)
    _, (labels, proba, class_labels) = _run(
        est, rows, options={"zipmap": False, "output_class_labels": True}
    )
    assert_array_equal(class_labels, est.classes_)
    _, (indices, proba) = _run(est, rows, options={"zipmap": False, "nocl": True})
    assert indices.dtype == np.int64
    assert_array_equal(est.classes_[indices], labels)


def test_hinge_options():
    est = MLPClassifier((6,), activation="elu", loss="squared_hinge", max_iter=20,
                        random_state=0).fit(X, Y3)  # fmt: skip
    rows = ROWS.astype(np.float32)
    for options in (None, {"zipmap": "columns"}):  # zipmap maps probabilities: none here
        onx, sess = _session(est, rows, options=options)
        assert [o.name for o in sess.get_outputs()] == ["label", "scores"]
    options = {"output_class_labels": True}
    _, (labels, scores, class_labels) = _run(est, rows, options=options)
    assert_array_equal(class_labels, est.classes_)
    assert_close(scores, est.decision_function(rows), np.float32)


def test_labels_of_float_classes():
    est = MLPClassifier((6,), max_iter=20, random_state=0).fit(X, Y3.astype(np.float64))
    rows = ROWS.astype(np.float32)
    _, (labels, _) = _run(est, rows, options={"zipmap": False})
    assert labels.dtype == np.int64  # integral float classes: int64 labels
    assert_labels(labels, est, rows, np.float32)


def test_integer_input():
    est = MLPRegressor(hidden_layer_sizes=(6,), activation="gaussian", max_iter=20,
                       random_state=0).fit(XR, YR2)  # fmt: skip
    rows = np.round(ROWS).astype(np.int64)
    _, (pred,) = _run(est, rows)
    assert pred.dtype == np.float32  # a float32 graph
    assert_close(pred, est.predict(rows.astype(np.float32)), np.float32)


def test_skl2onnx_imported_lazily():
    root = os.path.dirname(os.path.dirname(fastmlp.__file__))
    code = "import sys, fastmlp; assert 'skl2onnx' not in sys.modules"
    # From `root`, so the child imports the fastmlp these tests import (a source
    # checkout in the working directory would come first otherwise).
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root,
                   env={**os.environ, "PYTHONPATH": root})  # fmt: skip


# --------------------------------------------------------------------------
# Opsets
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "activation, dtype, needed, what",
    [("gelu", np.float32, 9, "activation 'gelu'"),
     (["relu", "gelu"], np.float64, 9, "activation 'gelu'"),
     ("selu", np.float64, 8, "activation 'selu'"),
     ("leaky_relu", np.float64, 8, "activation 'leaky_relu'"),
     ("selu", np.float32, 7, "the layers"),
     ("relu", np.float64, 7, "the layers")],
)  # fmt: skip
def test_target_opset(activation, dtype, needed, what):
    n_hidden = len(activation) if isinstance(activation, list) else 1
    est = MLPClassifier((5,) * n_hidden, activation=activation, max_iter=5,
                        random_state=0).fit(X.astype(dtype), Y3)  # fmt: skip
    assert _required_opset(est, dtype) == (needed, what)
    rows = ROWS.astype(dtype)
    with pytest.raises(ValueError, match=f"needs opset {needed} or more \\(for {what}\\)"):
        _session(est, rows, target_opset=needed - 1, options={"zipmap": False})
    onx, (_, proba) = _run(est, rows, options={"zipmap": False})
    assert _opset(onx) == needed  # the lowest opset, unless asked for another
    assert_close(proba, est.predict_proba(rows), dtype)
    for target in (needed, 18):
        onx, (_, proba) = _run(est, rows, target_opset=target, options={"zipmap": False})
        assert _opset(onx) == target
        assert_close(proba, est.predict_proba(rows), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=_name)
@pytest.mark.parametrize("task", ["binary-log_loss", "multilabel-hinge", "regression"])
def test_latest_opset(task, dtype):
    """The nodes keep their meaning in a model of the latest opset skl2onnx knows."""
    target = skl2onnx.get_latest_tested_opset_version()
    acts = ["gelu", "softplus", "selu", "leaky_relu", "elu", "silu"]
    rows = ROWS.astype(dtype)
    if task == "regression":
        est = MLPRegressor(hidden_layer_sizes=(5,) * len(acts), activation=acts,
                           out_activation="softplus", max_iter=5, random_state=0)  # fmt: skip
        est.fit(XR.astype(dtype), YR2)
        onx, (pred,) = _run(est, rows, target_opset=target)
        assert_close(pred, est.predict(rows), dtype)
    else:
        (Xd, yd), loss = TASKS[task.split("-")[0]], task.split("-")[1]
        est = MLPClassifier((5,) * len(acts), activation=acts, loss=loss, max_iter=5,
                            random_state=0).fit(Xd.astype(dtype), yd)  # fmt: skip
        options = {"zipmap": False}
        onx, (labels, second) = _run(est, rows, target_opset=target, options=options)
        proba = loss == "log_loss"
        assert_close(second, est.predict_proba(rows) if proba else est.decision_function(rows),
                     dtype)  # fmt: skip
        assert_labels(labels, est, rows, dtype)
    assert _opset(onx) == target


# --------------------------------------------------------------------------
# The configurations of test_export.py
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def onnx_run():
    fastmlp.register_onnx_converters()
    fastmlp.register_onnx_converters()  # idempotent

    def run(model, Xd, options=None):
        X32 = np.asarray(Xd, dtype=np.float32)
        onx = skl2onnx.to_onnx(model, X32[:1], options=options)
        sess = ort.InferenceSession(onx.SerializeToString(),
                                    providers=["CPUExecutionProvider"])  # fmt: skip
        return sess.run(None, {sess.get_inputs()[0].name: X32}), X32

    return run


# ONNX runs these networks in float32: measured, its probabilities are within 3.2e-7
# and its regression outputs within 1.1e-6 (absolute) of fastmlp's (in float64).
ONNX_PROBA_TOL = dict(rtol=1e-5, atol=3e-6)
ONNX_PRED_TOL = dict(rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", [n for n in CLASSIFIERS if n != "float32"])
def test_onnx_classifier(onnx_run, name):
    est, Xd, _ = _fitted(name)
    (labels, proba), X32 = onnx_run(est, Xd, options={"zipmap": False})
    expected_proba = est.predict_proba(X32)
    assert_allclose(proba, expected_proba, **ONNX_PROBA_TOL)
    expected = est.predict(X32)
    if expected.dtype.kind in "US":
        labels = labels.astype(str)
    labels = labels.reshape(expected.shape)
    # float32 rounding may flip a label only where fastmlp's probabilities are a
    # near-tie (the two largest, or one label's probability and 0.5)
    if expected.ndim == 1:
        top2 = np.sort(expected_proba, axis=1)[:, -2:]
        near_tie = top2[:, 1] - top2[:, 0] < 1e-5
    else:
        near_tie = np.abs(expected_proba - 0.5) < 1e-5
    differ = labels != expected
    assert not np.any(differ & ~near_tie), np.argwhere(differ & ~near_tie)


def test_onnx_classifier_zipmap_and_pipeline(onnx_run):
    pipe = make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=20, random_state=0))
    pipe.fit(X, Y3)
    (_, proba_maps), X32 = onnx_run(pipe, X)
    proba = np.array([[row[c] for c in pipe.classes_] for row in proba_maps])
    assert_allclose(proba, pipe.predict_proba(X32), **ONNX_PROBA_TOL)


@pytest.mark.parametrize("name", list(REGRESSORS))
def test_onnx_regressor(onnx_run, name):
    est, Xd, _ = _fitted(name)
    (pred,), X32 = onnx_run(est, Xd)
    expected = est.predict(X32)
    assert pred.shape == (len(Xd), est.n_outputs_)
    assert_allclose(pred.reshape(expected.shape), expected, **ONNX_PRED_TOL)


def test_onnx_beyond_sklearn(onnx_run):
    """What to_sklearn refuses (gelu here) exports; only a too-low target opset
    raises, naming the activation."""
    est = MLPClassifier((4,), activation="gelu", max_iter=3, random_state=0).fit(X, Y3)
    (_, proba), X32 = onnx_run(est, X, options={"zipmap": False})
    assert_allclose(proba, est.predict_proba(X32), **ONNX_PROBA_TOL)
    with pytest.raises(ValueError, match="activation 'gelu'"):
        skl2onnx.to_onnx(est, X32[:1], target_opset=8)

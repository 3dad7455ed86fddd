"""Class weights (``class_weight``): 'balanced' and a dict act as per-sample
weights multiplying sample_weight (in fit, partial_fit for a dict, and the
objective check_gradients reads); 'balanced' is refused by partial_fit; None
trains exactly as scikit-learn.

Expected numbers: the same estimator fitted with those per-sample weights
written out ('balanced': n_samples / (n_classes * class count), also in
``tests/_reference/network.py``), and scikit-learn's MLPClassifier.
"""

import numpy as np
import pytest
from _cases import differs, three_class_problem
from _reference.network import balanced_class_weights
from numpy.testing import assert_allclose
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

from fastmlp import MLPClassifier

CW_PARAMS = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0, batch_size=16)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_class_weight_balanced_equals_sample_weight(solver):
    X, y, sw = three_class_problem()
    # n_samples / (n_classes * class count), written out: counts 25, 12, 8.
    csw = np.select([y == "a", y == "b"], [45 / (3 * 25), 45 / (3 * 12)], 45 / (3 * 8))
    assert_allclose(csw, balanced_class_weights(y), rtol=1e-15)
    a = MLPClassifier(class_weight="balanced", solver=solver, **CW_PARAMS).fit(X, y)
    b = MLPClassifier(solver=solver, **CW_PARAMS).fit(X, y, sample_weight=csw)
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_allclose(u, v, rtol=1e-12, atol=0)
    # combined with sample_weight: the product
    a = MLPClassifier(class_weight="balanced", solver=solver, **CW_PARAMS).fit(
        X, y, sample_weight=sw
    )
    b = MLPClassifier(solver=solver, **CW_PARAMS).fit(X, y, sample_weight=sw * csw)
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_allclose(u, v, rtol=1e-12, atol=0)
    # and is not a no-op
    c = MLPClassifier(solver=solver, **CW_PARAMS).fit(X, y, sample_weight=sw)
    assert differs(a, c)


def test_class_weight_dict_times_sample_weight():
    X, y, sw = three_class_problem()
    cw = {"a": 0.5, "c": 3.0}  # "b" not given: weight 1
    per_sample = np.array([cw.get(label, 1.0) for label in y])
    a = MLPClassifier(class_weight=cw, **CW_PARAMS).fit(X, y, sample_weight=sw)
    b = MLPClassifier(**CW_PARAMS).fit(X, y, sample_weight=sw * per_sample)
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_allclose(u, v, rtol=1e-12, atol=0)
    # The objective seen by check_gradients includes the class weights.
    la = a._full_batch_loss_grad(X, y, sample_weight=sw)[0]
    lb = b._full_batch_loss_grad(X, y, sample_weight=sw * per_sample)[0]
    assert_allclose(la, lb, rtol=1e-12)
    # partial_fit with a dict works and equals the weighted partial_fit
    pa = MLPClassifier(class_weight=cw, **CW_PARAMS).partial_fit(
        X, y, sw, classes=["a", "b", "c"]
    )
    pb = MLPClassifier(**CW_PARAMS).partial_fit(
        X, y, sw * per_sample, classes=["a", "b", "c"]
    )
    for u, v in zip(pa.coefs_ + pa.intercepts_, pb.coefs_ + pb.intercepts_):
        assert_allclose(u, v, rtol=1e-12, atol=0)


def test_class_weight_balanced_partial_fit_raises():
    X, y, _ = three_class_problem()
    est = MLPClassifier(class_weight="balanced", **CW_PARAMS)
    with pytest.raises(ValueError):
        est.partial_fit(X, y, classes=["a", "b", "c"])


def test_class_weight_none_trains_as_sklearn():
    # class_weight=None leaves the sample weights alone: the fit is
    # scikit-learn's (same adam mini-batches, same shuffling) with them
    # (measured: 3e-16 relative).
    X, y, sw = three_class_problem()
    a = MLPClassifier(class_weight=None, **CW_PARAMS).fit(X, y, sample_weight=sw)
    b = SkMLPClassifier(**CW_PARAMS).fit(X, y, sample_weight=sw)
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_allclose(u, v, rtol=1e-9, atol=1e-12)
    assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-10)

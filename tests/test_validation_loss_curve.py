"""The validation loss curve (``validation_loss_curve_``): with early stopping,
the data loss (no penalty) on the validation split after every epoch, next to
validation_scores_; None without early stopping.

Expected numbers: full-batch sgd reproduced with the NumPy reference network
(``tests/_reference/network.py``) from scikit-learn's initialisation, on
scikit-learn's split (train_test_split with the random state the
initialisation leaves, stratified for a classifier), scored with
scikit-learn's r2_score / accuracy_score.
"""

import numpy as np
import pytest
from _cases import reference_for, three_class_problem
from _reference.network import encode_classes, sklearn_glorot_init
from numpy.testing import assert_allclose
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split

from fastmlp import MLPClassifier, MLPRegressor


@pytest.mark.parametrize("kind", ["reg", "clf"])
@pytest.mark.parametrize("with_sw,alpha", [(False, 0.0), (True, 0.0), (True, 0.5)])
def test_validation_loss_curve_reproduced(kind, with_sw, alpha):
    # Full-batch sgd on the training rows, reproduced in NumPy: the split is
    # train_test_split(arange(n)) with the random state right after the
    # initialisation (stratified for a single-output classifier), the curve
    # the validation data loss (no penalty) after every epoch, before the
    # best weights are restored.  With alpha > 0 training minimises the
    # penalised objective while the curve stays the data loss.
    rng = np.random.RandomState(12)
    n = 40
    X = rng.normal(size=(n, 3))
    if kind == "reg":
        y = np.sin(X[:, 0]) + 0.3 * X[:, 1]
        cls, case = MLPRegressor, ("reg", "reg1", "squared_error", None)
    else:
        y = (X[:, 0] + 0.3 * rng.normal(size=n) > 0).astype(int)
        cls, case = MLPClassifier, ("clf", "binary", "log_loss", None)
    sw = rng.uniform(0.5, 2.0, size=n) if with_sw else None
    n_epochs, lr = 7, 0.2
    est = cls(
        hidden_layer_sizes=(4,),
        activation="tanh",
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        alpha=alpha,
        batch_size=30,
        shuffle=False,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=1000,
        tol=0.0,
        max_iter=n_epochs,
        random_state=4,
    )
    est.fit(X, y, sample_weight=sw)
    assert len(est.validation_loss_curve_) == len(est.validation_scores_) == est.n_iter_
    assert est.n_iter_ == n_epochs
    assert np.all(np.isfinite(est.validation_loss_curve_))

    coefs, intercepts, rs = sklearn_glorot_init([3, 4, 1], 4, "tanh")
    Yfull = encode_classes(y)[0] if kind == "clf" else y[:, None]
    stratify = encode_classes(y)[0].astype(int) if kind == "clf" else None
    train, val = train_test_split(
        np.arange(n), random_state=rs, test_size=0.25, stratify=stratify
    )
    sw_all = np.ones(n) if sw is None else sw
    ref, _ = reference_for(case, y, coefs, intercepts, "tanh", alpha, 0.0)
    curve, scores = [], []
    for _ in range(n_epochs):
        _, _, cg, ig = ref.loss_grad(X[train], Yfull[train], sw_all[train])
        for w, g in zip(ref.coefs + ref.intercepts, cg + ig):
            w -= lr * g
        curve.append(ref.objective(X[val], Yfull[val], sw_all[val])[1])
        p = ref.predict(X[val])
        if kind == "reg":
            scores.append(
                r2_score(y[val], p.ravel(), sample_weight=None if sw is None else sw[val])
            )
        else:
            scores.append(
                accuracy_score(
                    y[val],
                    (p.ravel() > 0.5).astype(int),
                    sample_weight=None if sw is None else sw[val],
                )
            )
    assert_allclose(est.validation_scores_, scores, rtol=1e-9)
    assert_allclose(est.validation_loss_curve_, curve, rtol=1e-9)


def test_validation_loss_curve_none_without_early_stopping():
    X, y, _ = three_class_problem()
    est = MLPClassifier((5,), max_iter=3, random_state=0).fit(X, y)
    assert est.validation_loss_curve_ is None
    assert est.validation_scores_ is None
    est = MLPClassifier(
        (5,), max_iter=30, random_state=0, early_stopping=True, n_iter_no_change=2
    ).fit(X, y)
    assert len(est.validation_loss_curve_) == len(est.validation_scores_) == est.n_iter_
    assert all(np.isfinite(v) and v > 0 for v in est.validation_loss_curve_)

"""Weight initialisation (``weight_init``): the default 'glorot_uniform' is
scikit-learn's initialisation bit for bit; 'glorot_normal', 'he_uniform',
'he_normal' and 'lecun_normal' draw from the distribution their formula gives
(scale from fan-in and fan-out, biases zero), reproducibly for a given
random_state; an unknown name is refused.

Expected numbers: scikit-learn's MLP estimators and its initialisation written
out in ``tests/_reference/network.py`` (bitwise), and the published scale
formulas of INIT_SCHEMES below, checked through the sample moments of 120,000
draws (standard deviation, mean, kurtosis, the bound of a uniform).
"""

import numpy as np
import pytest
from _cases import binary_problem
from _reference.network import sklearn_glorot_init
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

from fastmlp import MLPClassifier, MLPRegressor


def _init_weights(
    weight_init, n_in=400, n_hidden=300, activation="relu", random_state=0, cls=MLPRegressor
):
    """Weights right after initialisation: one sgd step with lr = 1e-300 and
    no momentum changes no weight of normal size (|lr * g| << ulp(w))."""
    rng = np.random.RandomState(1)
    X = rng.normal(size=(6, n_in))
    y = rng.normal(size=6) if cls is MLPRegressor else np.array([0, 1] * 3)
    params = dict(
        hidden_layer_sizes=(n_hidden,),
        activation=activation,
        solver="sgd",
        momentum=0.0,
        learning_rate_init=1e-300,
        max_iter=1,
        random_state=random_state,
        shuffle=False,
    )
    if cls in (MLPRegressor, MLPClassifier):
        params["weight_init"] = weight_init
    return cls(**params).fit(X, y)


@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh"])
@pytest.mark.parametrize(
    "cls,sk_cls", [(MLPRegressor, SkMLPRegressor), (MLPClassifier, SkMLPClassifier)]
)
def test_glorot_uniform_default_is_sklearn_bitwise(cls, sk_cls, activation):
    ours = _init_weights("glorot_uniform", 7, 5, activation, 3, cls)
    sk = _init_weights(None, 7, 5, activation, 3, sk_cls)
    units = [7, 5, 1]
    coefs, intercepts, _ = sklearn_glorot_init(units, 3, activation)
    for u, v, w in zip(
        ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_, coefs + intercepts
    ):
        assert_array_equal(u, v)
        assert_array_equal(u, w)
    assert cls().get_params()["weight_init"] == "glorot_uniform"


def test_glorot_uniform_after_one_epoch_matches_sklearn():
    X, y = binary_problem()
    params = dict(hidden_layer_sizes=(6,), max_iter=1, random_state=11)
    ours = MLPClassifier(weight_init="glorot_uniform", **params).fit(X, y)
    sk = SkMLPClassifier(**params).fit(X, y)
    for u, v in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_):
        assert_allclose(u, v, rtol=1e-6, atol=1e-12)


INIT_SCHEMES = {
    # name: (kind, scale as a function of fan_in, fan_out): std for normal,
    # bound for uniform.
    "glorot_normal": ("normal", lambda fi, fo: np.sqrt(2.0 / (fi + fo))),
    "he_uniform": ("uniform", lambda fi, fo: np.sqrt(6.0 / fi)),
    "he_normal": ("normal", lambda fi, fo: np.sqrt(2.0 / fi)),
    "lecun_normal": ("normal", lambda fi, fo: np.sqrt(1.0 / fi)),
}


@pytest.mark.parametrize("weight_init", list(INIT_SCHEMES))
def test_weight_init_distribution(weight_init):
    kind, scale = INIT_SCHEMES[weight_init]
    est = _init_weights(weight_init)
    W = est.coefs_[0]
    assert W.shape == (400, 300)
    s = scale(400, 300)
    expected_std = s if kind == "normal" else s / np.sqrt(3)
    assert np.std(W) == pytest.approx(expected_std, rel=0.03)
    assert abs(np.mean(W)) < 4 * expected_std / np.sqrt(W.size)
    kurt = np.mean((W - W.mean()) ** 4) / np.var(W) ** 2 - 3
    if kind == "uniform":
        assert np.abs(W).max() <= s
        assert np.abs(W).max() > 0.99 * s
        assert kurt == pytest.approx(-1.2, abs=0.1)
        assert np.abs(est.coefs_[1]).max() <= scale(300, 1)
    else:
        assert kurt > -0.6, "weights look uniform, not normal"
    # Output layer 300 -> 1 follows the same formula (std over 300 draws).
    assert np.std(est.coefs_[1]) == pytest.approx(
        scale(300, 1) if kind == "normal" else scale(300, 1) / np.sqrt(3), rel=0.25
    )
    for b in est.intercepts_:
        assert np.all(np.abs(b) < 1e-250), "biases must start at zero"
    # Reproducible, and random_state-dependent.
    assert_array_equal(W, _init_weights(weight_init).coefs_[0])
    assert not np.array_equal(W, _init_weights(weight_init, random_state=1).coefs_[0])


def test_weight_init_invalid():
    X, y = binary_problem()
    with pytest.raises(ValueError):
        MLPClassifier(weight_init="xavier").fit(X, y)

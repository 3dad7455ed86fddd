"""The element-wise kernels (csrc/elementwise.h: bias and activation, the
activations' derivatives, the losses and their deltas) against numpy / scipy,
each alone; the matrix products are tested in tests/test_gemm.py."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import erfc, expit, softmax, xlogy

from fastmlp._kernels import _codes, _engine

DTYPES = [np.float32, np.float64]
# Tolerances per test and dtype: each about ten times the largest difference measured
# against the float64 references below (given in the comments).
ACT = _codes.ACTIVATION_CODES
LOSS = _codes.LOSS_CODES


SELU_LAMBDA, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772


def _reference_activation(name, z):
    """The definitions, written out in float64."""
    z = z.astype(np.float64)
    return {
        "identity": lambda: z,
        "logistic": lambda: expit(z),
        "tanh": lambda: np.tanh(z),
        "relu": lambda: np.maximum(z, 0),
        "exp": lambda: np.exp(z),
        "softmax": lambda: softmax(z, axis=1),
        "leaky_relu": lambda: np.where(z > 0, z, 0.01 * z),
        "elu": lambda: np.where(z > 0, z, np.expm1(z)),
        "selu": lambda: SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * np.expm1(z)),
        "softplus": lambda: np.logaddexp(0, z),
        "gelu": lambda: 0.5 * z * erfc(-z / np.sqrt(2)),
        "silu": lambda: z * expit(z),
        "gaussian": lambda: np.exp(-z * z),
    }[name]()


def _central_derivative(name, z, h=1e-6):
    """f'(z) of activation `name`: a central difference of the float64 definition."""
    return (_reference_activation(name, z + h) - _reference_activation(name, z - h)) / (
        2 * h
    )


ALL_ACTIVATIONS = [
    "identity",
    "logistic",
    "tanh",
    "relu",
    "exp",
    "softmax",
    "leaky_relu",
    "elu",
    "selu",
    "softplus",
    "gelu",
    "silu",
    "gaussian",
]
HIDDEN = [
    "identity",
    "logistic",
    "tanh",
    "relu",
    "exp",
    "leaky_relu",
    "elu",
    "selu",
    "softplus",
    "gelu",
    "silu",
    "gaussian",
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ALL_ACTIVATIONS)
def test_bias_activation_matches_numpy(dtype, name):
    rng = np.random.RandomState(1)
    z = (3 * rng.randn(7, 4)).astype(dtype)
    b = rng.randn(4).astype(dtype)
    expected = _reference_activation(name, z.astype(np.float64) + b)
    out = z.copy()
    _engine.bias_activation(out, b, ACT[name])
    # measured: within 2.7e-6 (float32), 9.2e-15 (float64) relative
    assert_allclose(out, expected, rtol=2e-5 if dtype is np.float32 else 1e-13, atol=1e-30)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_is_stable_for_large_inputs(dtype):
    z = np.array([[1000.0, 1000.0, -1000.0]], dtype=dtype)
    _engine.bias_activation(z, np.zeros(3, dtype=dtype), ACT["softmax"])
    assert_allclose(z, [[0.5, 0.5, 0.0]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", HIDDEN)
def test_activation_derivative_matches_finite_differences(dtype, name):
    # f'(z) from a central difference of the float64 reference, compared with
    # the kernel that only sees a = f(z).
    rng = np.random.RandomState(2)
    z = rng.randn(6, 5)
    z[np.abs(z) < 1e-3] = 0.5  # keep clear of relu's kink
    fprime = _central_derivative(name, z)
    a = _reference_activation(name, z).astype(dtype)
    delta0 = rng.randn(6, 5).astype(dtype)
    delta = delta0.copy()
    _engine.activation_derivative(a, z.astype(dtype), delta, ACT[name])
    # measured: within 1.5e-7 absolute (float32); within 1.7e-10 relative beyond the
    # atol (float64, the central difference's own error)
    assert_allclose(
        delta,
        delta0 * fprime,
        rtol=1e-5 if dtype is np.float32 else 2e-9,
        atol=1e-6 if dtype is np.float32 else 1e-10,
    )


def _reference_loss(name, y, p):
    """Per-row loss, float64, written out from the definitions."""
    eps = np.finfo(p.dtype).eps
    y = y.astype(np.float64)
    p64 = p.astype(np.float64)
    pc = np.clip(p, eps, 1 - eps).astype(np.float64)
    if name == "squared_error":
        return 0.5 * ((y - p64) ** 2).sum(axis=1)
    if name == "log_loss":
        return -xlogy(y, pc).sum(axis=1)
    if name == "binary_log_loss":
        return -(xlogy(y, pc) + xlogy(1 - y, 1 - pc)).sum(axis=1)
    if name == "poisson":
        return (xlogy(y, y / p64) - y + p64).sum(axis=1)
    raise AssertionError(name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name", ["squared_error", "log_loss", "binary_log_loss", "poisson"]
)
def test_loss_delta_matches_definitions(dtype, name):
    rng = np.random.RandomState(3)
    n, k = 9, 3
    if name == "log_loss":
        p = softmax(rng.randn(n, k), axis=1)
        y = np.eye(k)[rng.randint(k, size=n)]
    elif name == "binary_log_loss":
        p = expit(rng.randn(n, k))
        p[0, 0] = 1.0  # clipped in the loss value
        y = (rng.rand(n, k) > 0.5).astype(float)
    elif name == "poisson":
        p = np.exp(rng.randn(n, k))
        y = rng.poisson(2.0, size=(n, k)).astype(float)
    else:
        p = rng.randn(n, k)
        y = rng.randn(n, k)
    p, y = p.astype(dtype), y.astype(dtype)
    sw = (rng.rand(n) + 0.5).astype(dtype)
    delta = np.empty_like(p)
    out_act = {
        "squared_error": "identity",
        "log_loss": "softmax",
        "binary_log_loss": "logistic",
        "poisson": "exp",
    }[name]
    total = _engine.loss_delta(p, y, sw, delta, LOSS[name], ACT[out_act])
    expected = np.sum(sw.astype(np.float64) * _reference_loss(name, y, p))
    # measured: totals within 1.5e-8 (float32), 2.6e-16 (float64) relative; deltas
    # within 1e-7 (float32) relative, identical (float64)
    assert total == pytest.approx(expected, rel=2e-7 if dtype is np.float32 else 1e-14)
    assert_allclose(
        delta,
        (p.astype(np.float64) - y) * sw[:, None],
        rtol=1e-6 if dtype is np.float32 else 1e-14,
    )


def _reference_loss_and_grad(name, y, p, delta=1.0):
    """Per-row loss and dL/dp of the losses beyond scikit-learn's, float64."""
    y = y.astype(np.float64)
    p = p.astype(np.float64)
    if name == "absolute_error":
        return np.abs(y - p).sum(1), np.sign(p - y)
    if name == "huber":
        r = p - y
        quad = np.abs(r) <= delta
        loss = np.where(quad, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))
        return loss.sum(1), np.where(quad, r, delta * np.sign(r))
    if name in ("binary_hinge", "binary_squared_hinge"):
        t = 2 * y - 1
        m = np.maximum(0, 1 - t * p)
        if name == "binary_hinge":
            return m.sum(1), np.where(m > 0, -t, 0.0)
        return (m**2).sum(1), -2 * t * m
    # multiclass hinge: y one-hot
    c = y.argmax(1)
    sy = p[np.arange(len(p)), c][:, None]
    m = np.maximum(0, p - sy + 1)
    m[np.arange(len(p)), c] = 0
    g = (m > 0).astype(float) if name == "hinge" else 2 * m
    g[np.arange(len(p)), c] = -g.sum(1)
    return (m if name == "hinge" else m**2).sum(1), g


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name",
    [
        "absolute_error",
        "huber",
        "hinge",
        "squared_hinge",
        "binary_hinge",
        "binary_squared_hinge",
    ],
)
def test_extra_losses_match_definitions(dtype, name):
    rng = np.random.RandomState(4)
    n, k = 11, 3
    p = (2 * rng.randn(n, k)).astype(dtype)
    if name in ("hinge", "squared_hinge"):
        y = np.eye(k)[rng.randint(k, size=n)].astype(dtype)
    elif name.startswith("binary"):
        y = (rng.rand(n, k) > 0.5).astype(dtype)
    else:
        y = rng.randn(n, k).astype(dtype)
    sw = (rng.rand(n) + 0.5).astype(dtype)
    delta = np.empty_like(p)
    total = _engine.loss_delta(p, y, sw, delta, LOSS[name], ACT["identity"], 0.7)
    loss, grad = _reference_loss_and_grad(name, y, p, delta=0.7)
    # measured: totals within 1.2e-8 (float32), 1.8e-16 (float64) relative; deltas
    # within 9.9e-8 (float32) relative, identical (float64)
    rel = 2e-7 if dtype is np.float32 else 1e-14
    assert total == pytest.approx(np.sum(sw * loss), rel=rel)
    assert_allclose(
        delta, grad * sw[:, None], rtol=1e-6 if dtype is np.float32 else 1e-14, atol=1e-12
    )


@pytest.mark.parametrize("out_act", ["logistic", "tanh", "softplus", "exp"])
def test_non_canonical_output_delta_chains_the_derivative(out_act):
    # squared error through a non-identity output: delta = (p - y) * f'(z).
    rng = np.random.RandomState(5)
    z = rng.randn(6, 2)
    p = _reference_activation(out_act, z)
    fprime = _central_derivative(out_act, z)
    y = rng.randn(6, 2)
    sw = np.ones(6)
    delta = np.empty_like(p)
    _engine.loss_delta(p, y, sw, delta, LOSS["squared_error"], ACT[out_act])
    # measured: within 3.1e-10 relative beyond the atol (the central difference's error)
    assert_allclose(delta, (p - y) * fprime, rtol=3e-9, atol=1e-10)

"""Numerical check of the gradient fastmlp trains with."""

import copy
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted
from sklearn.exceptions import NotFittedError


@dataclass
class GradientCheckResult:
    """Outcome of :func:`check_gradients`.

    Attributes
    ----------
    relative_error : float
        ||g - g_num|| / ||g + g_num|| over all parameters; about 1e-9 or less
        for a correct float64 gradient of a smooth objective.
    max_abs_error : float
        Largest |g - g_num| over all parameters.
    per_layer : list of dict
        For each layer: ``layer``, ``coef_relative_error``,
        ``intercept_relative_error`` and ``max_abs_error``.
    eps : float
        The finite-difference step used.
    gradient, numerical_gradient : ndarray
        The analytic and the central-difference gradient, flat, coefficients
        of every layer first, then intercepts (scikit-learn's packing order).
    """

    relative_error: float
    max_abs_error: float
    per_layer: list = field(default_factory=list)
    eps: float = 0.0
    gradient: np.ndarray = None
    numerical_gradient: np.ndarray = None


def _relative(a, b):
    denom = np.linalg.norm(a + b)
    return float(np.linalg.norm(a - b) / denom) if denom > 0 else 0.0


def check_gradients(estimator, X, y, sample_weight=None, eps=None):
    """Compare the gradient fastmlp computes with central differences.

    The objective is the estimator's full-batch training objective on (X, y):
    the data loss averaged with ``sample_weight`` (and ``class_weight``) plus
    the L2/L1 penalty, without dropout. Each parameter is moved by +-eps in
    turn and (J(w + eps) - J(w - eps)) / (2 eps) is compared with the analytic
    gradient. A fitted estimator is checked at its current weights; an
    unfitted one at the initial weights ``fit`` would start from. The
    estimator itself is not modified.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        A fastmlp estimator, fitted or not.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Input data.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets (class labels for a classifier).
    sample_weight : array-like of shape (n_samples,), default=None
        Per-sample weights.
    eps : float, default=None
        Finite-difference step; None uses the cube root of the machine
        epsilon of the network's dtype (about 6e-6 for float64, 5e-3 for
        float32).

    Returns
    -------
    result : GradientCheckResult
        Relative and absolute errors, overall and per layer.
    """
    try:
        check_is_fitted(estimator)
        est = copy.deepcopy(estimator)
    except NotFittedError:
        est = clone(estimator)
        est._validate_params()
        est._fit(X, y, sample_weight=sample_weight, train=False)
    objective, params, layout = est._objective_function(X, y, sample_weight)
    flat = params.copy()
    if eps is None:
        eps = float(np.cbrt(np.finfo(flat.dtype).eps))
    _, grad = objective(flat)
    grad = grad.astype(np.float64)
    numeric = np.empty(layout.n_params)
    for j in range(layout.n_params):
        w = flat[j]
        flat[j] = w + eps
        plus, _ = objective(flat)
        flat[j] = w - eps
        minus, _ = objective(flat)
        flat[j] = w
        # The step actually taken, as rounded in the network's dtype.
        step = float(flat.dtype.type(w + eps)) - float(flat.dtype.type(w - eps))
        numeric[j] = (plus - minus) / step
    per_layer = []
    coef_g, icpt_g = layout.views(grad)
    coef_n, icpt_n = layout.views(numeric)
    for i in range(layout.n_weight_layers):
        per_layer.append({
            "layer": i,
            "coef_relative_error": _relative(coef_g[i], coef_n[i]),
            "intercept_relative_error": _relative(icpt_g[i], icpt_n[i]),
            "max_abs_error": float(max(np.max(np.abs(coef_g[i] - coef_n[i]), initial=0),
                                       np.max(np.abs(icpt_g[i] - icpt_n[i]), initial=0))),
        })
    return GradientCheckResult(
        relative_error=_relative(grad, numeric),
        max_abs_error=float(np.max(np.abs(grad - numeric), initial=0)),
        per_layer=per_layer,
        eps=eps,
        gradient=grad,
        numerical_gradient=numeric,
    )

"""Numerical check of the gradient fastmlp trains with."""

import copy
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted


@dataclass
class GradientCheckResult:
    """Outcome of :func:`check_gradients`.

    The errors compare the analytic gradient ``g`` the solvers train with
    and the central-difference gradient ``g_num``. Each parameter below is
    kept as the attribute of the same name.

    .. versionadded:: 0.1

    Parameters
    ----------
    relative_error : float
        ``||g - g_num|| / ||g + g_num||`` over all parameters (0 when both
        are 0); about 1e-9 or less for a correct float64 gradient of a
        smooth objective, larger near the kinks of 'relu', of the L1
        penalty or of the non-smooth losses.
    max_abs_error : float
        Largest ``abs(g - g_num)`` over all parameters.
    per_layer : list of dict, default=[]
        For each weight layer i (from the input), a dict with the keys
        ``layer`` (i), ``coef_relative_error`` and
        ``intercept_relative_error`` (the relative error of ``coefs_[i]``
        and ``intercepts_[i]``) and ``max_abs_error``.
    eps : float, default=0.0
        The finite-difference step used.
    gradient : ndarray of shape (n_params,), default=None
        The analytic gradient, as float64, flat: the coefficients of every
        layer first (each raveled in C order), then the intercepts
        (scikit-learn's packing order).
    numerical_gradient : ndarray of shape (n_params,), default=None
        The central-difference gradient, in the same order.

    See Also
    --------
    check_gradients : The function that computes this result.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fastmlp import MLPClassifier, check_gradients
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", random_state=0)
    >>> result = check_gradients(clf, X[::10], y[::10])
    >>> [entry["layer"] for entry in result.per_layer]
    [0, 1]
    >>> result.gradient.shape
    (35,)
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
    """Compare the gradient fastmlp trains with to central differences.

    The objective is the estimator's full-batch training objective on (X, y):
    the data loss averaged with ``sample_weight`` (and ``class_weight``) plus
    the penalty ``alpha * ((1 - l1_ratio) * 0.5 * ||W||^2 + l1_ratio *
    ||W||_1)`` divided by the sum of the sample weights, without dropout
    (what 'lbfgs' minimises). Each parameter is moved by +-eps in turn and
    ``(J(w + eps) - J(w - eps)) / (2 eps)`` is compared with the analytic
    gradient. A fitted estimator is checked at its current weights; an
    unfitted one at the initial weights ``fit`` would start from (for the
    same ``random_state``). The estimator itself is not modified.

    The check costs two evaluations of the objective per parameter: use a
    small network and a few samples.

    .. versionadded:: 0.1

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        A fastmlp estimator, fitted or not.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The input data.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The target values (class labels for a classifier, which must be
        among its ``classes_`` when it is fitted).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    eps : float, default=None
        Finite-difference step; None uses the cube root of the machine
        epsilon of the network's dtype (about 6e-6 for float64, 5e-3 for
        float32).

    Returns
    -------
    result : GradientCheckResult
        Relative and absolute errors, overall and per layer, and both
        gradients.

    See Also
    --------
    GradientCheckResult : The fields of the result.
    MLPClassifier : Multi-layer Perceptron classifier.
    MLPRegressor : Multi-layer Perceptron regressor.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fastmlp import MLPClassifier, check_gradients
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh",
    ...                     alpha=1e-3, random_state=0)
    >>> result = check_gradients(clf, X[::10], y[::10])
    >>> bool(result.relative_error < 1e-6)
    True
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
        per_layer.append(
            {
                "layer": i,
                "coef_relative_error": _relative(coef_g[i], coef_n[i]),
                "intercept_relative_error": _relative(icpt_g[i], icpt_n[i]),
                "max_abs_error": float(
                    max(
                        np.max(np.abs(coef_g[i] - coef_n[i]), initial=0),
                        np.max(np.abs(icpt_g[i] - icpt_n[i]), initial=0),
                    )
                ),
            }
        )
    return GradientCheckResult(
        relative_error=_relative(grad, numeric),
        max_abs_error=float(np.max(np.abs(grad - numeric), initial=0)),
        per_layer=per_layer,
        eps=eps,
        gradient=grad,
        numerical_gradient=numeric,
    )

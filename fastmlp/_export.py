"""Export to scikit-learn's own MLP estimators.

`to_sklearn` copies the fitted network of a fastmlp estimator into a fitted
``sklearn.neural_network.MLPClassifier`` / ``MLPRegressor`` when scikit-learn can
compute the same function.  (ONNX export, `_onnx.py`, builds the network graph
itself and covers every model.)
"""

import copy

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

_SKLEARN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
_SKLEARN_SOLVERS = ("lbfgs", "sgd", "adam")
# Hyper-parameters scikit-learn's MLP estimators share with fastmlp.
_SHARED_PARAMS = (
    "hidden_layer_sizes", "alpha", "batch_size", "learning_rate", "learning_rate_init",
    "power_t", "max_iter", "shuffle", "random_state", "tol", "verbose", "warm_start",
    "momentum", "nesterovs_momentum", "early_stopping", "validation_fraction", "beta_1",
    "beta_2", "epsilon", "n_iter_no_change", "max_fun",
)  # fmt: skip
# Fitted attributes copied as they are (those the estimator has).
_FITTED_ATTRIBUTES = (
    "n_features_in_", "feature_names_in_", "n_iter_", "n_layers_", "n_outputs_",
    "out_activation_", "t_", "loss_", "best_loss_", "best_validation_score_",
)  # fmt: skip


def _unsupported(option, value, why):
    return ValueError(
        f"This model cannot be exported to scikit-learn: {option}={value!r} {why}"
    )


def _sklearn_activation(estimator):
    """The single scikit-learn activation of the hidden layers, or ValueError."""
    n_hidden = len(estimator.coefs_) - 1
    hidden = estimator._hidden_activations(n_hidden)
    if n_hidden == 0:  # no hidden layer: the activation is never applied
        act = estimator.activation
        return act if isinstance(act, str) and act in _SKLEARN_ACTIVATIONS else "relu"
    if len(set(hidden)) > 1:
        raise _unsupported(
            "activation", estimator.activation,
            "gives the hidden layers different activations; scikit-learn uses one "
            "activation for all of them.",
        )  # fmt: skip
    if hidden[0] not in _SKLEARN_ACTIVATIONS:
        raise _unsupported(
            "activation", estimator.activation,
            f"is not available in scikit-learn (one of {list(_SKLEARN_ACTIVATIONS)}).",
        )  # fmt: skip
    return hidden[0]


def to_sklearn(estimator):
    """Return a fitted scikit-learn MLP with the same network as a fastmlp estimator.

    The implementation of ``MLPClassifier.to_sklearn`` and
    ``MLPRegressor.to_sklearn``, whose docstrings say what is copied and
    what is replaced.

    Parameters
    ----------
    estimator : fastmlp.MLPClassifier or fastmlp.MLPRegressor
        A fitted estimator.

    Returns
    -------
    sklearn_estimator : sklearn.neural_network.MLPClassifier or MLPRegressor
        The fitted scikit-learn estimator.

    Raises
    ------
    ValueError
        If scikit-learn cannot compute the same function; the message names the
        option.
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.

    See Also
    --------
    fastmlp.MLPClassifier.to_sklearn : The public entry point.
    """
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    check_is_fitted(estimator, "coefs_")
    activation = _sklearn_activation(estimator)
    params = {name: getattr(estimator, name) for name in _SHARED_PARAMS}
    params["activation"] = activation
    # Options of the training only (not of the fitted function) that scikit-learn
    # lacks are not carried over: its closest setting is used instead.
    params["solver"] = estimator.solver if estimator.solver in _SKLEARN_SOLVERS else "adam"

    if is_classifier(estimator):
        if estimator.loss != "log_loss":
            raise _unsupported(
                "loss", estimator.loss,
                "makes the network output margins; scikit-learn's MLPClassifier "
                "only has loss='log_loss' (probabilities).",
            )  # fmt: skip
        sk = MLPClassifier(**params)
    else:
        out = estimator.out_activation_
        if out == "exp" and estimator.loss == "poisson":
            loss = "poisson"
        elif out == "identity" and estimator.loss != "poisson":
            # squared_error; absolute_error and huber only change the training.
            loss = "squared_error"
        else:
            raise _unsupported(
                "out_activation", estimator.out_activation,
                f"with loss={estimator.loss!r} gives the output activation {out!r}; "
                "scikit-learn's MLPRegressor has 'identity' (squared_error) and "
                "'exp' (poisson) only.",
            )  # fmt: skip
        sk = MLPRegressor(loss=loss, **params)
    sk._validate_params()

    sk.coefs_ = [np.array(c, copy=True) for c in estimator.coefs_]
    sk.intercepts_ = [np.array(b, copy=True) for b in estimator.intercepts_]
    for name in _FITTED_ATTRIBUTES:
        if hasattr(estimator, name):
            setattr(sk, name, copy.deepcopy(getattr(estimator, name)))
    for name in ("loss_curve_", "validation_scores_"):
        value = getattr(estimator, name, None)
        if value is not None:
            setattr(sk, name, list(value))
        elif hasattr(estimator, name):
            setattr(sk, name, None)
    if is_classifier(estimator):
        sk.classes_ = copy.deepcopy(estimator.classes_)
        sk._label_binarizer = copy.deepcopy(estimator._label_binarizer)
    return sk

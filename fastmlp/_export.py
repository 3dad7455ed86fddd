"""Export to scikit-learn's own MLP estimators and to ONNX (through skl2onnx).

`to_sklearn` copies the fitted network of a fastmlp estimator into a fitted
``sklearn.neural_network.MLPClassifier`` / ``MLPRegressor`` when scikit-learn can
compute the same function.  `register_onnx_converters` teaches skl2onnx to convert
fastmlp's estimators (skl2onnx is imported only there).
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
    """A fitted scikit-learn MLP with the same network as a fastmlp estimator.

    See ``MLPClassifier.to_sklearn`` / ``MLPRegressor.to_sklearn``.

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


# --------------------------------------------------------------------------
# ONNX
# --------------------------------------------------------------------------

_ONNX_ACTIVATIONS = {"identity": "Identity", "logistic": "Sigmoid", "tanh": "Tanh",
                     "relu": "Relu", "exp": "Exp"}  # fmt: skip


def _convert_classifier(scope, operator, container):
    """skl2onnx converter of fastmlp.MLPClassifier: skl2onnx's own MLP converter
    applied to the equivalent scikit-learn model."""
    from skl2onnx.operator_converters.multilayer_perceptron import (
        convert_sklearn_mlp_classifier,
    )

    fast = operator.raw_operator
    operator.raw_operator = to_sklearn(fast)
    try:
        convert_sklearn_mlp_classifier(scope, operator, container)
    finally:
        operator.raw_operator = fast


def _classifier_shape(operator):
    """skl2onnx shape calculator of fastmlp.MLPClassifier: skl2onnx's classifier
    shapes, with one label column per class for multilabel targets."""
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes

    calculate_linear_classifier_output_shapes(operator)
    est = operator.raw_operator
    if est._label_binarizer.y_type_ == "multilabel-indicator":
        n = operator.inputs[0].get_first_dimension()
        operator.outputs[0].type.shape = [n, len(est.classes_)]


def _regressor_shape(operator):
    """skl2onnx shape calculator of fastmlp.MLPRegressor: [N, n_outputs_]."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    n = operator.inputs[0].get_first_dimension()
    kind = DoubleTensorType if isinstance(operator.inputs[0].type, DoubleTensorType) else (
        FloatTensorType
    )
    operator.outputs[0].type = kind([n, int(operator.raw_operator.n_outputs_)])


def _convert_regressor(scope, operator, container):
    """skl2onnx converter of fastmlp.MLPRegressor (several outputs and the
    Poisson loss's exponential output included)."""
    from skl2onnx.common.data_types import guess_proto_type
    from skl2onnx.proto import onnx_proto

    sk = to_sklearn(operator.raw_operator)  # ValueError for what has no equivalent
    proto = guess_proto_type(operator.inputs[0].type)
    if proto != onnx_proto.TensorProto.DOUBLE:
        proto = onnx_proto.TensorProto.FLOAT
    dtype = np.float64 if proto == onnx_proto.TensorProto.DOUBLE else np.float32

    def name(prefix):
        return scope.get_unique_variable_name(prefix)

    current = name("cast_input")
    container.add_node("Cast", operator.inputs[0].full_name, current, to=proto,
                       name=scope.get_unique_operator_name("Cast"))  # fmt: skip
    n_layers = len(sk.coefs_)
    for i, (coef, icpt) in enumerate(zip(sk.coefs_, sk.intercepts_)):
        w, b = name("coefficient"), name("intercepts")
        container.add_initializer(w, proto, coef.shape, coef.astype(dtype).ravel())
        container.add_initializer(b, proto, [1, icpt.shape[0]], icpt.astype(dtype))
        product, total = name("mul_result"), name("add_result")
        container.add_node("MatMul", [current, w], product,
                           name=scope.get_unique_operator_name("MatMul"))  # fmt: skip
        container.add_node("Add", [product, b], total,
                           name=scope.get_unique_operator_name("Add"))  # fmt: skip
        act = sk.activation if i < n_layers - 1 else sk.out_activation_
        last = i == n_layers - 1
        current = operator.outputs[0].full_name if last else name("activations")
        container.add_node(_ONNX_ACTIVATIONS[act], total, current,
                           name=scope.get_unique_operator_name(_ONNX_ACTIVATIONS[act]))  # fmt: skip


def register_onnx_converters():
    """Register fastmlp's estimators with skl2onnx.

    After this call ``skl2onnx.to_onnx(estimator, X[:1])`` converts a fitted
    ``fastmlp.MLPClassifier`` / ``MLPRegressor`` (also inside a ``Pipeline``)
    whenever ``estimator.to_sklearn()`` succeeds, i.e. when scikit-learn has the
    same network; otherwise the conversion raises the ``ValueError`` of
    ``to_sklearn``. Calling it again is harmless.

    The classifier gives the outputs of skl2onnx's scikit-learn MLP converter
    (``label`` and ``probabilities``; options ``zipmap``, ``nocl`` and
    ``output_class_labels``). The regressor's single output ``variable`` has
    shape ``(n_samples, n_outputs_)``, also for several outputs and for
    ``loss='poisson'``.

    Returns
    -------
    None

    Raises
    ------
    ImportError
        If skl2onnx is not installed (``pip install fastmlp[onnx]``).

    Examples
    --------
    >>> import fastmlp
    >>> from skl2onnx import to_onnx  # doctest: +SKIP
    >>> fastmlp.register_onnx_converters()  # doctest: +SKIP
    >>> onx = to_onnx(fitted_estimator, X[:1].astype("float32"))  # doctest: +SKIP
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as exc:
        raise ImportError(
            "register_onnx_converters requires skl2onnx (and onnxruntime to run the "
            "models): pip install skl2onnx onnxruntime, or pip install fastmlp[onnx]."
        ) from exc
    from ._multilayer_perceptron import MLPClassifier, MLPRegressor

    update_registered_converter(
        MLPClassifier,
        "FastmlpMLPClassifier",
        _classifier_shape,
        _convert_classifier,
        options={
            "zipmap": [True, False, "columns"],
            "output_class_labels": [False, True],
            "nocl": [True, False],
        },
    )
    update_registered_converter(
        MLPRegressor, "FastmlpMLPRegressor", _regressor_shape, _convert_regressor
    )

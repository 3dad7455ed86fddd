"""Export to ONNX: converters that teach skl2onnx fastmlp's estimators.

`register_onnx_converters` registers them; skl2onnx is imported only when they
are registered or run.
"""

import numpy as np

from ._export import to_sklearn
from ._multilayer_perceptron import MLPClassifier, MLPRegressor

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

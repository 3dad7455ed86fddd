"""Export to ONNX: skl2onnx converters that build fastmlp's network graph.

`register_onnx_converters` registers them; skl2onnx is imported only when they
are registered or run.

The graph is the network itself: one ``Gemm`` per layer (input times weights
plus intercepts), the activation of each layer, then the classifier's labels.
It is built in the input's dtype (float64 for a ``DoubleTensorType`` input,
float32 otherwise) with every activation in the form fastmlp computes (constants
of ``csrc/elementwise.h``), and every node takes the lowest version of its
operator that onnxruntime runs in that dtype, so the model declares the lowest
opset that expresses it: 7 (``Gemm``'s broadcast intercepts), 8 for float64
``leaky_relu``, ``elu`` and ``selu`` (``Max`` / ``Min`` with a scalar), 9 for
``gelu`` (``Erf``; ``Where`` in float64) and float64 ``softplus`` (``Where``).
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._multilayer_perceptron import MLPClassifier, MLPRegressor

# The version of each operator the graph uses: the lowest that has the semantics
# used here and that onnxruntime runs in float32 and float64 (Add, Sub, Mul, Div
# and Greater broadcast a scalar from 7 on, Max and Min from 8). None of them
# changed its attributes since, so the nodes mean the same in a model of a higher
# opset (a pipeline's, or the target_opset asked for).
_OP_VERSIONS = {
    "Abs": 6, "Add": 7, "ArgMax": 1, "Cast": 6, "Concat": 4, "Div": 7, "Elu": 6,
    "Erf": 9, "Exp": 6, "Gather": 1, "Gemm": 7, "Greater": 7, "Identity": 1,
    "LeakyRelu": 6, "Log": 6, "Max": 8, "Min": 8, "Mul": 7, "Neg": 6, "Relu": 6,
    "Reshape": 5, "Selu": 6, "Softmax": 1, "Softplus": 1, "Sub": 7,
    "Tanh": 6, "Where": 9,
}  # fmt: skip

# Constants of fastmlp's activations (csrc/elementwise.h).
_LEAKY_SLOPE = 0.01
_SELU_LAMBDA = 1.0507009873554805
_SELU_ALPHA = 1.6732632423543772
_INV_SQRT2 = 0.70710678118654752440

# erfc(w) = t * exp(-w^2 + F(y)) for w >= 0, t = 2 / (2 + w), y = 2t - 1, where F
# is the Chebyshev series below (c0 / 2 + sum c_k T_k(y); the coefficients of
# Numerical Recipes' erfccheb, recomputed at 50 digits): within 1e-17 of F, so
# erfc within a few ulps once exp(-w^2) is split as below. onnxruntime has no
# float64 Erf, and 1 + erf(x) would lose erfc's small values to cancellation.
_ERFC_CHEBYSHEV = (
    -1.3026537197817094, 0.6419697923564902, 0.019476473204185836,
    -0.009561514786808632, -0.0009465953444820369, 0.00036683949785276145,
    4.252332480690777e-05, -2.0278578112534242e-05, -1.6242900046470256e-06,
    1.3036558355805232e-06, 1.5626441722066142e-08, -8.523809591492654e-08,
    6.5290544390988515e-09, 5.059343495551469e-09, -9.91364156493033e-10,
    -2.273651222931836e-10, 9.646791102015527e-11, 2.3940380830391146e-12,
    -6.886027526497553e-12, 8.944879273090725e-13, 3.130921399342958e-13,
    -1.1270822361367252e-13, 3.810905255189232e-16, 7.106097613609237e-15,
    -1.5230282014571043e-15, -9.457494571291233e-17, 1.210237189224279e-16,
    -2.816663087747177e-17,
)  # fmt: skip
_ERFC_ZERO_FROM = 30.0  # erfc(w) is 0 in float64 from w = 27.3 on


class _Graph:
    """Adds nodes and initializers, in one float dtype, to skl2onnx's container."""

    def __init__(self, scope, container, dtype):
        from skl2onnx.proto import onnx_proto

        self.scope, self.container, self.dtype = scope, container, np.dtype(dtype)
        self.proto = onnx_proto.TensorProto
        self._constants = {}

    def name(self, prefix):
        return self.scope.get_unique_variable_name(prefix)

    def op(self, op_type, *inputs, output=None, **attrs):
        """The output of a new node (``output`` if given)."""
        output = output or self.name(op_type.lower())
        name = self.scope.get_unique_operator_name(op_type)
        self.container.add_node(op_type, list(inputs), output, name=name,
                                op_version=_OP_VERSIONS[op_type], **attrs)  # fmt: skip
        return output

    def const(self, value):
        """An initializer holding ``value`` in the graph's dtype (int64 for integer
        arrays, strings for string arrays)."""
        value = np.asarray(value)
        if value.dtype.kind == "f":
            value = value.astype(self.dtype)
        key = (value.dtype.str, value.shape, value.tobytes())
        if key not in self._constants:
            name = self.name("const")
            if value.dtype.kind == "U":
                proto, content = (
                    self.proto.STRING,
                    [s.encode("utf-8") for s in value.ravel()],
                )
            else:
                proto = {"f4": self.proto.FLOAT, "f8": self.proto.DOUBLE,
                         "i8": self.proto.INT64}[value.dtype.str[1:]]  # fmt: skip
                content = value.ravel()
            self.container.add_initializer(name, proto, list(value.shape), content)
            self._constants[key] = name
        return self._constants[key]


class _Opset:
    """A stand-in for _Graph that builds nothing and records the highest operator
    version asked for: the opset a piece of the graph needs."""

    def __init__(self, dtype):
        from skl2onnx.proto import onnx_proto

        self.dtype, self.proto = np.dtype(dtype), onnx_proto.TensorProto
        self.needed = 1

    def op(self, op_type, *inputs, output=None, **attrs):
        self.needed = max(self.needed, _OP_VERSIONS[op_type])
        return op_type

    def const(self, value):
        return "const"


def _erfc(g, w):
    """erfc(w) for w >= 0 in float64 (see _ERFC_CHEBYSHEV)."""
    w = g.op("Min", w, g.const(_ERFC_ZERO_FROM))
    t = g.op("Div", g.const(2.0), g.op("Add", w, g.const(2.0)))
    ty = g.op("Sub", g.op("Mul", t, g.const(4.0)), g.const(2.0))
    # Clenshaw's recurrence d <- ty d - dd + c_j, from the last coefficient down.
    d, dd = g.const(_ERFC_CHEBYSHEV[-1]), g.const(0.0)
    for c in _ERFC_CHEBYSHEV[-2:0:-1]:
        d, dd = g.op("Add", g.op("Sub", g.op("Mul", ty, d), dd), g.const(c)), d
    total = g.op("Add", g.op("Mul", ty, d), g.const(_ERFC_CHEBYSHEV[0]))
    series = g.op("Sub", g.op("Mul", total, g.const(0.5)), dd)
    # exp(-w^2) = exp(-h^2) exp(-(w - h)(w + h)) with h = w rounded to float32, whose
    # square is exact in float64: no rounding of w^2 magnified by exp.
    h = g.op("Cast", g.op("Cast", w, to=g.proto.FLOAT), to=g.proto.DOUBLE)
    rest = g.op("Mul", g.op("Sub", w, h), g.op("Add", w, h))
    big = g.op("Exp", g.op("Neg", g.op("Mul", h, h)))
    return g.op("Mul", g.op("Mul", t, big), g.op("Exp", g.op("Sub", series, rest)))


def _activation(g, name, x):
    """The node computing fastmlp's activation ``name`` of x (x for identity).

    The logistic function is 1 / (1 + exp(-x)) as in fastmlp: onnxruntime's
    Sigmoid is accurate only to an absolute 1e-7 (float32) / 2e-16 (float64),
    which loses the small probabilities. LeakyRelu and Selu take their constants
    as float attributes, which are fastmlp's float32 values; in float64 they, Elu
    and Softplus (run by onnxruntime in float64 only from opset 18 on) are built
    from operators on float64 constants."""
    double = g.dtype == np.float64
    if name == "identity":
        return x
    if name in ("tanh", "relu", "exp"):
        return g.op(name.capitalize(), x)
    if name == "softmax":
        return g.op("Softmax", x, axis=1)
    if name in ("logistic", "silu"):  # 1 / (1 + exp(-x)), x / (1 + exp(-x))
        denominator = g.op("Add", g.op("Exp", g.op("Neg", x)), g.const(1.0))
        return g.op("Div", g.const(1.0) if name == "logistic" else x, denominator)
    if name == "leaky_relu":
        if double:  # max(x, 0.01 x): x where x > 0, 0.01 x elsewhere
            return g.op("Max", x, g.op("Mul", x, g.const(_LEAKY_SLOPE)))
        return g.op("LeakyRelu", x, alpha=_LEAKY_SLOPE)
    if name in ("elu", "selu") and double:
        # exp(min(x, 0)) - 1 is 0 where x > 0 and elu(x) elsewhere
        negative = g.op("Sub", g.op("Exp", g.op("Min", x, g.const(0.0))), g.const(1.0))
        if name == "elu":
            return g.op("Add", negative, g.op("Relu", x))
        scaled = g.op("Mul", negative, g.const(_SELU_ALPHA))
        return g.op("Mul", g.op("Add", g.op("Relu", x), scaled), g.const(_SELU_LAMBDA))
    if name == "elu":
        return g.op("Elu", x, alpha=1.0)
    if name == "selu":
        return g.op("Selu", x, alpha=_SELU_ALPHA, gamma=_SELU_LAMBDA)
    if name == "softplus":
        if double:  # max(x, 0) + log1p(exp(-|x|))
            tail = _log1p(g, g.op("Exp", g.op("Neg", g.op("Abs", x))))
            return g.op("Add", g.op("Relu", x), tail)
        return g.op("Softplus", x)
    if name == "gelu":  # 0.5 x erfc(-x / sqrt(2)) = 0.5 x (1 + erf(x / sqrt(2)))
        half = g.op("Mul", x, g.const(0.5))
        if double:
            c = _erfc(g, g.op("Mul", g.op("Abs", x), g.const(_INV_SQRT2)))
            positive = g.op("Greater", x, g.const(0.0))
            return g.op(
                "Mul", half, g.op("Where", positive, g.op("Sub", g.const(2.0), c), c)
            )
        erf = g.op("Erf", g.op("Mul", x, g.const(_INV_SQRT2)))
        return g.op("Mul", half, g.op("Add", erf, g.const(1.0)))
    if name == "gaussian":
        return g.op("Exp", g.op("Neg", g.op("Mul", x, x)))
    raise ValueError(f"fastmlp has no activation {name!r} to export to ONNX.")


def _log1p(g, u):
    """log(1 + u) for u >= 0 without losing a small u: log(v) u / (v - 1) with
    v = 1 + u (the rounding of v cancels), u where v rounds to 1."""
    v = g.op("Add", u, g.const(1.0))
    step = g.op("Sub", v, g.const(1.0))
    ratio = g.op("Mul", g.op("Log", v), g.op("Div", u, step))
    return g.op("Where", g.op("Greater", step, g.const(0.0)), ratio, u)


def _layer_activations(est):
    return est._hidden_activations(len(est.coefs_) - 1) + [est.out_activation_]


def _network(g, est, x, activation=_activation):
    """The output layer's activations: the network's forward pass on x."""
    for coef, intercept, act in zip(est.coefs_, est.intercepts_, _layer_activations(est)):
        x = activation(g, act, g.op("Gemm", x, g.const(coef), g.const(intercept)))
    return x


def _required_opset(est, dtype):
    """The lowest ONNX opset (default domain) of the graph exporting ``est`` in
    ``dtype``, and what needs it (an activation, or the layers).

    Parameters
    ----------
    est : fastmlp.MLPClassifier or fastmlp.MLPRegressor
        A fitted estimator.
    dtype : numpy dtype
        The graph's dtype, np.float32 or np.float64.

    Returns
    -------
    opset : int
        The opset.
    what : str
        ``"activation 'gelu'"`` or ``"out_activation 'tanh'"`` for an
        activation, ``"the layers"`` otherwise.
    """
    layers = _Opset(dtype)  # the graph without its activations
    _outputs(layers, est, "x", ("label", "scores", "class_labels"), np.arange(2),
             activation=lambda g, name, x: x)  # fmt: skip
    needed, what = layers.needed, "the layers"
    acts = _layer_activations(est)
    for i, act in enumerate(acts):
        part = _Opset(dtype)
        _activation(part, act, "x")
        if part.needed > needed:
            option = "out_activation" if i == len(acts) - 1 else "activation"
            needed, what = part.needed, f"{option} {act!r}"
    return needed, what


def _outputs(g, est, x, outputs, classes, activation=_activation):
    """The nodes from the input x to the operator's outputs (names)."""
    out = _network(g, est, x, activation)
    if not isinstance(est, MLPClassifier):
        g.op("Identity", out, output=outputs[0])
        return
    if len(outputs) > 2:  # output_class_labels
        g.op("Identity", g.const(classes), output=outputs[2])
    log_loss = est.loss == "log_loss"
    y_type = est._label_binarizer.y_type_
    if log_loss and est.n_outputs_ == 1:  # binary: [1 - p, p]
        g.op("Concat", g.op("Sub", g.const(1.0), out), out, output=outputs[1], axis=1)
    else:  # probabilities, or the hinge losses' decision scores
        g.op("Identity", out, output=outputs[1])
    if y_type == "multiclass":  # the first of equal maxima, as numpy.argmax
        index = g.op("ArgMax", out, axis=1, keepdims=0)
    else:  # the label where the probability is above 0.5, or the margin above 0
        multilabel = y_type == "multilabel-indicator"
        above = g.op("Greater", out, g.const(0.5 if log_loss else 0.0))
        index = g.op("Cast", above, output=outputs[0] if multilabel else None,
                     to=g.proto.INT64)  # fmt: skip
        if multilabel:  # the indicators are the labels
            return
        index = g.op("Reshape", index, g.const(np.array([-1], dtype=np.int64)))
    g.op("Gather", g.const(classes), index, output=outputs[0], axis=0)


def _label_classes(scope, est):
    """The labels the classifier outputs: an int64 array (integer, boolean or
    float classes, which scikit-learn accepts integral only; the class indices with
    option ``nocl``) or a str array."""
    from skl2onnx.common.utils_classifier import get_label_classes

    classes = np.asarray(get_label_classes(scope, est))
    if classes.dtype.kind in "biuf":
        return classes.astype(np.int64)
    return np.array([str(c) for c in classes])


def _graph_dtype(variable):
    """The dtype of the graph on input ``variable``: float64 for float64 input,
    float32 for float32 and integer input."""
    from skl2onnx.common.data_types import DoubleTensorType

    return np.float64 if isinstance(variable.type, DoubleTensorType) else np.float32


def _check_opset(est, dtype, container):
    target = container.target_opset_onnx
    opset, what = _required_opset(est, dtype)
    if target is not None and target < opset:
        raise ValueError(
            f"This {type(est).__name__} cannot be exported to ONNX opset {target}: "
            f"its {np.dtype(dtype).name} graph needs opset {opset} or more (for "
            f"{what}). Pass target_opset={opset} or more."
        )


def _convert(scope, operator, container):
    """skl2onnx converter of fastmlp.MLPClassifier and MLPRegressor: the network's
    graph, then the classifier's labels."""
    from skl2onnx.common.data_types import guess_proto_type

    est = operator.raw_operator
    dtype = _graph_dtype(operator.inputs[0])
    _check_opset(est, dtype, container)
    g = _Graph(scope, container, dtype)
    x = operator.inputs[0].full_name
    if guess_proto_type(operator.inputs[0].type) == g.proto.INT64:  # a float32 graph
        x = g.op("Cast", x, to=g.proto.FLOAT)
    classes = _label_classes(scope, est) if isinstance(est, MLPClassifier) else None
    _outputs(g, est, x, [v.full_name for v in operator.outputs], classes)


def _check_input(operator):
    """The fitted estimator, the number of rows and the type of the real-valued
    outputs (a skl2onnx tensor type) of a shape calculator's operator."""
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
    )
    from skl2onnx.common.utils import check_input_and_output_types

    check_input_and_output_types(
        operator, good_input_types=[FloatTensorType, DoubleTensorType, Int64TensorType]
    )
    check_is_fitted(operator.raw_operator, "coefs_")
    double = _graph_dtype(operator.inputs[0]) == np.float64
    real = DoubleTensorType if double else FloatTensorType
    return operator.raw_operator, operator.inputs[0].get_first_dimension(), real


def _classifier_shape(operator):
    """skl2onnx shape calculator of fastmlp.MLPClassifier: labels of shape [N]
    (int64 or string; [N, n_labels] int64 indicators for multilabel targets), the
    probabilities or decision scores [N, n_columns], the class labels if asked."""
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    est, n, real = _check_input(operator)
    classes = _label_classes(operator.scope_inst, est)
    label_type = StringTensorType if classes.dtype.kind == "U" else Int64TensorType
    if est._label_binarizer.y_type_ == "multilabel-indicator":
        operator.outputs[0].type = Int64TensorType([n, len(est.classes_)])
    else:
        operator.outputs[0].type = label_type([n])
    columns = 2 if est.loss == "log_loss" and est.n_outputs_ == 1 else est.n_outputs_
    operator.outputs[1].type = real([n, int(columns)])
    if len(operator.outputs) > 2:
        operator.outputs[2].type = label_type([len(classes)])


def _regressor_shape(operator):
    """skl2onnx shape calculator of fastmlp.MLPRegressor: [N, n_outputs_]."""
    est, n, real = _check_input(operator)
    operator.outputs[0].type = real([n, int(est.n_outputs_)])


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    """skl2onnx parser of fastmlp.MLPClassifier: skl2onnx's classifier outputs
    (``label``, ``probabilities``, options ``zipmap`` and ``output_class_labels``)
    for loss='log_loss'; ``label`` and ``scores`` (the decision function; option
    ``zipmap`` does not apply) for the hinge losses, which give no probabilities."""
    from skl2onnx._parse import _parse_sklearn_classifier
    from skl2onnx.common.data_types import Int64TensorType, guess_tensor_type

    if model.loss == "log_loss":
        zipmap = scope.get_options(model, dict(zipmap=True))["zipmap"]
        if zipmap is True and _graph_dtype(inputs[0]) == np.float64:
            raise ValueError(
                "ONNX's ZipMap (option zipmap=True, the default) takes float32 "
                "probabilities only; with float64 input pass options={'zipmap': False} "
                "(a tensor) or {'zipmap': 'columns'} (one output per class)."
            )
        return _parse_sklearn_classifier(
            scope, model, inputs, custom_parsers=custom_parsers
        )
    operator = scope.declare_local_operator("FastmlpMLPClassifier", model)
    operator.inputs = inputs
    outputs = ["label", "scores"]
    if scope.get_options(model, dict(output_class_labels=False))["output_class_labels"]:
        outputs.append("class_labels")
    for name in outputs:
        kind = Int64TensorType() if name != "scores" else guess_tensor_type(inputs[0].type)
        operator.outputs.append(scope.declare_local_variable(name, kind))
    return operator.outputs


def register_onnx_converters():
    """Register fastmlp's estimators with skl2onnx.

    After this call ``skl2onnx.to_onnx(estimator, X[:1])`` converts a fitted
    ``fastmlp.MLPClassifier`` / ``MLPRegressor``, alone or inside a ``Pipeline``,
    whatever its activations (one for all hidden layers or a list), output
    activation and loss. The graph computes the network in the input's dtype:
    float64 for float64 input (``DoubleTensorType``), float32 otherwise. The
    model declares the lowest opset that expresses it (7; 8 for ``leaky_relu``,
    ``elu`` and ``selu`` in float64; 9 for ``gelu``, and ``softplus`` in
    float64), or what the other steps of a pipeline need; a lower
    ``target_opset`` raises a ``ValueError`` naming the activation that needs
    more. Calling it again is harmless.

    The classifier's outputs are those of skl2onnx's classifiers: ``label``
    (int64 for integer classes, strings for string classes; int64 indicators of
    shape ``(n_samples, n_labels)`` for multilabel targets) and
    ``probabilities`` (``predict_proba``), with options ``zipmap`` (a list of
    dictionaries by default, float32 only; ``False`` for the tensor, or
    ``"columns"``), ``nocl`` and ``output_class_labels``. With ``loss='hinge'`` or
    ``'squared_hinge'`` the second output is ``scores``, the decision function
    of shape ``(n_samples, n_outputs_)``, and option ``zipmap`` does not apply.
    The regressor's single output ``variable`` has shape
    ``(n_samples, n_outputs_)``.

    Returns
    -------
    None
        The converters are registered with skl2onnx as a side effect.

    Raises
    ------
    ImportError
        If skl2onnx is not installed (``pip install fastmlp[onnx]``).

    See Also
    --------
    MLPClassifier.to_sklearn : The same network as scikit-learn's own estimator.
    MLPRegressor.to_sklearn : The same network as scikit-learn's own estimator.

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
        _convert,
        parser=_parse_classifier,
        options={
            "zipmap": [True, False, "columns"],
            "output_class_labels": [False, True],
            "nocl": [True, False],
        },
    )
    update_registered_converter(
        MLPRegressor, "FastmlpMLPRegressor", _regressor_shape, _convert
    )

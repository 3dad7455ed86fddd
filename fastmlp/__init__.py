"""fastmlp: a drop-in, faster MLPClassifier / MLPRegressor for scikit-learn.

Estimators
    `MLPClassifier`, `MLPRegressor`: scikit-learn's multi-layer perceptrons
    with the same parameters and results, trained in compiled code, and
    options beyond scikit-learn's (more activations, solvers and losses,
    dropout, an L1 share of the penalty, class weights, weight
    initializations, the validation loss curve, export to scikit-learn).
Tools
    `check_gradients` and its `GradientCheckResult`: numerical check of the
    training gradient. `LossCurveDisplay`: plot of the loss curves.
    `register_onnx_converters`: export to ONNX through skl2onnx.
Warnings
    `InconsistentVersionWarning`: a model unpickled with another fastmlp
    version than the one that saved it.
"""

from ._display import LossCurveDisplay
from ._gradient_check import GradientCheckResult, check_gradients
from ._multilayer_perceptron import MLPClassifier, MLPRegressor
from ._onnx import register_onnx_converters
from ._version import __version__
from .exceptions import InconsistentVersionWarning

__all__ = [
    "GradientCheckResult",
    "InconsistentVersionWarning",
    "LossCurveDisplay",
    "MLPClassifier",
    "MLPRegressor",
    "__version__",
    "check_gradients",
    "register_onnx_converters",
]

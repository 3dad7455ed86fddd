"""fastmlp: a drop-in, faster MLPClassifier / MLPRegressor for scikit-learn."""

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

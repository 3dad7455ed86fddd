"""fastmlp: a drop-in, faster MLPClassifier / MLPRegressor for scikit-learn."""

from ._gradient_check import GradientCheckResult, check_gradients
from ._multilayer_perceptron import MLPClassifier, MLPRegressor
from ._version import __version__
from .exceptions import InconsistentVersionWarning

__all__ = [
    "MLPClassifier",
    "MLPRegressor",
    "check_gradients",
    "GradientCheckResult",
    "InconsistentVersionWarning",
    "__version__",
]

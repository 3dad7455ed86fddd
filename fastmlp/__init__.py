"""fastmlp: a drop-in, faster MLPClassifier / MLPRegressor for scikit-learn."""

from ._multilayer_perceptron import MLPClassifier, MLPRegressor

__version__ = "0.1.0"

__all__ = ["MLPClassifier", "MLPRegressor", "__version__"]

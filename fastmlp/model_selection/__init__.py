"""Hyper-parameter searches and cross-validation whose fits train together.

``GridSearchCV``, ``RandomizedSearchCV``, ``cross_validate`` and
``cross_val_score`` take scikit-learn's parameters and give its results; for
a fastmlp model, or a Pipeline ending in one, the fits of a call are trained
together (see the user guide's "Searching hyper-parameters fast").
"""

from ._search import GridSearchCV, RandomizedSearchCV
from ._validation import cross_val_score, cross_validate

__all__ = ["GridSearchCV", "RandomizedSearchCV", "cross_val_score", "cross_validate"]

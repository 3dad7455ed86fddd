"""Warnings and errors specific to fastmlp.

.. versionadded:: 0.1
"""

# scikit-learn's words for a fit that ends with non-finite weights; fastmlp's
# messages for a diverging run start with them, so code matching scikit-learn's
# message keeps working, and go on with what happened and what may help.
NON_FINITE_WEIGHTS = (
    "Solver produced non-finite parameter weights. The input data may contain large "
    "values and need to be preprocessed."
)


class InconsistentVersionWarning(UserWarning):
    """Warning raised when a model is unpickled with another fastmlp version.

    A fitted estimator records the fastmlp version that pickled it; loading
    it with a different version warns, since the model may still work but
    nothing guarantees it: refit it, or load it with the version it was
    saved with. As scikit-learn's own
    ``sklearn.exceptions.InconsistentVersionWarning``, it can be turned into
    an error with ``warnings.simplefilter("error",
    InconsistentVersionWarning)``.

    .. versionadded:: 0.1

    Parameters
    ----------
    estimator_name : str
        Class name of the unpickled estimator.
    original_version : str
        The fastmlp version that pickled the estimator ('pre-0.1' when the
        pickle records none).
    current_version : str
        The fastmlp version that is unpickling it.

    See Also
    --------
    sklearn.exceptions.InconsistentVersionWarning : Scikit-learn's warning of
        the same kind, about scikit-learn's version.

    Examples
    --------
    >>> from fastmlp import InconsistentVersionWarning
    >>> warning = InconsistentVersionWarning("MLPClassifier", "0.0.9", "0.1.0")
    >>> warning.original_version, warning.current_version
    ('0.0.9', '0.1.0')
    >>> issubclass(InconsistentVersionWarning, UserWarning)
    True
    """

    def __init__(self, estimator_name, original_version, current_version):
        self.estimator_name = estimator_name
        self.original_version = original_version
        self.current_version = current_version

    def __str__(self):
        return (
            f"Trying to unpickle estimator {self.estimator_name} from fastmlp version "
            f"{self.original_version} when using version {self.current_version}. This "
            "might lead to breaking code or invalid results; refit the model or load "
            "it with the version it was saved with."
        )

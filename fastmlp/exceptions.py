"""Warnings and errors specific to fastmlp."""

# scikit-learn's words for a fit that ends with non-finite weights; fastmlp's
# messages for a diverging run start with them, so code matching scikit-learn's
# message keeps working, and go on with what happened and what may help.
NON_FINITE_WEIGHTS = (
    "Solver produced non-finite parameter weights. The input data may contain large "
    "values and need to be preprocessed."
)


class InconsistentVersionWarning(UserWarning):
    """A model is unpickled with another fastmlp version than it was saved with.

    The model may still work, but nothing guarantees it: refit it, or load it
    with the version it was saved with.

    Parameters
    ----------
    estimator_name : str
        Class name of the unpickled estimator.
    original_version : str
        fastmlp version that pickled the estimator.
    current_version : str
        fastmlp version that is unpickling it.
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

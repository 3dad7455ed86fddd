"""Settings of the example gallery that conf.py names by their import path.

sphinx-gallery takes these as ``"module.name"`` strings, so that the Sphinx
environment stays picklable.
"""

import os

# The gallery's order: the getting-started comparisons first, then what fastmlp adds,
# then scaling out. Scripts not listed come last, by file name.
ORDER = [
    "digits_classification.py",
    "breast_cancer.py",
    "diabetes_regression.py",
    "diamonds_regression.py",
    "speed_vs_sklearn.py",
    "loss_curves_under_over_fitting.py",
    "activation_decision_boundaries.py",
    "optimizer_comparison.py",
    "scaling_out_dask.py",
]


def quick():
    """Whether the gallery runs the examples in their ``--quick`` form
    (``FASTMLP_DOC_QUICK=1``, set by ``make html-quick`` and the doc-build test)."""
    return os.environ.get("FASTMLP_DOC_QUICK", "") not in ("", "0")


def reset_argv(gallery_conf, script_vars):
    """The command-line arguments each example runs with."""
    return ["--quick"] if quick() else []


def example_order(filename):
    """Sort key of an example's file name within the gallery."""
    name = os.path.basename(filename)
    if name in ORDER:
        return (0, ORDER.index(name), name)
    return (1, 0, name)

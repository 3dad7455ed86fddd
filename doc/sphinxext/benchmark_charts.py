"""The benchmark charts, drawn by matplotlib when the site is built from
doc/_data/benchmark.csv (``python benchmarks/compare.py`` writes its rows): fit time
per epoch on the performance page, fit time and prediction rate on the benchmarks
page (``.. plot::``, working directory doc/).
"""

import csv
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

CSV = Path(__file__).resolve().parent.parent / "_data" / "benchmark.csv"
LIBRARIES = ["fastmlp", "scikit-learn", "PyTorch"]


def _rows():
    with open(CSV, newline="") as f:
        return [r for r in csv.DictReader(f) if r["s/epoch"]]


def _value(rows, config, library, column):
    for r in rows:
        if r["configuration"] == config and r["library"] == library:
            text = r[column]
            scale = {"k": 1e3, "M": 1e6}.get(text[-1:], 1.0)
            return float(text.rstrip("kM")) * scale
    return np.nan


# The configurations of benchmark.csv as the performance page's table names them.
LABELS = {
    "20000x20 (32,32) b32 adam 3 ep f64": "small network (32, 32)\n20000 x 20, float64",
    "20000x20 (32,32) b32 adam 3 ep f32": "small network (32, 32)\n20000 x 20, float32",
    "60000x784 (100,) b200 adam 2 ep f64": "MNIST-sized (100,)\n60000 x 784, float64",
    "60000x784 (100,) b200 adam 2 ep f32": "MNIST-sized (100,)\n60000 x 784, float32",
    "60000x784 (256,256) b256 adam 2 ep f32": "wide (256, 256)\n60000 x 784, float32",
    "20000x50 (64,) lbfgs 50 it f64": "L-BFGS (64,)\n20000 x 50, float64",
    "20000x5000 CSR 1% (100,) b200 adam 3 ep f64": "sparse (100,)\n20000 x 5000, float64",
    "60000x40 (100,) defaults 3 ep f64": "MLPClassifier() defaults\n60000 x 40, float64",
    "60000x40 (100,) defaults 3 ep f32": "MLPClassifier() defaults\n60000 x 40, float32",
}


def _short(config):
    if config in LABELS:
        return LABELS[config]
    if config.startswith("GridSearchCV"):
        return "GridSearchCV 4 x 3 folds\n8000 x 20, float64"
    if config.startswith("MLPRegressor"):
        return "regressor (64, 32), early stop\n40000 x 25, float64"
    return (
        config.replace(" defaults", "\ndefaults")
        .replace(" adam", "\nadam")
        .replace(" lbfgs", "\nlbfgs")
    )


def _bars(column, annotate, xlabel, title, height):
    rows = _rows()
    configs = []
    for r in rows:
        if r["configuration"] not in configs and not r["configuration"].startswith(
            "predict"
        ):
            configs.append(r["configuration"])
    fig, ax = plt.subplots(figsize=(7, height))
    y = np.arange(len(configs))
    h = 0.27
    for i, library in enumerate(LIBRARIES):
        ax.barh(
            y + (i - 1) * h,
            [_value(rows, c, library, column) for c in configs],
            h,
            label=library,
            color=f"C{i}",
        )
    if annotate:
        for yi, c in zip(y, configs):
            r = next(
                r for r in rows if r["configuration"] == c and r["library"] == "fastmlp"
            )
            ax.annotate(
                f"{r['vs sklearn']} faster",
                (_value(rows, c, "scikit-learn", column), yi),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=10,
            )
    ax.set_yticks(y, [_short(c) for c in configs], fontsize=10)
    ax.invert_yaxis()
    ax.set_xscale("log")
    if annotate:  # room for the annotations right of the longest bars
        ax.set_xlim(right=ax.get_xlim()[1] * 8)
    ax.legend(loc="lower right", fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return fig


def fit_chart():
    """Seconds per epoch of every configuration, for the three libraries."""
    return _bars(
        "s/epoch",
        True,
        "seconds per epoch (L-BFGS: per iteration); lower is better",
        "fit: 2 cores, 2 threads per library",
        7.5,
    )


def predict_chart():
    """predict_proba's rows per second with the fitted models."""
    return _bars(
        "predict rows/s",
        False,
        "predict_proba: rows per second; higher is better",
        "prediction: the same fitted models",
        7,
    )

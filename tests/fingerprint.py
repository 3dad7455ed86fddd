"""Fingerprints of fitted models: proof that a change of code left every number alone.

Fits a fixed set of configurations (every solver, activation, loss, both dtypes, dense
and sparse input, early stopping, partial_fit, warm_start, dropout, class weights,
given initial weights, teams of 1, 2 and 3 threads) and prints, per configuration, a
digest of the exact bytes of coefs_, intercepts_, loss_curve_ (or loss_),
validation_scores_, n_iter_ and the predictions on the training data. Two runs of the
same code print the same lines; a change that moves any fitted number by one ulp
changes a line. Run by hand from the repository root (a few seconds):

    python tests/fingerprint.py --save before.txt     # before a change
    python tests/fingerprint.py --compare before.txt  # after it: lists what differs
"""

import argparse
import hashlib
import sys
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler

import fastmlp
from fastmlp import MLPClassifier, MLPRegressor, _threads


def _data(task, n=240, p=10, seed=0):
    if task == "clf":
        X, y = make_classification(
            n_samples=n,
            n_features=p,
            n_informative=6,
            n_classes=3,
            n_clusters_per_class=1,
            random_state=seed,
        )
    elif task == "bin":
        X, y = make_classification(
            n_samples=n, n_features=p, n_informative=5, random_state=seed, weights=[0.7]
        )
    elif task == "multilabel":
        X, y = make_classification(
            n_samples=n,
            n_features=p,
            n_informative=6,
            n_classes=3,
            n_clusters_per_class=1,
            random_state=seed,
        )
        y = np.stack([y == 0, y != 1, X[:, 0] > 0], axis=1).astype(int)
    elif task == "poisson":
        rng = np.random.RandomState(seed)
        X = rng.normal(size=(n, p))
        y = rng.poisson(np.exp(0.3 * X[:, 0] - 0.2 * X[:, 1])).astype(float)
    else:
        X, y = make_regression(
            n_samples=n,
            n_features=p,
            n_informative=6,
            n_targets=2 if task == "reg2" else 1,
            noise=3.0,
            random_state=seed,
        )
        y = (y - y.mean(axis=0)) / y.std(axis=0)
    return StandardScaler().fit_transform(X), y


def _sparse(X):
    X = X.copy()
    X[np.abs(X) < 0.7] = 0.0
    return sp.csr_matrix(X)


C, R = MLPClassifier, MLPRegressor
SMALL = dict(hidden_layer_sizes=(12, 8), max_iter=15, random_state=0)
# (name, estimator class, task, parameters, options); options: dtype, sparse,
# mode ("fit", "partial_fit", "warm_start"), threads, sample_weight, coef_init
CONFIGS = [
    ("clf-adam-relu", C, "clf", dict(SMALL), {}),
    (
        "clf-sgd-nesterov-tanh",
        C,
        "clf",
        dict(SMALL, solver="sgd", activation="tanh", learning_rate_init=0.05),
        {},
    ),
    (
        "clf-sgd-invscaling-logistic",
        C,
        "bin",
        dict(
            SMALL,
            solver="sgd",
            activation="logistic",
            learning_rate="invscaling",
            learning_rate_init=0.2,
        ),
        {},
    ),
    (
        "clf-sgd-adaptive",
        C,
        "clf",
        dict(SMALL, solver="sgd", learning_rate="adaptive", tol=10.0, n_iter_no_change=1),
        {},
    ),
    (
        "clf-lbfgs-identity",
        C,
        "clf",
        dict(SMALL, solver="lbfgs", activation="identity"),
        {},
    ),
    ("clf-lbfgs-f32", C, "clf", dict(SMALL, solver="lbfgs"), {"dtype": np.float32}),
    ("clf-adam-f32", C, "clf", dict(SMALL), {"dtype": np.float32}),
    ("clf-adam-sparse", C, "clf", dict(SMALL), {"sparse": True}),
    (
        "clf-lbfgs-sparse-f32",
        C,
        "bin",
        dict(SMALL, solver="lbfgs"),
        {"sparse": True, "dtype": np.float32},
    ),
    (
        "clf-adam-early_stopping",
        C,
        "bin",
        dict(SMALL, max_iter=60, early_stopping=True, n_iter_no_change=3),
        {},
    ),
    (
        "clf-sgd-early_stopping-sw",
        C,
        "clf",
        dict(
            SMALL, solver="sgd", max_iter=60, early_stopping=True, validation_fraction=0.2
        ),
        {"sample_weight": True},
    ),
    ("clf-adam-partial_fit", C, "clf", dict(SMALL), {"mode": "partial_fit"}),
    (
        "clf-sgd-warm_start",
        C,
        "bin",
        dict(SMALL, solver="sgd", warm_start=True),
        {"mode": "warm_start"},
    ),
    ("clf-multilabel-adam", C, "multilabel", dict(SMALL), {}),
    (
        "clf-hinge-adagrad-leaky_relu",
        C,
        "clf",
        dict(
            SMALL,
            solver="adagrad",
            loss="hinge",
            activation="leaky_relu",
            learning_rate_init=0.01,
        ),
        {},
    ),
    (
        "clf-squared_hinge-rmsprop-elu",
        C,
        "bin",
        dict(SMALL, solver="rmsprop", loss="squared_hinge", activation="elu"),
        {},
    ),
    (
        "clf-adamw-gelu-dropout",
        C,
        "clf",
        dict(SMALL, solver="adamw", activation="gelu", dropout=[0.3, 0.1]),
        {},
    ),
    (
        "clf-adadelta-selu-lecun",
        C,
        "clf",
        dict(
            SMALL,
            solver="adadelta",
            activation="selu",
            weight_init="lecun_normal",
            learning_rate_init=1.0,
        ),
        {},
    ),
    (
        "clf-adam-class_weight-l1",
        C,
        "bin",
        dict(SMALL, class_weight="balanced", l1_ratio=0.5, alpha=0.01),
        {},
    ),
    ("clf-adam-coef_init", C, "clf", dict(SMALL), {"coef_init": True}),
    ("clf-adam-team2", C, "clf", dict(SMALL, batch_size=100), {"threads": 2}),
    ("clf-lbfgs-team3", C, "clf", dict(SMALL, solver="lbfgs"), {"threads": 3}),
    ("reg-adam-relu", R, "reg", dict(SMALL), {}),
    (
        "reg-sgd-momentum",
        R,
        "reg",
        dict(SMALL, solver="sgd", nesterovs_momentum=False, learning_rate_init=0.01),
        {},
    ),
    ("reg-lbfgs-2out", R, "reg2", dict(SMALL, solver="lbfgs"), {}),
    ("reg-poisson-adam", R, "poisson", dict(SMALL, loss="poisson"), {}),
    (
        "reg-huber-softplus-he",
        R,
        "reg",
        dict(
            SMALL,
            loss="huber",
            huber_delta=0.5,
            activation="softplus",
            weight_init="he_uniform",
        ),
        {},
    ),
    (
        "reg-absolute-silu-glorot_normal",
        R,
        "reg",
        dict(SMALL, loss="absolute_error", activation="silu", weight_init="glorot_normal"),
        {},
    ),
    (
        "reg-gaussian-tanh-out",
        R,
        "reg",
        dict(SMALL, activation=["gaussian", "relu"], out_activation="tanh"),
        {},
    ),
    (
        "reg-he_normal-logistic-out",
        R,
        "reg",
        dict(SMALL, weight_init="he_normal", out_activation="logistic"),
        {},
    ),
    (
        "reg-adam-early_stopping-f32",
        R,
        "reg",
        dict(SMALL, max_iter=60, early_stopping=True, n_iter_no_change=3),
        {"dtype": np.float32},
    ),
    (
        "reg-sgd-sparse-sw",
        R,
        "reg",
        dict(SMALL, solver="sgd", learning_rate_init=0.01),
        {"sparse": True, "sample_weight": True},
    ),
    (
        "reg-rmsprop-partial_fit-f32",
        R,
        "reg",
        dict(SMALL, solver="rmsprop"),
        {"mode": "partial_fit", "dtype": np.float32},
    ),
    (
        "reg-adam-team2-dropout",
        R,
        "reg",
        dict(SMALL, batch_size=120, dropout=0.2),
        {"threads": 2},
    ),
]


def _digest(*arrays):
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def _fit(Est, task, params, options):
    X, y = _data(task)
    X = X.astype(options.get("dtype", np.float64))
    if options.get("sparse"):
        X = _sparse(X)
    sw = (
        np.random.RandomState(1).uniform(0.5, 2.0, len(y))
        if options.get("sample_weight")
        else None
    )
    est = Est(**params)
    mode = options.get("mode", "fit")
    if mode == "partial_fit":
        extra = {"classes": np.unique(y)} if Est is MLPClassifier else {}
        for chunk in np.array_split(np.arange(len(y)), 4):
            est.partial_fit(X[chunk], y[chunk], **extra)
            extra = {}
    elif options.get("coef_init"):
        rng = np.random.RandomState(3)
        units = [X.shape[1], *params["hidden_layer_sizes"], len(np.unique(y))]
        coefs = [rng.normal(scale=0.3, size=(a, b)) for a, b in zip(units, units[1:])]
        est.fit(X, y, coef_init=coefs, intercept_init=[np.zeros(b) for b in units[1:]])
    else:
        est.fit(X, y, sample_weight=sw)
        if mode == "warm_start":
            est.fit(X, y, sample_weight=sw)
    return est, X


def fingerprint(name, Est, task, params, options):
    threads = options.get("threads", 1)
    saved = _threads.team_size
    _threads.team_size = lambda rows, flops: threads
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est, X = _fit(Est, task, params, options)
    finally:
        _threads.team_size = saved
    curve = np.asarray(getattr(est, "loss_curve_", [est.loss_]), dtype=np.float64)
    scores = np.asarray(getattr(est, "validation_scores_", None) or [], dtype=np.float64)
    return (
        f"{name:34s} n_iter_={est.n_iter_:3d} "
        f"params={_digest(*est.coefs_, *est.intercepts_)} "
        f"curve={_digest(curve, scores)} predict={_digest(est.predict(X))}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--save", help="also write the lines to this file")
    parser.add_argument("--compare", help="compare with the lines saved in this file")
    args = parser.parse_args(argv)
    lines = [fingerprint(*config) for config in CONFIGS]
    print(f"fastmlp {fastmlp.__version__}, numpy {np.__version__}")
    for line in lines:
        print(line)
    if args.save:
        with open(args.save, "w") as fh:
            fh.write("\n".join(lines) + "\n")
    if args.compare:
        with open(args.compare) as fh:
            before = [line.rstrip("\n") for line in fh if line.strip()]
        changed = [(a, b) for a, b in zip(before, lines) if a != b]
        if len(before) != len(lines):
            print(f"\n{len(before)} configurations saved, {len(lines)} now")
        for a, b in changed:
            print(f"\nchanged:\n  before {a}\n  now    {b}")
        same = len(lines) - len(changed)
        print(f"\n{same} of {len(lines)} configurations bit-identical")
        return 1 if changed or len(before) != len(lines) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

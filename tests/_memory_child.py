"""Peak memory of fastmlp calls in a fresh process (run by tests/test_memory.py:
``python _memory_child.py '<json spec>'``; prints a JSON object of MiB figures).
Linux only: it reads /proc/self/status.

Each figure is the peak resident set size during the call minus the resident
set size just before it.  The peak is VmHWM of /proc/self/status, set back to
the current size before each call by writing 5 to /proc/self/clear_refs; where
that is refused, VmHWM is the peak since the process started and a figure an
upper bound of the call's own growth ("reset" says which).  Not getrusage's
ru_maxrss: Linux carries it over from the process that started this one (the
test run's, hundreds of MiB), so it would hide any growth below that size.
"""

import gc
import json
import sys
import warnings

import numpy as np
import scipy.sparse as sp

from fastmlp import MLPClassifier, MLPRegressor


def _status_mib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak():
    """Whether the peak could be set back to the current size."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


_RESET = []


def _growth(call):
    gc.collect()
    _RESET.append(_reset_peak())
    before = _status_mib("VmRSS")
    call()
    return _status_mib("VmHWM") - before


def _sparse(n, n_features, per_row=5):
    """CSR with `per_row` values a row, in distinct sorted columns."""
    rng = np.random.RandomState(0)
    stride = n_features // per_row
    indices = (rng.randint(0, stride, n)[:, None] + stride * np.arange(per_row)).ravel()
    X = sp.csr_matrix(
        (
            rng.randn(n * per_row),
            indices.astype(np.int32),
            np.arange(0, n * per_row + 1, per_row),
        ),
        shape=(n, n_features),
    )
    return X, rng.randint(0, 3, n)


def sparse(n, n_features):
    X, y = _sparse(n, n_features)
    for solver in ("adam", "sgd", "lbfgs"):  # load every code path
        MLPClassifier(hidden_layer_sizes=(32,), solver=solver, max_iter=1).fit(
            X[:500], y[:500]
        ).predict_proba(X[:500])
    gc.collect()
    out = {"dense_mib": n * n_features * 8 / 2**20}
    for solver in ("adam", "sgd", "lbfgs"):
        est = MLPClassifier(
            hidden_layer_sizes=(32,), solver=solver, max_iter=2, random_state=0
        )
        out[f"fit_{solver}"] = _growth(lambda: est.fit(X, y))
    clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=1, random_state=0)
    clf.fit(X[:1000], y[:1000])
    out["predict"] = _growth(lambda: clf.predict_proba(X))
    out["toarray"] = _growth(lambda: X.toarray())  # the control
    return out


def rows(n, hidden):
    rng = np.random.RandomState(0)
    X = rng.randn(n, 20)
    y = X[:, 0] - 2 * X[:, 1]
    est = MLPRegressor(
        hidden_layer_sizes=(hidden,), solver="lbfgs", max_iter=2, random_state=0
    ).fit(X[:1000], y[:1000])
    est.predict(X[:1000])
    gc.collect()
    out = {"predict": _growth(lambda: est.predict(X))}
    fit = MLPRegressor(
        hidden_layer_sizes=(hidden,), solver="lbfgs", max_iter=2, random_state=0
    )
    out["lbfgs"] = _growth(lambda: fit.fit(X, y))
    return out


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    spec = json.loads(sys.argv[1])
    kind = spec.pop("kind")
    figures = {"sparse": sparse, "rows": rows}[kind](**spec)
    figures["reset"] = float(all(_RESET))
    print(json.dumps(figures))

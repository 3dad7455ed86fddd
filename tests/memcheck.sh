#!/usr/bin/env bash
# Valgrind memcheck of fastmlp's compiled engine: fits of every solver and predictions.
#
# Runs a short Python script under `valgrind --tool=memcheck` that fits every solver
# (sgd, adam, lbfgs, and any other solver fastmlp offers) on dense and sparse data
# (float64 and float32; classifier, regressor, multi-output, poisson; short last
# mini-batch; several row chunks in prediction and in the L-BFGS objective; every
# other solver and lbfgs on a team of three threads) and
# predicts, then reports how many invalid reads / writes valgrind saw and whether any
# error has a fastmlp frame.
#
# Builds nothing: it checks the extension modules fastmlp imports right now. For the
# bounds-checked build, first run
#     FASTMLP_DEBUG_BUILD=1 python setup.py build_ext --inplace --force
#
# Usage:  tests/memcheck.sh [LOGFILE]          (PYTHON=... to choose the interpreter)
# Exit:   0  no invalid read/write and no error in a fastmlp frame
#         1  invalid reads/writes or fastmlp errors found (see the log)
#         2  valgrind missing or the script did not run to completion
# Takes a few minutes (importing numpy/scipy/scikit-learn under valgrind is slow).

set -u

PYTHON=${PYTHON:-python}
# the real interpreter, not a wrapper script (pyenv shims, venv launchers), so
# valgrind runs Python itself
PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)') || exit 2
LOG=${1:-${TMPDIR:-/tmp}/fastmlp-memcheck.$$.log}

if ! command -v valgrind >/dev/null 2>&1; then
    echo "memcheck: valgrind not found (apt-get install valgrind)" >&2
    exit 2
fi

SCRIPT=$(mktemp "${TMPDIR:-/tmp}/fastmlp-memcheck-XXXXXX.py")
SUPP=$(mktemp "${TMPDIR:-/tmp}/fastmlp-memcheck-XXXXXX.supp")
trap 'rm -f "$SCRIPT" "$SUPP"' EXIT

# Known false positive: glibc's dynamic loader reads 8 bytes at a time past the end
# of RPATH strings (strncmp in is_dst) when Python loads extension modules.
cat >"$SUPP" <<'SUPPEOF'
{
   glibc-ld.so-is_dst-strncmp-rpath
   Memcheck:Addr8
   fun:strncmp
   fun:is_dst
   ...
}
SUPPEOF

cat >"$SCRIPT" <<'PYEOF'
import warnings

import numpy as np
import scipy.sparse as sp

import fastmlp
import fastmlp._multilayer_perceptron as mlp
from fastmlp import MLPClassifier, MLPRegressor
from fastmlp._kernels import _engine

warnings.simplefilter("ignore")
print("fastmlp from", fastmlp.__file__)
print("engine from", _engine.__file__)

# several row chunks (of 64 rows) in prediction and in the L-BFGS objective
mlp._CHUNK_VALUES = 1

rng = np.random.RandomState(0)
n, p = 203, 9                     # 203 = 3 batches of 64 + a short one of 11
X = rng.randn(n, p)
X[rng.rand(n, p) < 0.6] = 0.0
XS = sp.csr_matrix(X)
XS[5] = 0.0                       # an all-zero row
XS.eliminate_zeros()
XC = sp.csc_matrix(X)
y_clf = rng.randint(0, 3, n)
y_bin = (X[:, 0] > 0).astype(int)
y_reg = X[:, 0] - 2 * X[:, 1]
y_multi = np.c_[y_reg, X[:, 2]]
y_poi = rng.poisson(1.0, n).astype(float)
sw = rng.uniform(0.5, 2.0, n)

# sgd, adam, lbfgs and any further solver this fastmlp offers
try:
    solvers = sorted(MLPRegressor._parameter_constraints["solver"][0].options)
except (KeyError, IndexError, AttributeError):
    solvers = ["sgd", "adam", "lbfgs"]
print("solvers:", solvers)

# every other solver, and lbfgs, on a team of 3 threads (uneven blocks of rows
# and columns; 4 chunks of the L-BFGS objective over 3 threads; at these sizes
# fastmlp would otherwise use one thread)
from fastmlp import _threads
one_thread = _threads.team_size

checks = 0
for index, solver in enumerate(solvers):
    alone = index % 2 == 0 and solver != "lbfgs"
    _threads.team_size = one_thread if alone else (lambda rows, flops: 3)
    for data in (X, XS, XC, X.astype(np.float32), XS.astype(np.float32)):
        for Est, y, kw in ((MLPClassifier, y_clf, {}), (MLPClassifier, y_bin, {}),
                           (MLPRegressor, y_reg, {}), (MLPRegressor, y_multi, {}),
                           (MLPRegressor, y_poi, {"loss": "poisson"})):
            est = Est(hidden_layer_sizes=(13, 7), solver=solver, max_iter=2,
                      batch_size=64, random_state=0, **kw)
            est.fit(data, y, sample_weight=sw)
            out = est.predict(data)
            assert np.all(np.isfinite(np.asarray(out, dtype=float)))
            if Est is MLPClassifier:
                est.predict_proba(X[:70])
            checks += 1
    # no hidden layer, batch size 1, no shuffling (contiguous rows), early stopping
    MLPRegressor(hidden_layer_sizes=(), solver=solver, max_iter=1, batch_size=1,
                 shuffle=False, random_state=0).fit(X[:40], y_reg[:40]).predict(XS)
    MLPClassifier(hidden_layer_sizes=(5,), solver=solver, max_iter=2, early_stopping=True,
                  random_state=0).fit(XS, y_clf).predict(X)
    if solver != "lbfgs":
        est = MLPClassifier(hidden_layer_sizes=(6,), solver=solver, random_state=0)
        est.partial_fit(XS[:50], y_clf[:50], classes=[0, 1, 2])
        est.partial_fit(X[50:], y_clf[50:])
        est.predict(XS)
        # a diverging fit (error path of the epoch loop)
        try:
            MLPRegressor(hidden_layer_sizes=(4,), solver=solver, learning_rate_init=1e6,
                         max_iter=10, random_state=0).fit(X * 1e155, y_reg)
        except ValueError:
            pass
    if solver != "lbfgs":
        MLPClassifier(hidden_layer_sizes=(11, 6), solver=solver, dropout=0.3, max_iter=2,
                      batch_size=32, random_state=0).fit(X, y_clf).predict(XS)
    checks += 4
print("fits checked:", checks)
print("MEMCHECK-SCRIPT-OK")
PYEOF

echo "memcheck: running valgrind (log: $LOG) ..."
start=$(date +%s)
PYTHONMALLOC=malloc valgrind \
    --tool=memcheck \
    --error-exitcode=1 \
    --leak-check=summary \
    --suppressions="$SUPP" \
    --num-callers=40 \
    --log-file="$LOG" \
    "$PYTHON" "$SCRIPT" >"$LOG.stdout" 2>&1
vg_status=$?
elapsed=$(( $(date +%s) - start ))

# Count the error blocks of the log, and those with a fastmlp frame in their stack.
read -r n_read n_write n_other n_fastmlp <<<"$(awk '
    function flush() {
        if (kind != "") {
            if (kind ~ /^Invalid read/) r++
            else if (kind ~ /^Invalid write/) w++
            else o++
            if (block ~ /fastmlp|_engine|_blas|elementwise/) f++
        }
        kind = ""; block = ""
    }
    /^==[0-9]+== *$/ { flush(); next }
    {
        line = $0; sub(/^==[0-9]+== /, "", line)
        if (kind == "" && block == "" && line ~ /^(Invalid (read|write|free)|Mismatched free|Conditional jump|Use of uninitialised|Syscall param|Source and destination overlap|Argument .* of function)/) kind = line
        block = block "\n" line
    }
    END { flush(); printf "%d %d %d %d\n", r + 0, w + 0, o + 0, f + 0 }
' "$LOG")"

summary=$(grep -m1 "ERROR SUMMARY" "$LOG" | sed 's/^==[0-9]*== //')
lost=$(grep -m1 "definitely lost" "$LOG" | sed 's/^==[0-9]*== *//')

echo "memcheck: valgrind exit status $vg_status after ${elapsed}s"
echo "memcheck: $summary"
echo "memcheck: Invalid read: $n_read, Invalid write: $n_write, errors with a fastmlp" \
     "frame: $n_fastmlp, other error contexts: $n_other"
if [ "$n_other" -gt 0 ]; then
    echo "memcheck: (the other contexts are 'uninitialised value' reports inside the" \
         "CPython interpreter; the same ones appear when only numpy/scipy/scikit-learn" \
         "are imported, without fastmlp, so valgrind's own exit status is not the verdict)"
fi
[ -n "$lost" ] && echo "memcheck: leak summary: $lost (at exit; informational)"
echo "memcheck: script output: $LOG.stdout"

if [ -z "$summary" ]; then
    echo "memcheck: FAILED - no ERROR SUMMARY in $LOG (did valgrind run Python?)" >&2
    exit 2
fi
if ! grep -q "MEMCHECK-SCRIPT-OK" "$LOG.stdout"; then
    echo "memcheck: FAILED - the Python script did not complete:" >&2
    tail -20 "$LOG.stdout" >&2
    exit 2
fi
if [ "$n_read" -gt 0 ] || [ "$n_write" -gt 0 ] || [ "$n_fastmlp" -gt 0 ]; then
    echo "memcheck: FAILED - invalid memory accesses (see $LOG)"
    exit 1
fi
echo "memcheck: OK - no invalid reads or writes"
exit 0

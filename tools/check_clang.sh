#!/usr/bin/env bash
# The package built with clang: copies the working tree (the files git tracks or
# would track, uncommitted changes included, no build products) into a temporary
# folder, builds the extensions there with CC=clang, checks that every module was
# compiled by clang and that the own kernels are active on this processor (the
# variant _gemm.isa() reports is the widest the CPU runs: avx512, avx2 or neon),
# then runs pytest against that copy, with CC=clang still set so that the tests
# that build the package again (tests/test_debug_build.py) build it with clang too.
#
# Usage: tools/check_clang.sh [--fingerprint] [--keep] [pytest arguments...]
#   pytest arguments   default: tests/ (the whole suite, about 10 minutes on 2 cores)
#   --fingerprint      also build the same copy with gcc and compare the fitted models
#                      of the two builds (tests/fingerprint.py, with the own kernels
#                      and with FASTMLP_KERNELS=blas): bit-identical where both run
#                      the same instruction set
#   --keep             keep the temporary folder (its path is printed)
# Needs clang (Debian: apt-get install clang) and the build dependencies of
# pyproject.toml in the Python that runs it ($PYTHON, default python).
# Exit status 1 when the build, a check or pytest failed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
fingerprint=0
keep=0
while [ $# -gt 0 ]; do
    case $1 in
        --fingerprint) fingerprint=1; shift ;;
        --keep) keep=1; shift ;;
        *) break ;;
    esac
done
[ $# -eq 0 ] && set -- tests/
command -v clang >/dev/null || { echo "clang is not installed"; exit 1; }
git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
    { echo "needs a git checkout of the repository (it copies the files git lists)"; exit 1; }

WORK=$(mktemp -d)
if [ $keep -eq 1 ]; then echo "work folder: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi

# copy NAME: the working tree into $WORK/NAME
copy() {
    mkdir -p "$WORK/$1"
    git ls-files -z --cached --others --exclude-standard |
        tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -x -C "$WORK/$1"
}

# build NAME CC CXX: the extensions of $WORK/NAME, in place
build() {
    echo "=== build with $2 in $WORK/$1"
    if ! (cd "$WORK/$1" && CC=$2 CXX=$3 "$PY" setup.py build_ext --inplace -j 2 \
            >build.log 2>&1); then
        tail -40 "$WORK/$1/build.log"; echo "=== build with $2 FAILED"; exit 1
    fi
}

# in NAME COMMAND...: COMMAND in $WORK/NAME, importing fastmlp from there
in_() { local d=$WORK/$1; shift; (cd "$d" && PYTHONPATH="$d" "$@"); }

copy clang
build clang clang clang++
in_ clang "$PY" - <<'EOF'
import pathlib, platform, sys
import fastmlp
from fastmlp._kernels import _gemm

root = pathlib.Path(fastmlp.__file__).parent
print("fastmlp from", root)
modules = sorted(root.glob("_kernels/*.so")) + sorted(root.glob("_kernels/*.pyd"))
not_clang = [m.name for m in modules if b"clang version" not in m.read_bytes()]
if not modules or not_clang:
    sys.exit(f"not compiled by clang: {not_clang or 'no modules found'}")
print(f"{len(modules)} modules compiled by clang")
expected = "generic"
machine = platform.machine().lower()
if machine in ("aarch64", "arm64"):
    expected = "neon"
elif machine in ("x86_64", "amd64"):
    flags = set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    if "avx512f" in flags:
        expected = "avx512"
    elif {"avx2", "fma"} <= flags:
        expected = "avx2"
print(f"own kernels: {_gemm.isa()} (supported: {', '.join(_gemm.supported_isas())};"
      f" this processor: {expected})")
if _gemm.isa() != expected:
    sys.exit(f"the own kernels run {_gemm.isa()}, not {expected}")
EOF

if [ $fingerprint -eq 1 ]; then
    copy gcc
    build gcc gcc g++
    status=0
    for kernels in auto blas; do
        echo "=== fingerprint, FASTMLP_KERNELS=$kernels: the clang build against the gcc build"
        in_ gcc env FASTMLP_KERNELS=$kernels "$PY" tests/fingerprint.py \
            --save "$WORK/fp_gcc_$kernels.txt" >/dev/null
        in_ clang env FASTMLP_KERNELS=$kernels "$PY" tests/fingerprint.py \
            --compare "$WORK/fp_gcc_$kernels.txt" >"$WORK/fp_$kernels.log" || status=1
        grep -v "^clf\|^reg\|^fastmlp" "$WORK/fp_$kernels.log" | sed '/^$/d'
    done
    [ $status -eq 0 ] || { echo "=== fingerprints differ"; exit 1; }
fi

echo "=== pytest $*"
start=$(date +%s)
if ! in_ clang env CC=clang CXX=clang++ CI="${CI:-true}" "$PY" -m pytest -q \
        -p no:cacheprovider "$@"; then
    echo "=== pytest FAILED against the clang build"; exit 1
fi
echo "=== pytest passed against the clang build in $(($(date +%s) - start)) s"

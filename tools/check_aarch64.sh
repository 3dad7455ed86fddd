#!/usr/bin/env bash
# The Python package on aarch64, under user-mode emulation, on an x86-64 Linux
# machine with no aarch64 hardware and no binfmt_misc:
#
#   root    an aarch64 user space: the distribution's arm64 packages of python3 and
#           libpython3-dev (and what they depend on), fetched with apt by package
#           name from the sources the system's apt configuration lists, into a
#           private apt state (nothing on the system changes, no root needed), and
#           unpacked with dpkg-deb into build/aarch64/root
#   wheels  numpy, scipy, scikit-learn, threadpoolctl, joblib, pytest and pandas (for
#           scikit-learn's checks with pandas input) from their manylinux aarch64
#           wheels (the host's pip, --platform ... --target), at the versions the
#           host's Python has where it has them
#   build   the six extensions of a copy of the working tree (the files git tracks or
#           would track, uncommitted changes included), cross-compiled by
#           aarch64-linux-gnu-gcc with setup.py's own flags (GNU_ARGS, -pthread, and
#           -g0 as the wheels are built) against the arm64 Python headers, in
#           build/aarch64/src; the working tree's own modules are not touched
#   run     under qemu-aarch64-static, emulating a Neoverse N1 (the core of AWS
#           Graviton2 and Ampere Altra): fastmlp._kernels._gemm.isa() (must be
#           "neon"), the demo of the README (one repeat), the kernels' tests once
#           (tests/test_gemm.py, tests/test_elementwise.py: they choose the kernels
#           themselves), then, once per FASTMLP_KERNELS mode, parity with
#           scikit-learn (tests/test_parity.py), the team and the thread count
#           (tests/test_thread_team.py, tests/test_team_size.py) and scikit-learn's
#           estimator checks on the default estimators
#           (test_sklearn_compatible_estimator); the tests marked slow are left out.
#           The modes: "auto" (on NEON the rule hands every product to OpenBLAS, so
#           this is also what "blas" runs) and "own" (every product on the NEON
#           kernels).
#
# Usage: tools/check_aarch64.sh [--modes "auto own"] [pytest arguments...]
#   pytest arguments   instead of the tests above, run once per mode (paths relative
#                      to the root of the repository)
#   --modes            the FASTMLP_KERNELS modes (default "auto own")
# Environment:
#   AARCH64_APT_SOURCES  a deb822 .sources file for the arm64 packages, instead of the
#                        system's apt sources (Ubuntu serves arm64 from another mirror
#                        than amd64: point this at a file that names it)
#   QEMU_CPU             the emulated processor (default neoverse-n1; "max" has SVE and
#                        SME, and numpy's and scipy's OpenBLAS then choose different
#                        kernels: see the interpreter below)
#   PYTHON               the host Python that runs pip and setup.py (default: python)
# Needs, on Debian or Ubuntu (x86-64):
#   apt-get install qemu-user-static gcc-aarch64-linux-gnu
#   and, in the host Python, pip and the build dependencies of pyproject.toml.
# Takes, on a 2-core x86-64 machine, about 21 minutes: root and wheels 30 s the first
# time (600 MB under build/aarch64/, kept and reused: delete the folder to start
# again), the build 40 s, the demo 2.5 minutes, the kernels' tests 6 minutes, each
# kernel mode 5-6 minutes.
# Exit status 1 when a phase, a check or pytest failed (every mode is run).
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
OUT=$TOP/build/aarch64
ROOT=$OUT/root
SITE=$OUT/site
SRC=$OUT/src
PY=${PYTHON:-python}
modes="auto own"
if [ "${1:-}" = "--modes" ]; then modes=$2; shift 2; fi
kernel_tests=()
if [ $# -eq 0 ]; then
    kernel_tests=(-m "not slow" tests/test_gemm.py tests/test_elementwise.py)
    set -- -m "not slow" tests/test_parity.py tests/test_thread_team.py tests/test_team_size.py \
        "tests/test_estimator_checks.py::test_sklearn_compatible_estimator"
fi
for tool in qemu-aarch64-static aarch64-linux-gnu-gcc apt-get dpkg-deb; do
    command -v $tool >/dev/null ||
        { echo "$tool is not installed (see the top of $0)"; exit 1; }
done
git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
    { echo "needs a git checkout of the repository (it copies the files git lists)"; exit 1; }
mkdir -p "$OUT"

# phase NAME: prints the wall time of the phase before
phase_start=$(date +%s)
phase() {
    local now; now=$(date +%s)
    [ -n "${phase_name:-}" ] && echo "=== $phase_name: $((now - phase_start)) s"
    phase_name=$1; phase_start=$now
    [ -n "$1" ] && echo "=== $1"
    return 0
}

# --- root ---------------------------------------------------------------------------
phase "root: arm64 packages into $ROOT"
if [ ! -e "$ROOT/.complete" ]; then
    apt=(-o APT::Architecture=arm64 -o APT::Architectures::=arm64
         -o Dir::State="$OUT/apt/state" -o Dir::State::status="$OUT/apt/state/status"
         -o Dir::Cache="$OUT/apt/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)"
         -q)
    if [ -n "${AARCH64_APT_SOURCES:-}" ]; then
        apt+=(-o Dir::Etc::SourceList="$(realpath "$AARCH64_APT_SOURCES")"
              -o Dir::Etc::SourceParts=/nonexistent)
    fi
    rm -rf "$ROOT" "$OUT/apt"
    mkdir -p "$OUT/apt/state/lists/partial" "$OUT/apt/cache/archives/partial"
    touch "$OUT/apt/state/status"
    # an empty package status: apt fetches every dependency, for arm64 only
    apt-get "${apt[@]}" update
    apt-get "${apt[@]}" install -y --download-only --no-install-recommends \
        python3 libpython3-dev libstdc++6
    # the merged /usr layout (as debootstrap makes it), then every package's files
    mkdir -p "$ROOT/usr/bin" "$ROOT/usr/lib" "$ROOT/usr/sbin"
    ln -s usr/bin "$ROOT/bin"; ln -s usr/lib "$ROOT/lib"; ln -s usr/sbin "$ROOT/sbin"
    for deb in "$OUT"/apt/cache/archives/*.deb; do
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$ROOT" --keep-directory-symlink
    done
    touch "$ROOT/.complete"
fi
PYVER=$(readlink "$ROOT/usr/bin/python3")           # python3.11
PYVER=${PYVER#python}
ARMPY=$ROOT/usr/bin/$(readlink "$ROOT/usr/bin/python3")
# The interpreter, run by qemu.  Its argv[0] is this script, so that sys.executable
# is a program the host can start (subprocesses of sys.executable: the slow tests,
# joblib's workers): without binfmt_misc the host cannot start an aarch64 binary
# itself.  It sits beside
# the interpreter so that Python finds its library from it.  The processor: qemu's
# "max" has SVE and SME, where numpy's OpenBLAS runs SME kernels and scipy's SVE
# ones; L-BFGS amplifies the difference of their rounding over 20 iterations past
# the float64 tolerance of tests/test_parity.py.  A Neoverse N1 gives both the
# same kernels, as a real processor does.
WRAP=$ROOT/usr/bin/python-qemu
cat >"$WRAP" <<EOF
#!/bin/sh
exec qemu-aarch64-static -cpu "\${QEMU_CPU:-neoverse-n1}" -L "$ROOT" -0 "\$0" "$ARMPY" "\$@"
EOF
chmod +x "$WRAP"
"$WRAP" -c 'import platform, sys; print("python", sys.version.split()[0], platform.machine())'

# --- wheels ---------------------------------------------------------------------------
phase "wheels: numpy, scipy, scikit-learn, threadpoolctl, joblib, pytest, pandas into $SITE"
if [ ! -e "$SITE/.complete" ]; then
    rm -rf "$SITE"
    # every manylinux tag the root's C library satisfies (pip does not expand them)
    glibc=$("$WRAP" -c 'import platform; print(platform.libc_ver()[1].split(".")[1])')
    platforms=(--platform manylinux2014_aarch64)
    for ((v = 17; v <= glibc; v++)); do platforms+=(--platform "manylinux_2_${v}_aarch64"); done
    # the host's versions, where the host has them: the same code as the x86-64 runs
    mapfile -t reqs < <("$PY" - <<'EOF'
from importlib.metadata import PackageNotFoundError, version
for name in ("numpy", "scipy", "scikit-learn", "threadpoolctl", "joblib", "pytest", "pandas"):
    try:
        print(f"{name}=={version(name)}")
    except PackageNotFoundError:
        print(name)
EOF
    )
    echo "${reqs[*]}"
    "$PY" -m pip install -q --disable-pip-version-check --target "$SITE" "${platforms[@]}" \
        --python-version "$PYVER" --implementation cp --abi "cp${PYVER/./}" --only-binary=:all: "${reqs[@]}"
    touch "$SITE/.complete"
fi

# --- build ----------------------------------------------------------------------------
phase "build: the extensions for aarch64 in $SRC"
rm -rf "$SRC"
mkdir -p "$SRC"
git ls-files -z --cached --others --exclude-standard |
    tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -x -C "$SRC"
# setup.py compiles with $CC and the host interpreter's CFLAGS, then setup.py's own
# flags; the arm64 headers come before the host interpreter's (their pyconfig.h
# includes <aarch64-linux-gnu/python3.X/pyconfig.h>, found after the toolchain's
# own headers through -idirafter).
if ! (cd "$SRC" && CC=aarch64-linux-gnu-gcc LDSHARED="aarch64-linux-gnu-gcc -shared" \
        CFLAGS="-g0 -I$ROOT/usr/include/python$PYVER -idirafter $ROOT/usr/include" \
        LDFLAGS= SETUPTOOLS_EXT_SUFFIX=".cpython-${PYVER/./}-aarch64-linux-gnu.so" \
        "$PY" setup.py build_ext --inplace -j 2 >"$OUT/build.log" 2>&1); then
    tail -40 "$OUT/build.log"; echo "=== build FAILED (log: $OUT/build.log)"; exit 1
fi
n=0
for so in "$SRC"/fastmlp/_kernels/*-aarch64-linux-gnu.so; do
    machine=$(LC_ALL=C readelf -h "$so" | sed -n 's/^ *Machine: *//p')
    [ "$machine" = AArch64 ] || { echo "$so: $machine, not AArch64"; exit 1; }
    n=$((n + 1))
done
[ $n -eq 6 ] || { echo "=== build: $n modules, not 6"; exit 1; }
echo "6 modules for AArch64 (log: $OUT/build.log)"

# --- run ------------------------------------------------------------------------------
# in_src COMMAND...: under the emulated interpreter, in the copy, importing fastmlp
# from it and everything else from the wheels
in_src() { (cd "$SRC" && PYTHONPATH="$SRC:$SITE" "$@"); }
status=0

phase "run: the own kernels"
in_src "$WRAP" - <<'EOF' || status=1
import platform, sys
import fastmlp
from fastmlp._kernels import _gemm
print("fastmlp from", fastmlp.__file__, "on", platform.machine())
print(f"own kernels: {_gemm.isa()} (supported: {', '.join(_gemm.supported_isas())})")
if _gemm.isa() != "neon":
    sys.exit(f"the own kernels run {_gemm.isa()}, not neon")
EOF

phase "run: the demo (fastmlp.demo, one repeat; the times are emulated)"
in_src "$WRAP" -c "from fastmlp.demo import main; main(repeats=1)" || status=1

# pytest MODE ARGUMENTS...: pytest under emulation, with FASTMLP_KERNELS=MODE
pytest_() {
    local mode=$1; shift
    phase "run: pytest, FASTMLP_KERNELS=$mode: $*"
    in_src env FASTMLP_KERNELS="$mode" "$WRAP" -m pytest -q -p no:cacheprovider -rfEs "$@" ||
        { echo "=== pytest FAILED, FASTMLP_KERNELS=$mode"; status=1; }
}
if [ ${#kernel_tests[@]} -gt 0 ]; then pytest_ auto "${kernel_tests[@]}"; fi
for mode in $modes; do pytest_ "$mode" "$@"; done
phase ""
[ $status -eq 0 ] && echo "=== aarch64: every check passed" || echo "=== aarch64: FAILED"
exit $status

#!/usr/bin/env bash
# Builds and runs the C tests of csrc/ in one or more ways:
#   csrc/tests/test_team.c   the thread team and the platform layer
#   csrc/tests/test_gemm.c   the own kernels: every variant the CPU runs, both
#                            element types, every shape 1..33
#   csrc/tests/test_loops.c  the element-wise loops and optimizer steps: every
#                            build variant the CPU runs against the scalar build
#
#   native   gcc: the team with the Linux futex sleep, then with the portable
#            condition-variable sleep; the kernels (portable, AVX2 + FMA,
#            AVX-512F as the CPU allows); the loops (the package's build with
#            its clones, baseline, AVX2, AVX-512F)
#   clang    the same with clang
#   tsan     gcc with ThreadSanitizer (the team, both sleeps)
#   wine     mingw-w64 (Windows threads, WaitOnAddress), run under wine: the team
#            once with the GCC atomics and cpuid, once with the MSVC intrinsics
#            branch; the kernels; the loops
#   qemu     aarch64-linux-gnu-gcc, run under qemu-aarch64-static: the team (both
#            sleeps), the kernels (portable and NEON, about 2 minutes), the loops
#            (NEON); then the futex sleep, the kernels and the loops built by
#            clang --target=aarch64-linux-gnu (2 minutes more)
#   all      every way whose tools are installed (the others are reported as skipped)
#
# Usage: tools/run_c_harness.sh [native|clang|tsan|wine|qemu|all]...   (default: native)
# FM_TEST_MAXDIM=n in the environment: the kernels' shapes 1..n (default 33).
# The tools, on Debian or Ubuntu:
#   apt-get install clang gcc-mingw-w64-x86-64 wine64 gcc-aarch64-linux-gnu qemu-user-static
# Binaries go to build/c_harness/.  Exit status 1 when a build or a check failed
# (or a run did not end within 300 s).
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=csrc/tests/test_team.c
GEMM=csrc/tests/test_gemm.c
OUT=build/c_harness
WARN=(-Wall -Wextra -Werror)
# The package's flags (setup.py's GNU_ARGS): no contraction of a * b + c into
# FMA.  The loops' scalar reference is optimised (square roots are the
# instruction, not mingw-w64's library sqrt, which is not correctly rounded) but
# not vectorised.
PKG_FLAGS=(-O3 -fno-math-errno -ffp-contract=off)
SCALAR_FLAGS=(-O1 -fno-math-errno -ffp-contract=off -fno-tree-vectorize
    -fno-tree-slp-vectorize)
GEMM_FLAGS=("${PKG_FLAGS[@]}" "${WARN[@]}" -Icsrc)
mkdir -p "$OUT"
status=0

have() { command -v "$1" >/dev/null 2>&1; }

# run NAME BUILD-COMMAND... -- RUN-PREFIX...
run() {
    local name=$1; shift
    local build=() prefix=()
    while [ "$1" != "--" ]; do build+=("$1"); shift; done
    shift
    prefix=("$@")
    echo "=== $name"
    if ! "${build[@]}"; then
        echo "=== $name: build FAILED"; status=1; return
    fi
    local bin=${build[-1]}
    # A barrier that fails to wake its sleepers hangs: give up after 5 minutes.
    timeout 300 "${prefix[@]}" "$bin"
    case $? in
        0) ;;
        124) echo "=== $name: FAILED (no end after 300 s: a thread never woke?)"; status=1 ;;
        *) echo "=== $name: FAILED"; status=1 ;;
    esac
}

# vector_ops MACHINE OBJECT: how many vector floating-point arithmetic
# instructions OBJECT has (x86-64 packed SSE/AVX, aarch64 NEON)
vector_ops() {
    case $1 in
    x86_64*) objdump -d "$2" | grep -c -E '\sv?(add|sub|mul|div|sqrt|max|min)p[sd]\s' || true ;;
    aarch64*) aarch64-linux-gnu-objdump -d "$2" \
        | grep -c -E '\s(fadd|fsub|fmul|fdiv|fsqrt|fmax|fmin)\s+v[0-9]' || true ;;
    *) echo "no disassembler for $1" >&2; return 1 ;;
    esac
}

# build_loops COMPILER-WORDS... BINARY: test_loops with one object of
# csrc/tests/loops_variant.c per build variant: scalar, the package's
# flags, and for x86-64 the baseline, -mavx2 and -mavx512f without clones.  For
# x86-64 Linux it also checks that the package's build has its clones.
build_loops() {
    local cc=()
    while [ $# -gt 1 ]; do cc+=("$1"); shift; done
    local bin=$1 machine
    local dir=${bin%.exe}_objects src=csrc/tests/loops_variant.c
    local flags=("${WARN[@]}" -Icsrc) link=(-lm)
    machine=$("${cc[@]}" -dumpmachine) || return 1
    mkdir -p "$dir"
    local objs=("$dir/scalar.o" "$dir/package.o")
    "${cc[@]}" "${flags[@]}" "${SCALAR_FLAGS[@]}" -DFM_NO_CLONES -DVARIANT=scalar -c $src \
            -o "$dir/scalar.o" \
        && "${cc[@]}" "${flags[@]}" "${PKG_FLAGS[@]}" -DVARIANT=package -c $src \
            -o "$dir/package.o" || return 1
    # vector arithmetic: none in the scalar build, some in the package's
    local scalar package
    scalar=$(vector_ops "$machine" "$dir/scalar.o") && package=$(vector_ops "$machine" \
        "$dir/package.o") || return 1
    echo "vector arithmetic instructions: scalar build $scalar, package's build $package"
    [ "$scalar" -eq 0 ] && [ "$package" -gt 0 ] || { echo "not as built"; return 1; }
    if [[ $machine == x86_64* ]]; then
        local v
        for v in base: avx2:-mavx2 avx512:-mavx512f; do
            "${cc[@]}" "${flags[@]}" "${PKG_FLAGS[@]}" -DFM_NO_CLONES -DVARIANT=${v%%:*} \
                ${v#*:} -c $src -o "$dir/${v%%:*}.o" || return 1
            objs+=("$dir/${v%%:*}.o")
        done
    fi
    if [[ $machine == x86_64*linux* ]]; then
        local clones
        clones=$(nm "$dir/package.o" | grep -c -E '\.avx512f(\.[0-9]+)?$')
        echo "the package's build: $clones functions with an AVX-512F clone"
        [ "$clones" -gt 0 ] || { echo "no clones: FM_CLONES is off"; return 1; }
    fi
    [[ $machine == *mingw* ]] && link+=(-static)
    "${cc[@]}" "${flags[@]}" -O2 csrc/tests/test_loops.c "${objs[@]}" "${link[@]}" -o "$bin"
}

skip() { echo "=== $1: skipped ($2 not installed)"; }

native() {
    local cc=$1 tag=$2
    if ! have "$cc"; then skip "$tag" "$cc"; return; fi
    run "$tag, futex" "$cc" -O2 "${WARN[@]}" -pthread -Icsrc "$SRC" -o "$OUT/team_$tag" --
    run "$tag, portable sleep" "$cc" -O2 "${WARN[@]}" -pthread -Icsrc \
        -DFM_PLATFORM_PORTABLE_WAIT "$SRC" -o "$OUT/team_${tag}_portable" --
    run "$tag, kernels" "$cc" "${GEMM_FLAGS[@]}" "$GEMM" -lm -o "$OUT/gemm_$tag" --
    run "$tag, loops" build_loops "$cc" "$OUT/loops_$tag" --
}

tsan() {
    if ! have gcc; then skip tsan gcc; return; fi
    run "tsan, futex" gcc -O1 -g -fsanitize=thread "${WARN[@]}" -pthread -Icsrc "$SRC" \
        -o "$OUT/team_tsan" --
    run "tsan, portable sleep" gcc -O1 -g -fsanitize=thread "${WARN[@]}" -pthread -Icsrc \
        -DFM_PLATFORM_PORTABLE_WAIT "$SRC" -o "$OUT/team_tsan_portable" --
}

wine_() {
    local cc=x86_64-w64-mingw32-gcc wine
    if ! have $cc; then skip wine $cc; return; fi
    if have wine64; then wine=wine64; elif have wine; then wine=wine;
    elif [ -x /usr/lib/wine/wine64 ]; then wine=/usr/lib/wine/wine64;
    else skip wine wine64; return; fi
    export WINEDEBUG=-all WINEPREFIX="${WINEPREFIX:-$PWD/$OUT/wineprefix}"
    run "wine, GCC atomics" $cc -O2 "${WARN[@]}" -Icsrc "$SRC" -static -lsynchronization \
        -o "$OUT/team_gcc.exe" -- "$wine"
    # -mxsave: GCC's _xgetbv, which the MSVC branch calls, needs it
    run "wine, MSVC intrinsics" $cc -O2 "${WARN[@]}" -mxsave -Icsrc \
        -DFM_PLATFORM_MSVC_INTRINSICS "$SRC" -static -lsynchronization \
        -o "$OUT/team_msvc.exe" -- "$wine"
    run "wine, kernels" $cc "${GEMM_FLAGS[@]}" "$GEMM" -static -o "$OUT/gemm.exe" -- "$wine"
    run "wine, loops" build_loops $cc "$OUT/loops.exe" -- "$wine"
}

qemu() {
    local cc=aarch64-linux-gnu-gcc
    if ! have $cc; then skip qemu $cc; return; fi
    if ! have qemu-aarch64-static; then skip qemu qemu-aarch64-static; return; fi
    local q=(qemu-aarch64-static -L /usr/aarch64-linux-gnu)
    run "qemu aarch64, futex" $cc -O2 "${WARN[@]}" -pthread -Icsrc "$SRC" \
        -o "$OUT/team_aarch64" -- "${q[@]}"
    run "qemu aarch64, portable sleep" $cc -O2 "${WARN[@]}" -pthread -Icsrc \
        -DFM_PLATFORM_PORTABLE_WAIT "$SRC" -o "$OUT/team_aarch64_portable" -- "${q[@]}"
    run "qemu aarch64, kernels" $cc "${GEMM_FLAGS[@]}" "$GEMM" -lm -o "$OUT/gemm_aarch64" \
        -- "${q[@]}"
    run "qemu aarch64, loops" build_loops $cc "$OUT/loops_aarch64" -- "${q[@]}"
    # clang, the compiler of every macOS build, with the cross toolchain's
    # headers and libraries
    if ! have clang; then skip "qemu aarch64, clang" clang; return; fi
    local cl=(clang --target=aarch64-linux-gnu)
    run "qemu aarch64, clang, futex" "${cl[@]}" -O2 "${WARN[@]}" -pthread -Icsrc "$SRC" \
        -o "$OUT/team_aarch64_clang" -- "${q[@]}"
    run "qemu aarch64, clang, kernels" "${cl[@]}" "${GEMM_FLAGS[@]}" "$GEMM" -lm \
        -o "$OUT/gemm_aarch64_clang" -- "${q[@]}"
    run "qemu aarch64, clang, loops" build_loops "${cl[@]}" "$OUT/loops_aarch64_clang" \
        -- "${q[@]}"
}

modes=("$@")
[ ${#modes[@]} -eq 0 ] && modes=(native)
for mode in "${modes[@]}"; do
    case $mode in
        native) native gcc gcc ;;
        clang) native clang clang ;;
        tsan) tsan ;;
        wine) wine_ ;;
        qemu) qemu ;;
        all) native gcc gcc; native clang clang; tsan; wine_; qemu ;;
        *) echo "unknown mode: $mode (native, clang, tsan, wine, qemu, all)"; exit 2 ;;
    esac
done
exit $status

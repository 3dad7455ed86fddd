#!/usr/bin/env bash
# Builds and runs the C tests of the thread team and the platform layer
# (csrc/tests/test_team.c) and of the own kernels (csrc/tests/test_gemm.c: every
# variant the CPU runs, both element types, every shape 1..33) in one or more ways:
#
#   native   gcc: the Linux futex sleep, then the portable condition-variable sleep;
#            the kernels (portable, AVX2 + FMA, AVX-512F as the CPU allows)
#   clang    the same with clang
#   tsan     gcc with ThreadSanitizer (both sleeps; not the kernels)
#   wine     mingw-w64 (Windows threads, WaitOnAddress), run under wine: once with
#            the GCC atomics and cpuid, once with the MSVC intrinsics branch
#   qemu     aarch64-linux-gnu-gcc, run under qemu-aarch64-static (both sleeps; the
#            kernels: portable and NEON, about 2 minutes), then the futex sleep and
#            the kernels built by clang --target=aarch64-linux-gnu (2 minutes more)
#   all      every way whose tools are installed (the others are reported as skipped)
#
# Usage: tools/run_c_harness.sh [native|clang|tsan|wine|qemu|all]...   (default: native)
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
# the kernels are built as the package is: no contraction of a * b + c into FMA
GEMM_FLAGS=(-O2 "${WARN[@]}" -ffp-contract=off -Icsrc)
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

skip() { echo "=== $1: skipped ($2 not installed)"; }

native() {
    local cc=$1 tag=$2
    if ! have "$cc"; then skip "$tag" "$cc"; return; fi
    run "$tag, futex" "$cc" -O2 "${WARN[@]}" -pthread -Icsrc "$SRC" -o "$OUT/team_$tag" --
    run "$tag, portable sleep" "$cc" -O2 "${WARN[@]}" -pthread -Icsrc \
        -DFM_PLATFORM_PORTABLE_WAIT "$SRC" -o "$OUT/team_${tag}_portable" --
    run "$tag, kernels" "$cc" "${GEMM_FLAGS[@]}" "$GEMM" -lm -o "$OUT/gemm_$tag" --
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
    # clang, the compiler of every macOS build, with the cross toolchain's
    # headers and libraries
    if ! have clang; then skip "qemu aarch64, clang" clang; return; fi
    local cl=(clang --target=aarch64-linux-gnu)
    run "qemu aarch64, clang, futex" "${cl[@]}" -O2 "${WARN[@]}" -pthread -Icsrc "$SRC" \
        -o "$OUT/team_aarch64_clang" -- "${q[@]}"
    run "qemu aarch64, clang, kernels" "${cl[@]}" "${GEMM_FLAGS[@]}" "$GEMM" -lm \
        -o "$OUT/gemm_aarch64_clang" -- "${q[@]}"
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

/* C tests of the own kernels (gemm_kernels.h, the contract of gemm.h): every
 * variant this CPU runs (portable, AVX2 + FMA, AVX-512F or NEON), both element
 * types, every shape m, n, k of 1..33 for sets of the options (A transposed or
 * through a row index, B stored transposed, column sums, accumulation, an
 * epilogue), each element of C compared bit for bit with a plain reference that
 * rounds as gemm.h says; the epilogue's rows (in order, contiguous, final when
 * handed over), the guards after C's columns and the pack buffer, and the
 * k-blocked A^T B.
 *
 * Built and run natively (gcc, clang) and for aarch64 under qemu-user by
 * tools/run_c_harness.sh (with -ffp-contract=off, as the package is built).
 * Usage: test_gemm [maxdim] (default: FM_TEST_MAXDIM from the environment, else
 * 33).  Prints one line per check and ends
 * with "N passed, N failed"; exits 1 on a failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gemm_kernels.h"

#define LD 35      /* leading dimension of every stored matrix: at least 33 + 2 */
#define GUARD 16   /* elements after the pack buffer that must stay untouched */
#define KB_M 520   /* the k-blocked product: m >= FM_KC_MIN_M */
#define KB_K 150
#define KC_OF(isa) 64 /* gemm.h's table: KC of every vector variant */

static unsigned long long rng_state = 12345;
/* uniform in [-1, 1) */
static double rnd(void) { return 2 * u01(&rng_state) - 1; }

struct shape {
    int trans_a, trans_b, rows, colsum, accumulate, epi;
    ptrdiff_t m, n, k;
};

/* The option sets run at every shape: each option on and off, each form. */
static const struct shape OPTS[] = {
    /* trans_a trans_b rows colsum accumulate epi */
    {0, 0, 0, 0, 0, 1, 0, 0, 0},
    {0, 1, 1, 0, 1, 1, 0, 0, 0},
    {0, 0, 1, 1, 0, 0, 0, 0, 0},
    {1, 0, 1, 1, 1, 0, 0, 0, 0},
    {1, 1, 0, 0, 0, 1, 0, 0, 0},
    {1, 0, 0, 0, 1, 1, 0, 0, 0},
};

/* The row index: distinct stored rows out of LD, in no order. */
static ptrdiff_t ROWS[LD];
#define R(s, x) ((s)->rows ? ROWS[x] : (x))

static const char *ISA_NAME(int isa) {
    return isa == FM_ISA_AVX512 ? "avx512"
           : isa == FM_ISA_AVX2 ? "avx2"
           : isa == FM_ISA_NEON ? "neon"
                                : "generic";
}

/* The reference's fused multiply-add.  On x86-64 the instruction: the vector
 * variants whose rounding it reproduces run only where the CPU has FMA, and
 * mingw-w64's fma() does not always round once.  Elsewhere the C library's. */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("fma"))) static double fma_d(double a, double b, double c) {
    return __builtin_fma(a, b, c);
}
__attribute__((target("fma"))) static float fma_s(float a, float b, float c) {
    return __builtin_fmaf(a, b, c);
}
#else
#define fma_d fma
#define fma_s fmaf
#endif

#define NAME(x) FM_CAT(x, SFX)
#define T double
#define SFX _d
#define FMA fma_d
#define TNAME "double"
#include "test_gemm_body.h"
#define T float
#define SFX _s
#define FMA fma_s
#define TNAME "float"
#include "test_gemm_body.h"

int main(int argc, char **argv) {
    static const int isas[] = {FM_ISA_GENERIC, FM_ISA_AVX2, FM_ISA_AVX512, FM_ISA_NEON};
    const char *env = getenv("FM_TEST_MAXDIM");
    int maxdim = argc > 1 ? atoi(argv[1]) : env ? atoi(env) : 33;
    unsigned v;
    int i;
    if (maxdim < 1 || maxdim > 33) maxdim = 33;
    for (i = 0; i < LD; i++) ROWS[i] = (i * 4 + 3) % LD;
    printf("kernels: chosen %s, shapes 1..%d\n", ISA_NAME(fm_gemm_isa()), maxdim);
    check(fm_gemm_supported(fm_gemm_isa()), "the chosen variant is supported");
    for (v = 0; v < sizeof isas / sizeof *isas; v++) {
        if (!fm_gemm_supported(isas[v])) {
            printf("skip %s (not run by this CPU or not compiled)\n", ISA_NAME(isas[v]));
            continue;
        }
        check(fm_gemm_set_isa(isas[v]) == 0 && fm_gemm_isa() == isas[v], ISA_NAME(isas[v]));
        test_isa_d(isas[v], maxdim);
        test_isa_s(isas[v], maxdim);
    }
    return summary();
}

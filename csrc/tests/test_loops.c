/* C tests of the element-wise loops (elementwise.h) and the optimizer steps
 * (optim.h): every build variant this CPU runs against the scalar build, bit
 * for bit, both element types, every activation, loss (with the output
 * activations it meets), score rule and solver, at every length 1..70 (rows
 * 1..5 times columns 1..37 for the row-wise loops), at unaligned addresses, on
 * inputs with zeros of both signs, subnormals, values whose exp overflows,
 * infinities and NaNs.  Outputs are compared bit for bit, except that any NaN
 * equals any NaN (a NaN's payload is not a result).  The build variants
 * (loops_variant.c, compiled once per variant by tools/run_c_harness.sh):
 *
 *   scalar   -O1 -fno-math-errno, not vectorised: one element at a time, the
 *            reference (square roots the instruction, as in the package)
 *   package  the package's flags (-O3 -fno-math-errno -ffp-contract=off): on
 *            x86-64 Linux the clones of variants.h, as the loader chose them
 *            for this CPU; elsewhere the compiler's vectorised baseline (SSE2
 *            on x86-64, NEON on aarch64)
 *   x86-64 only, with FM_NO_CLONES: baseline (SSE2), -mavx2, -mavx512f, each
 *            run when the CPU has the instructions
 *
 * The finiteness test is also checked against the truth, and the steps leave
 * the elements outside lo..hi as they were.  Usage: test_loops.  Prints one
 * line per check and ends with "N passed, N failed"; exits 1 on a failure. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codes.h"
#include "loops_table.h"
#include "platform.h"

#define MAXN 256 /* the largest array: 5 rows x 37 columns, 70 + 3 elements */

FM_LOOPS_FILL(loops_scalar);

#define DECLARE(name, runs, what) FM_LOOPS_FILL(loops_##name);
#if defined(__x86_64__) || defined(_M_X64)
#define VARIANTS(X)                                                                      \
    X(package, 1, "the package's build")                                                 \
    X(base, 1, "-O3, baseline x86-64")                                                   \
    X(avx2, fm_cpu_has_avx2(), "-O3 -mavx2")                                             \
    X(avx512, fm_cpu_has_avx512f(), "-O3 -mavx512f")
#else
#define VARIANTS(X) X(package, 1, "the package's build")
#endif
VARIANTS(DECLARE)

static char where[200]; /* the case being run, for a mismatch's message */
static int reported;    /* mismatches printed in the current check */

static unsigned long long rng_state = 2024;

/* Two doubles are the same: equal bits, or both NaN. */
static int same_double(double x, double y) {
    if (x != x && y != y) return 1;
    return memcmp(&x, &y, sizeof x) == 0;
}

static int same_ret(double x, double y, const char *what) {
    if (same_double(x, y)) return 1;
    if (reported++ < 3) printf("     %s: %s %a (scalar) vs %a\n", where, what, x, y);
    return 0;
}

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define NAME(x) CAT(x, SFX)
#define T double
#define SFX _d
#define TBL fm_loops_d
#define TNAME "double"
#define TINY (DBL_TRUE_MIN * 7)
#define BIG 1e300
#define EXPMAX 710.0
#include "test_loops_body.h"
#define T float
#define SFX _s
#define TBL fm_loops_s
#define TNAME "float"
#define TINY 1e-40f
#define BIG 1e30f
#define EXPMAX 89.0f
#include "test_loops_body.h"

int main(void) {
    fm_loops_d scalar_d;
    fm_loops_s scalar_s;
    loops_scalar(&scalar_d, &scalar_s);
#define RUN(name, runs, what)                                                            \
    if (runs) {                                                                          \
        fm_loops_d d;                                                                    \
        fm_loops_s s;                                                                    \
        loops_##name(&d, &s);                                                            \
        printf("variant %s: %s\n", #name, what);                                         \
        test_variant_d(&scalar_d, &d, #name);                                            \
        test_variant_s(&scalar_s, &s, #name);                                            \
    } else {                                                                             \
        printf("skip %s (%s: not run by this CPU)\n", #name, what);                      \
    }
    VARIANTS(RUN)
    return summary();
}

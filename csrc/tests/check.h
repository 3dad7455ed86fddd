/* What the C tests of csrc/tests/ share: the checks' count, one line per check
 * ("ok   what" or "FAIL what"), the closing "N passed, N failed" that
 * tools/run_c_harness.sh and tests/test_c_harness.py read, and a seeded
 * stream of random numbers. */
#ifndef FM_TESTS_CHECK_H
#define FM_TESTS_CHECK_H

#include <stdio.h>

static int passed, failed;

static inline void check(int ok, const char *what) {
    if (ok) passed++;
    else failed++;
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    fflush(stdout);
}

/* Prints the closing line; returns the program's exit status. */
static inline int summary(void) {
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

/* The next number of a 64-bit linear congruential stream at *state, uniform in
 * [0, 1). */
static inline double u01(unsigned long long *state) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) / 9007199254740992.0;
}

#endif /* FM_TESTS_CHECK_H */

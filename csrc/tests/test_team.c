/* C tests of the thread team (team.h) and the platform layer (platform.h):
 * the barrier over many rounds with 1 to 4 threads (spinning, and sleeping
 * while a thread of the team is away), work items taken exactly once, the
 * atomics, the sleep and wake of fm_word_t, aligned allocation, the monotonic
 * clock, and the CPU features found (checked against the compiler's own
 * __builtin_cpu_supports where it has one).
 *
 * Built and run natively, with clang, under ThreadSanitizer, with mingw-w64
 * under wine and for aarch64 under qemu-user by tools/run_c_harness.sh.  Prints
 * one line per check and ends with "N passed, N failed"; exits 1 on a failure. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "team.h"

#ifndef _WIN32
#include <time.h>
#endif

static void sleep_ms(int ms) {
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
#endif
}

/* ---------------------------------------------------------------------- */
/* The barrier                                                             */
/* ---------------------------------------------------------------------- */
typedef struct {
    long rounds;
    int away_every;             /* every so many rounds one thread is late (0: never) */
    int slot[FM_MAX_TEAM];      /* plain ints: the barrier alone orders them */
    int errors[FM_MAX_TEAM];
    int saw_sleepers[FM_MAX_TEAM];
} barrier_case;

/* Round r: every thread writes r into its slot, meets the others, reads every
 * slot (all must be r), meets them again before the next round overwrites. */
static void barrier_worker(void *arg, fm_team_t *team, int rank) {
    barrier_case *c = (barrier_case *)arg;
    int sense = 0, k;
    long r;
    for (r = 1; r <= c->rounds; r++) {
        if (c->away_every && r % c->away_every == 0 && rank == (int)(r / c->away_every) % team->size) {
            /* Away far longer than the spin: the others go to sleep. */
            sleep_ms(3);
            if (team->size > 1 && fm_atomic_load_seq_cst(&team->sleepers) > 0)
                c->saw_sleepers[rank]++;
        }
        c->slot[rank] = (int)r;
        fm_team_barrier(team, &sense);
        for (k = 0; k < team->size; k++)
            if (c->slot[k] != (int)r) c->errors[rank]++;
        fm_team_barrier(team, &sense);
    }
}

static void test_barrier(int n, long rounds, int away_every) {
    static barrier_case c;
    char what[160];
    int size, k, errors = 0, sleepers = 0;
    memset(&c, 0, sizeof c);
    c.rounds = rounds;
    c.away_every = away_every;
    size = fm_team_run(n, barrier_worker, &c);
    for (k = 0; k < FM_MAX_TEAM; k++) errors += c.errors[k], sleepers += c.saw_sleepers[k];
    snprintf(what, sizeof what, "barrier: %d threads, %ld rounds%s: team of %d, %d stale reads",
             n, rounds, away_every ? " with a late thread" : "", size, errors);
    check(size == n && errors == 0, what);
    if (away_every && n > 1) {
        snprintf(what, sizeof what,
                 "barrier: %d threads: the waiting threads slept (%d of %ld late arrivals)",
                 n, sleepers, rounds / away_every);
        check(sleepers > 0, what);
    }
}

/* ---------------------------------------------------------------------- */
/* Work items, team sizes                                                  */
/* ---------------------------------------------------------------------- */
#define N_ITEMS 100000

typedef struct {
    ptrdiff_t next;
    unsigned char taken[N_ITEMS];
    long per_rank[FM_MAX_TEAM];
    int ran[FM_MAX_TEAM];
} items_case;

static void items_worker(void *arg, fm_team_t *team, int rank) {
    items_case *c = (items_case *)arg;
    ptrdiff_t i;
    (void)team;
    c->ran[rank]++;
    while ((i = fm_next_item(&c->next)) < N_ITEMS) {
        c->taken[i]++;
        c->per_rank[rank]++;
    }
}

static void test_work_items(int n) {
    static items_case c;
    char what[160];
    long total = 0, wrong = 0, i;
    int size, k;
    memset(&c, 0, sizeof c);
    size = fm_team_run(n, items_worker, &c);
    for (i = 0; i < N_ITEMS; i++) wrong += c.taken[i] != 1;
    for (k = 0; k < FM_MAX_TEAM; k++) total += c.per_rank[k];
    snprintf(what, sizeof what,
             "work items: %d threads share %d items, %ld not taken exactly once", n, N_ITEMS,
             wrong);
    /* every thread asks once past the end */
    check(size == n && wrong == 0 && total == N_ITEMS && c.next == N_ITEMS + size, what);
}

static void test_team_sizes(void) {
    static items_case c;
    char what[160];
    int size, k, once = 1;
    memset(&c, 0, sizeof c);
    size = fm_team_run(FM_MAX_TEAM + 8, items_worker, &c);
    for (k = 0; k < FM_MAX_TEAM; k++) once &= c.ran[k] == 1;
    snprintf(what, sizeof what, "team of %d asked: %d threads, each rank ran once",
             FM_MAX_TEAM + 8, size);
    check(size == FM_MAX_TEAM && once, what);
    memset(&c, 0, sizeof c);
    size = fm_team_run(1, items_worker, &c);
    check(size == 1 && c.ran[0] == 1 && c.per_rank[0] == N_ITEMS,
          "team of one: the caller alone runs it as rank 0");
}

/* ---------------------------------------------------------------------- */
/* Atomics                                                                 */
/* ---------------------------------------------------------------------- */
#define N_ADDS 200000

typedef struct {
    int a, b;
    ptrdiff_t z;
    long z_seen_bad;
} adds_case;

static void adds_worker(void *arg, fm_team_t *team, int rank) {
    adds_case *c = (adds_case *)arg;
    ptrdiff_t last = -1, old;
    int i;
    (void)team, (void)rank;
    for (i = 0; i < N_ADDS; i++) {
        fm_atomic_add_acq_rel(&c->a, 1);
        fm_atomic_add_seq_cst(&c->b, 2);
        old = fm_atomic_fetch_add_relaxed(&c->z, 3);
        /* one thread's fetch-adds see increasing values, each a multiple of 3 */
        if (old <= last || old % 3 != 0) c->z_seen_bad++;
        last = old;
    }
}

static void test_atomics(void) {
    int x = 0;
    ptrdiff_t z = 10;
    adds_case c;
    char what[160];
    int n;
    check(fm_atomic_add_acq_rel(&x, 5) == 5 && fm_atomic_add_seq_cst(&x, -2) == 3 &&
              fm_atomic_fetch_add_relaxed(&z, 4) == 10 && z == 14,
          "atomics: add returns the new value, fetch-add the old one");
    fm_atomic_store_relaxed(&x, 7);
    check(fm_atomic_load_acquire(&x) == 7, "atomics: relaxed store, acquire load");
    fm_atomic_store_release(&x, 8);
    check(fm_atomic_load_seq_cst(&x) == 8, "atomics: release store, seq_cst load");
    fm_atomic_store_seq_cst(&x, -9);
    check(fm_atomic_load_acquire(&x) == -9, "atomics: seq_cst store");
    for (n = 2; n <= 4; n++) {
        memset(&c, 0, sizeof c);
        fm_team_run(n, adds_worker, &c);
        snprintf(what, sizeof what, "atomics: %d threads x %d adds: a %d, b %d, z %ld", n,
                 N_ADDS, c.a, c.b, (long)c.z);
        check(c.a == n * N_ADDS && c.b == 2 * n * N_ADDS && c.z == (ptrdiff_t)3 * n * N_ADDS &&
                  c.z_seen_bad == 0,
              what);
    }
}

/* ---------------------------------------------------------------------- */
/* Sleep and wake                                                          */
/* ---------------------------------------------------------------------- */
typedef struct {
    fm_word_t word;
    int woke;
} word_case;

static void word_sleeper(void *arg) {
    word_case *c = (word_case *)arg;
    while (fm_atomic_load_acquire(&c->word.value) == 0) fm_word_wait(&c->word, 0);
    fm_atomic_add_seq_cst(&c->woke, 1);
}

static void test_word(void) {
    word_case c;
    fm_thread_t t[3];
    int i, started = 0;
    fm_word_init(&c.word, 0);
    c.woke = 0;
    fm_word_wait(&c.word, 1); /* the value is not 1: returns at once */
    for (i = 0; i < 3; i++) started += fm_thread_start(&t[i], word_sleeper, &c) == 0;
    sleep_ms(20);
    check(started == 3 && fm_atomic_load_seq_cst(&c.woke) == 0,
          "sleep: 3 threads wait while the word is unchanged");
    fm_atomic_store_seq_cst(&c.word.value, 1);
    fm_word_wake_all(&c.word);
    for (i = 0; i < started; i++) fm_thread_join(&t[i]);
    check(c.woke == 3, "sleep: one wake after the change wakes all 3");
    fm_word_destroy(&c.word);
}

/* ---------------------------------------------------------------------- */
/* Memory, time, CPU                                                       */
/* ---------------------------------------------------------------------- */
static void test_aligned_alloc(void) {
    static const size_t aligns[] = {sizeof(void *), 16, 32, 64, 128, 4096};
    static const size_t sizes[] = {0, 1, 7, 1000, 1 << 20};
    int ok = 1;
    size_t a, s;
    for (a = 0; a < sizeof aligns / sizeof *aligns; a++)
        for (s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            unsigned char *p = (unsigned char *)fm_aligned_alloc(aligns[a], sizes[s]);
            if (p == NULL || (size_t)p % aligns[a] != 0) ok = 0;
            if (p != NULL) {
                memset(p, 0xA5, sizes[s]);
                fm_aligned_free(p);
            }
        }
    check(ok, "aligned allocation: 8 to 4096 bytes of alignment, 0 to 1 MiB");
}

static void test_clock_and_prefetch(void) {
    double t0 = fm_monotonic_seconds(), t1;
    double rows[4 * 20];
    ptrdiff_t idx[3] = {3, 0, 2};
    sleep_ms(20);
    t1 = fm_monotonic_seconds();
    check(t1 - t0 >= 0.015, "monotonic clock: a 20 ms sleep advances it");
    memset(rows, 0, sizeof rows);
    fm_prefetch_rows((const char *)rows, idx, 3, 20 * sizeof(double));
    check(1, "prefetch of gathered rows");
}

static void test_cpu(void) {
    char what[200];
    int f = fm_cpu_features();
    snprintf(what, sizeof what, "cpu: avx2 %d, fma %d, avx512f %d, neon %d (%s)",
             fm_cpu_has_avx2(), fm_cpu_has_fma(), fm_cpu_has_avx512f(), fm_cpu_has_neon(),
#if defined(FM_X86_64)
             "x86-64"
#elif defined(FM_AARCH64)
             "aarch64"
#else
             "other"
#endif
    );
    check(f == fm_cpu_detect(), what);
#if defined(FM_X86_64) && defined(__GNUC__)
    __builtin_cpu_init();
    snprintf(what, sizeof what,
             "cpu: the same as __builtin_cpu_supports (avx2 %d, fma %d, avx512f %d)",
             !!__builtin_cpu_supports("avx2"), !!__builtin_cpu_supports("fma"),
             !!__builtin_cpu_supports("avx512f"));
    check(fm_cpu_has_avx2() == !!__builtin_cpu_supports("avx2") &&
              fm_cpu_has_fma() == !!__builtin_cpu_supports("fma") &&
              fm_cpu_has_avx512f() == !!__builtin_cpu_supports("avx512f"),
          what);
#endif
#ifdef FM_AARCH64
    check(fm_cpu_has_neon() && !fm_cpu_has_avx2(), "cpu: aarch64 has NEON");
#endif
}

int main(void) {
    int n;
    printf("platform: %s threads, %s sleep, %s atomics\n",
#ifdef _WIN32
           "Windows",
#else
           "POSIX",
#endif
#if defined(FM_WAIT_FUTEX)
           "futex",
#elif defined(FM_WAIT_ADDRESS)
           "WaitOnAddress",
#else
           "condition-variable",
#endif
#ifdef FM_MSVC
           "MSVC intrinsic"
#else
           "__atomic builtin"
#endif
    );
    test_atomics();
    test_aligned_alloc();
    test_clock_and_prefetch();
    test_cpu();
    test_word();
    /* fewer rounds once the team outnumbers 2 cores: each barrier then waits
     * for a thread to be scheduled again */
    for (n = 1; n <= 4; n++) test_barrier(n, n <= 2 ? 20000 : 2000, 0);
    for (n = 2; n <= 4; n++) test_barrier(n, 400, 40);
    for (n = 1; n <= 4; n++) test_work_items(n);
    test_team_sizes();
    return summary();
}

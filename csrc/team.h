/* The engine's thread team: threads started for one call (an epoch, a
 * prediction) and joined at its end, so no thread outlives a call and a process
 * may fork at any time between calls.
 *
 * fm_team_run(n, fn, arg) runs fn(arg, team, rank) on n threads, the caller
 * being rank 0; fm_team_barrier is called by every thread of the team at the
 * same points of the same loop (spinning briefly, then sleeping).  A
 * team of one creates no thread and its barriers do nothing. */
#ifndef FASTMLP_TEAM_H
#define FASTMLP_TEAM_H

#include <pthread.h>
#include <sched.h>
#include <stddef.h>

#ifdef __linux__
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define FM_MAX_TEAM 64
/* About 50-100 us of spinning: a barrier of a running team opens much sooner;
 * a longer wait means a thread of the team lost its CPU, and the waiting
 * threads then sleep (a futex on Linux, else yield) so that it gets it back. */
#define FM_SPINS_BEFORE_SLEEP 2000

typedef struct {
    int size;      /* threads in the team */
    int count;     /* arrivals at the current barrier */
    int sense;     /* flips each time a barrier opens */
    int sleepers;  /* threads asleep (or about to be) on `sense` */
} fm_team_t;

typedef void (*fm_team_fn)(void *arg, fm_team_t *team, int rank);

static inline void fm_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Sense-reversing barrier; *sense is the calling thread's own flag (start 0). */
static inline void fm_team_barrier(fm_team_t *team, int *sense) {
    int s, spins = 0;
    if (team->size <= 1) return;
    s = !*sense;
    *sense = s;
    if (__atomic_add_fetch(&team->count, 1, __ATOMIC_ACQ_REL) == team->size) {
        __atomic_store_n(&team->count, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&team->sense, s, __ATOMIC_SEQ_CST);
#ifdef __linux__
        /* A sleeper counts itself before it checks `sense` and sleeps only while
         * `sense` is unchanged, so either it sees the flip or this sees it. */
        if (__atomic_load_n(&team->sleepers, __ATOMIC_SEQ_CST) > 0)
            syscall(SYS_futex, &team->sense, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#endif
        return;
    }
    while (__atomic_load_n(&team->sense, __ATOMIC_ACQUIRE) != s) {
        if (++spins < FM_SPINS_BEFORE_SLEEP) {
            fm_cpu_relax();
            continue;
        }
#ifdef __linux__
        __atomic_add_fetch(&team->sleepers, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&team->sense, __ATOMIC_SEQ_CST) != s)
            syscall(SYS_futex, &team->sense, FUTEX_WAIT_PRIVATE, !s, NULL, NULL, 0);
        __atomic_sub_fetch(&team->sleepers, 1, __ATOMIC_SEQ_CST);
#else
        sched_yield();
#endif
    }
}

typedef struct {
    fm_team_fn fn;
    void *arg;
    fm_team_t *team;
    int rank;
    int *go;
} fm_member_t;

static void *fm_member_main(void *p) {
    fm_member_t *m = (fm_member_t *)p;
    /* Wait until the team's size is known (some threads may fail to start). */
    while (!__atomic_load_n(m->go, __ATOMIC_ACQUIRE)) sched_yield();
    m->fn(m->arg, m->team, m->rank);
    return NULL;
}

/* Runs fn on up to n threads; returns the size of the team that ran it (fewer
 * than n when the system refused to create more threads, 1 at least). */
static int fm_team_run(int n, fm_team_fn fn, void *arg) {
    pthread_t threads[FM_MAX_TEAM];
    fm_member_t members[FM_MAX_TEAM];
    fm_team_t team = {1, 0, 0, 0};
    int go = 0, started = 0, i;
    if (n > FM_MAX_TEAM) n = FM_MAX_TEAM;
    for (i = 1; i < n; i++) {
        members[i].fn = fn;
        members[i].arg = arg;
        members[i].team = &team;
        members[i].rank = i;
        members[i].go = &go;
        if (pthread_create(&threads[i], NULL, fm_member_main, &members[i]) != 0) break;
        started++;
    }
    team.size = started + 1;
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    fn(arg, &team, 0);
    for (i = 1; i <= started; i++) pthread_join(threads[i], NULL);
    return team.size;
}

/* Hands out work items 0, 1, 2, ... to whichever thread asks first. */
static inline ptrdiff_t fm_next_item(ptrdiff_t *counter) {
    return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* Ask for rows[0..n) of a row-major matrix (row_bytes per row) to be brought
 * into the cache ahead of a gather, while the core is busy with arithmetic. */
static inline void fm_prefetch_rows(const char *base, const ptrdiff_t *rows,
                                    ptrdiff_t n, ptrdiff_t row_bytes) {
    ptrdiff_t r, off;
    for (r = 0; r < n; r++) {
        const char *row = base + rows[r] * row_bytes;
        for (off = 0; off < row_bytes; off += 64) __builtin_prefetch(row + off, 0, 1);
    }
}

#endif

/* The engine's thread team: threads started for one call (an epoch, a
 * prediction) and joined at its end, so no thread outlives a call and a process
 * may fork at any time between calls.
 *
 * fm_team_run(n, fn, arg) runs fn(arg, team, rank) on n threads, the caller
 * being rank 0; fm_team_barrier is called by every thread of the team at the
 * same points of the same loop (spinning briefly, then sleeping).  A
 * team of one creates no thread and its barriers do nothing.  Threads, atomics
 * and the sleep come from platform.h. */
#ifndef FASTMLP_TEAM_H
#define FASTMLP_TEAM_H

#include <stddef.h>

#include "platform.h"

#define FM_MAX_TEAM 64
/* About 50-100 us of spinning: a barrier of a running team opens much sooner;
 * a longer wait means a thread of the team lost its CPU, and the waiting
 * threads then sleep (fm_word_wait) so that it gets it back. */
#define FM_SPINS_BEFORE_SLEEP 2000

typedef struct {
    int size;        /* threads in the team */
    int count;       /* arrivals at the current barrier */
    fm_word_t sense; /* flips each time a barrier opens */
    int sleepers;    /* threads asleep (or about to be) on `sense` */
} fm_team_t;

typedef void (*fm_team_fn)(void *arg, fm_team_t *team, int rank);

/* Sense-reversing barrier; *sense is the calling thread's own flag (start 0). */
static inline void fm_team_barrier(fm_team_t *team, int *sense) {
    int s, spins = 0;
    if (team->size <= 1) return;
    s = !*sense;
    *sense = s;
    if (fm_atomic_add_acq_rel(&team->count, 1) == team->size) {
        fm_atomic_store_relaxed(&team->count, 0);
        fm_atomic_store_seq_cst(&team->sense.value, s);
        /* A sleeper counts itself before it checks `sense` and sleeps only while
         * `sense` is unchanged, so either it sees the flip or this sees it. */
        if (fm_atomic_load_seq_cst(&team->sleepers) > 0) fm_word_wake_all(&team->sense);
        return;
    }
    while (fm_atomic_load_acquire(&team->sense.value) != s) {
        if (++spins < FM_SPINS_BEFORE_SLEEP) {
            fm_cpu_relax();
            continue;
        }
        fm_atomic_add_seq_cst(&team->sleepers, 1);
        if (fm_atomic_load_seq_cst(&team->sense.value) != s) fm_word_wait(&team->sense, !s);
        fm_atomic_add_seq_cst(&team->sleepers, -1);
    }
}

typedef struct {
    fm_team_fn fn;
    void *arg;
    fm_team_t *team;
    int rank;
    int *go;
} fm_member_t;

static void fm_member_main(void *p) {
    fm_member_t *m = (fm_member_t *)p;
    /* Wait until the team's size is known (some threads may fail to start). */
    while (!fm_atomic_load_acquire(m->go)) fm_yield();
    m->fn(m->arg, m->team, m->rank);
}

/* Runs fn on up to n threads; returns the size of the team that ran it (fewer
 * than n when the system refused to create more threads, 1 at least). */
static int fm_team_run(int n, fm_team_fn fn, void *arg) {
    fm_thread_t threads[FM_MAX_TEAM];
    fm_member_t members[FM_MAX_TEAM];
    fm_team_t team;
    int go = 0, started = 0, i;
    team.size = 1;
    team.count = 0;
    team.sleepers = 0;
    fm_word_init(&team.sense, 0);
    if (n > FM_MAX_TEAM) n = FM_MAX_TEAM;
    for (i = 1; i < n; i++) {
        members[i].fn = fn;
        members[i].arg = arg;
        members[i].team = &team;
        members[i].rank = i;
        members[i].go = &go;
        if (fm_thread_start(&threads[i], fm_member_main, &members[i]) != 0) break;
        started++;
    }
    team.size = started + 1;
    fm_atomic_store_release(&go, 1);
    fn(arg, &team, 0);
    for (i = 1; i <= started; i++) fm_thread_join(&threads[i]);
    fm_word_destroy(&team.sense);
    return team.size;
}

/* Hands out work items 0, 1, 2, ... to whichever thread asks first. */
static inline ptrdiff_t fm_next_item(ptrdiff_t *counter) {
    return fm_atomic_fetch_add_relaxed(counter, 1);
}

/* Ask for rows[0..n) of a row-major matrix (row_bytes per row) to be brought
 * into the cache ahead of a gather, while the core is busy with arithmetic. */
static inline void fm_prefetch_rows(const char *base, const ptrdiff_t *rows,
                                    ptrdiff_t n, ptrdiff_t row_bytes) {
    ptrdiff_t r, off;
    for (r = 0; r < n; r++) {
        const char *row = base + rows[r] * row_bytes;
        for (off = 0; off < row_bytes; off += 64) fm_prefetch(row + off);
    }
}

#endif

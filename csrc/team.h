/* Synchronisation of the engine's thread team (an OpenMP parallel region).
 *
 * fm_team_barrier is called by every thread of the team at the same points of
 * the same loop; with a team of one thread (or a build without OpenMP) it does
 * nothing, so the single-threaded path never touches the OpenMP runtime. */
#ifndef FASTMLP_TEAM_H
#define FASTMLP_TEAM_H

#include <stddef.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static inline void fm_team_barrier(int n_threads) {
#ifdef _OPENMP
    if (n_threads > 1) {
        _Pragma("omp barrier")
    }
#else
    (void)n_threads;
#endif
}

/* Threads in the current team (1 outside a parallel region). */
static inline int fm_team_size(void) {
#ifdef _OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}

static inline int fm_team_rank(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Hands out work items 0, 1, 2, ... to whichever thread asks first. */
static inline ptrdiff_t fm_next_item(ptrdiff_t *counter) {
#if defined(__GNUC__)
    return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
#else
    ptrdiff_t item;
#ifdef _OPENMP
    _Pragma("omp atomic capture")
#endif
    item = (*counter)++;
    return item;
#endif
}

/* Ask for rows[0..n) of a row-major matrix (row_bytes per row) to be brought
 * into the cache ahead of a gather, while the core is busy with arithmetic. */
static inline void fm_prefetch_rows(const char *base, const ptrdiff_t *rows,
                                    ptrdiff_t n, ptrdiff_t row_bytes) {
#if defined(__GNUC__)
    ptrdiff_t r, off;
    for (r = 0; r < n; r++) {
        const char *row = base + rows[r] * row_bytes;
        for (off = 0; off < row_bytes; off += 64) __builtin_prefetch(row + off, 0, 1);
    }
#else
    (void)base; (void)rows; (void)n; (void)row_bytes;
#endif
}

#endif

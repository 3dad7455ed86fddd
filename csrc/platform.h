/* What the C core needs from the operating system, the compiler and the
 * processor, in one place, so that every other header of csrc/ is plain C:
 *
 *   threads        fm_thread_start / fm_thread_join, fm_yield, fm_cpu_relax
 *   atomics        on int: loads, stores and add-and-fetch, each with the
 *                  ordering its name says (the team's barrier); on ptrdiff_t:
 *                  the relaxed fetch-add of work counters
 *   sleep, wake    fm_word_t, an int that threads sleep on until it changes:
 *                  a futex on Linux, WaitOnAddress on Windows, a mutex and a
 *                  condition variable elsewhere
 *   CPU features   fm_cpu_has_avx2 / _fma / _avx512f: the processor has the
 *                  instructions and the operating system saves their registers
 *                  (what GCC's __builtin_cpu_supports answers); fm_cpu_has_neon
 *   memory         fm_aligned_alloc / fm_aligned_free, fm_prefetch
 *   time           fm_monotonic_seconds
 *
 * GCC and clang (clang-cl too) use their __atomic builtins and <cpuid.h>; MSVC
 * its Interlocked and cpuid intrinsics.  Threads are Windows threads under
 * _WIN32 (MSVC and mingw-w64), POSIX threads elsewhere.  Defining
 * FM_PLATFORM_MSVC_INTRINSICS builds the MSVC branch with mingw-w64's
 * <intrin.h>, and FM_PLATFORM_PORTABLE_WAIT the condition-variable sleep on
 * any POSIX system: the C harness (csrc/tests/) tests both that way. */
#ifndef FASTMLP_PLATFORM_H
#define FASTMLP_PLATFORM_H

#include <stddef.h>
#include <stdlib.h>

#if (defined(_MSC_VER) && !defined(__clang__)) || defined(FM_PLATFORM_MSVC_INTRINSICS)
#define FM_MSVC 1
#include <intrin.h>
#endif

#if defined(__x86_64__) || defined(_M_X64)
#define FM_X86_64 1
#elif defined(__aarch64__) || defined(_M_ARM64)
#define FM_AARCH64 1
#endif

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#include <malloc.h>
#include <process.h>
#if defined(_MSC_VER)
#pragma comment(lib, "synchronization.lib") /* WaitOnAddress (Windows 8 and later) */
#endif
#define FM_WAIT_ADDRESS 1
#else
#include <pthread.h>
#include <sched.h>
#include <time.h>
#if defined(__linux__) && !defined(FM_PLATFORM_PORTABLE_WAIT)
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#define FM_WAIT_FUTEX 1
#else
#define FM_WAIT_CONDVAR 1
#endif
#endif

#if !defined(FM_MSVC) && defined(FM_X86_64)
#include <cpuid.h>
#endif

/* ---------------------------------------------------------------------- */
/* Atomics                                                                 */
/* ---------------------------------------------------------------------- */
#ifndef FM_MSVC

static inline int fm_atomic_load_acquire(const int *p) {
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline int fm_atomic_load_seq_cst(const int *p) {
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
static inline void fm_atomic_store_relaxed(int *p, int v) {
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
static inline void fm_atomic_store_release(int *p, int v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline void fm_atomic_store_seq_cst(int *p, int v) {
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}
/* *p += v; returns the new value. */
static inline int fm_atomic_add_acq_rel(int *p, int v) {
    return __atomic_add_fetch(p, v, __ATOMIC_ACQ_REL);
}
static inline int fm_atomic_add_seq_cst(int *p, int v) {
    return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}
/* *p += v; returns the old value (a work counter: no ordering). */
static inline ptrdiff_t fm_atomic_fetch_add_relaxed(ptrdiff_t *p, ptrdiff_t v) {
    return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

#else /* MSVC: int and long are both 32 bits on Windows */

/* Plain loads and stores are acquire and release on x86-64 as long as the
 * compiler keeps them in place; on ARM64 a full barrier orders them. */
#ifdef FM_X86_64
#define FM_FENCE() _ReadWriteBarrier()
#else
#define FM_FENCE() __dmb(_ARM64_BARRIER_ISH)
#endif

static inline int fm_atomic_load_acquire(const int *p) {
    int v = *(const volatile int *)p;
    FM_FENCE();
    return v;
}
static inline int fm_atomic_load_seq_cst(const int *p) {
    /* Sequential consistency comes from the stores, which are full barriers. */
    return fm_atomic_load_acquire(p);
}
static inline void fm_atomic_store_relaxed(int *p, int v) {
    *(volatile int *)p = v;
}
static inline void fm_atomic_store_release(int *p, int v) {
    FM_FENCE();
    *(volatile int *)p = v;
}
static inline void fm_atomic_store_seq_cst(int *p, int v) {
    _InterlockedExchange((volatile long *)p, (long)v);
}
static inline int fm_atomic_add_acq_rel(int *p, int v) {
    return (int)_InterlockedExchangeAdd((volatile long *)p, (long)v) + v;
}
static inline int fm_atomic_add_seq_cst(int *p, int v) {
    return (int)_InterlockedExchangeAdd((volatile long *)p, (long)v) + v;
}
static inline ptrdiff_t fm_atomic_fetch_add_relaxed(ptrdiff_t *p, ptrdiff_t v) {
#ifdef _WIN64
    return (ptrdiff_t)_InterlockedExchangeAdd64((volatile __int64 *)p, (__int64)v);
#else
    return (ptrdiff_t)_InterlockedExchangeAdd((volatile long *)p, (long)v);
#endif
}
#undef FM_FENCE

#endif /* FM_MSVC */

/* ---------------------------------------------------------------------- */
/* Threads                                                                 */
/* ---------------------------------------------------------------------- */
/* A thread runs fn(arg); *t must stay in place until fm_thread_join(t). */
typedef struct {
#ifdef _WIN32
    HANDLE handle;
#else
    pthread_t handle;
#endif
    void (*fn)(void *arg);
    void *arg;
} fm_thread_t;

#ifdef _WIN32
static unsigned __stdcall fm_thread_main(void *p) {
    fm_thread_t *t = (fm_thread_t *)p;
    t->fn(t->arg);
    return 0;
}
#else
static void *fm_thread_main(void *p) {
    fm_thread_t *t = (fm_thread_t *)p;
    t->fn(t->arg);
    return NULL;
}
#endif

/* Starts fn(arg) on a new thread; returns 0, or -1 when the system refuses. */
static inline int fm_thread_start(fm_thread_t *t, void (*fn)(void *arg), void *arg) {
    t->fn = fn;
    t->arg = arg;
#ifdef _WIN32
    t->handle = (HANDLE)_beginthreadex(NULL, 0, fm_thread_main, t, 0, NULL);
    return t->handle != NULL ? 0 : -1;
#else
    return pthread_create(&t->handle, NULL, fm_thread_main, t) == 0 ? 0 : -1;
#endif
}

static inline void fm_thread_join(fm_thread_t *t) {
#ifdef _WIN32
    WaitForSingleObject(t->handle, INFINITE);
    CloseHandle(t->handle);
#else
    pthread_join(t->handle, NULL);
#endif
}

/* Give the CPU to another thread that is ready to run. */
static inline void fm_yield(void) {
#ifdef _WIN32
    SwitchToThread();
#else
    sched_yield();
#endif
}

/* The pause of a spin-wait loop. */
static inline void fm_cpu_relax(void) {
#if defined(FM_MSVC) && defined(FM_X86_64)
    _mm_pause();
#elif defined(FM_MSVC) && defined(FM_AARCH64)
    __yield();
#elif defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* ---------------------------------------------------------------------- */
/* Sleep and wake                                                          */
/* ---------------------------------------------------------------------- */
/* An int that threads can sleep on until another thread changes it.  `value`
 * is read and written with the fm_atomic_* functions. */
typedef struct {
    int value;
#ifdef FM_WAIT_CONDVAR
    pthread_mutex_t lock;
    pthread_cond_t changed;
#endif
} fm_word_t;

static inline void fm_word_init(fm_word_t *w, int value) {
    w->value = value;
#ifdef FM_WAIT_CONDVAR
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->changed, NULL);
#endif
}

static inline void fm_word_destroy(fm_word_t *w) {
#ifdef FM_WAIT_CONDVAR
    pthread_cond_destroy(&w->changed);
    pthread_mutex_destroy(&w->lock);
#else
    (void)w;
#endif
}

/* Sleeps while w->value == expected; may return early (the caller looks at
 * the value again). */
static inline void fm_word_wait(fm_word_t *w, int expected) {
#if defined(FM_WAIT_FUTEX)
    syscall(SYS_futex, &w->value, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
#elif defined(FM_WAIT_ADDRESS)
    WaitOnAddress((volatile VOID *)&w->value, &expected, sizeof(int), INFINITE);
#else
    pthread_mutex_lock(&w->lock);
    while (fm_atomic_load_seq_cst(&w->value) == expected)
        pthread_cond_wait(&w->changed, &w->lock);
    pthread_mutex_unlock(&w->lock);
#endif
}

/* Wakes every thread asleep in fm_word_wait(w); called after w->value changed. */
static inline void fm_word_wake_all(fm_word_t *w) {
#if defined(FM_WAIT_FUTEX)
    syscall(SYS_futex, &w->value, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#elif defined(FM_WAIT_ADDRESS)
    WakeByAddressAll((PVOID)&w->value);
#else
    /* A sleeper checks the value holding the lock: taking it here means every
     * thread that saw the old value is now inside pthread_cond_wait. */
    pthread_mutex_lock(&w->lock);
    pthread_mutex_unlock(&w->lock);
    pthread_cond_broadcast(&w->changed);
#endif
}

/* ---------------------------------------------------------------------- */
/* CPU features                                                            */
/* ---------------------------------------------------------------------- */
/* Bits of fm_cpu_features(). */
enum { FM_CPU_AVX2 = 1, FM_CPU_FMA = 2, FM_CPU_AVX512F = 4, FM_CPU_NEON = 8 };

#ifdef FM_X86_64
static inline void fm_cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
#ifdef FM_MSVC
    int v[4];
    __cpuidex(v, (int)leaf, (int)sub);
    r[0] = (unsigned)v[0], r[1] = (unsigned)v[1], r[2] = (unsigned)v[2], r[3] = (unsigned)v[3];
#else
    r[0] = r[1] = r[2] = r[3] = 0;
    __get_cpuid_count(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
#endif
}

/* XCR0: the register states the operating system saves on a context switch. */
static inline unsigned long long fm_xcr0(void) {
#ifdef FM_MSVC
    return _xgetbv(0);
#else
    unsigned lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
#endif
}

static inline int fm_cpu_detect(void) {
    unsigned r[4], max_leaf, ecx1;
    unsigned long long xcr0 = 0;
    int avx_saved, avx512_saved, found = 0;
    fm_cpuid(0, 0, r);
    max_leaf = r[0];
    fm_cpuid(1, 0, r);
    ecx1 = r[2];
    if (ecx1 & (1u << 27)) xcr0 = fm_xcr0(); /* OSXSAVE: xgetbv may run */
    avx_saved = (xcr0 & 0x6) == 0x6;         /* XMM and YMM */
#ifdef __APPLE__
    /* macOS turns the AVX-512 state on at a thread's first AVX-512
     * instruction, so XCR0 does not show it beforehand (compiler-rt decides
     * the same way). */
    avx512_saved = avx_saved;
#else
    avx512_saved = (xcr0 & 0xe6) == 0xe6;    /* and the mask and ZMM registers */
#endif
    if (avx_saved && (ecx1 & (1u << 12))) found |= FM_CPU_FMA;
    if (max_leaf >= 7) {
        fm_cpuid(7, 0, r);
        if (avx_saved && (r[1] & (1u << 5))) found |= FM_CPU_AVX2;
        if (avx512_saved && (r[1] & (1u << 16))) found |= FM_CPU_AVX512F;
    }
    return found;
}
#elif defined(FM_AARCH64)
/* Advanced SIMD (NEON) is part of every aarch64 processor. */
static inline int fm_cpu_detect(void) { return FM_CPU_NEON; }
#else
static inline int fm_cpu_detect(void) { return 0; }
#endif

/* The FM_CPU_* bits of this processor, found once per module that asks. */
static inline int fm_cpu_features(void) {
    static int known = -1; /* one word, the same whoever writes it first */
    int found = fm_atomic_load_acquire(&known);
    if (found < 0) {
        found = fm_cpu_detect();
        fm_atomic_store_release(&known, found);
    }
    return found;
}

static inline int fm_cpu_has_avx2(void) { return (fm_cpu_features() & FM_CPU_AVX2) != 0; }
static inline int fm_cpu_has_fma(void) { return (fm_cpu_features() & FM_CPU_FMA) != 0; }
static inline int fm_cpu_has_avx512f(void) {
    return (fm_cpu_features() & FM_CPU_AVX512F) != 0;
}
static inline int fm_cpu_has_neon(void) { return (fm_cpu_features() & FM_CPU_NEON) != 0; }

/* ---------------------------------------------------------------------- */
/* Memory and time                                                         */
/* ---------------------------------------------------------------------- */
/* size bytes at an address that is a multiple of `alignment` (a power of two,
 * at least sizeof(void *)); NULL when out of memory.  Freed by fm_aligned_free
 * only. */
static inline void *fm_aligned_alloc(size_t alignment, size_t size) {
#ifdef _WIN32
    return _aligned_malloc(size ? size : 1, alignment);
#else
    void *p;
    return posix_memalign(&p, alignment, size ? size : 1) == 0 ? p : NULL;
#endif
}

static inline void fm_aligned_free(void *p) {
#ifdef _WIN32
    _aligned_free(p);
#else
    free(p);
#endif
}

/* Ask for the cache line at p to be brought in for reading, ahead of use. */
static inline void fm_prefetch(const void *p) {
#if defined(FM_MSVC) && defined(FM_X86_64)
    _mm_prefetch((const char *)p, _MM_HINT_T2);
#elif defined(FM_MSVC) && defined(FM_AARCH64)
    __prefetch(p);
#else
    __builtin_prefetch(p, 0, 1);
#endif
}

/* Seconds on a clock that never goes back (its origin is arbitrary). */
static inline double fm_monotonic_seconds(void) {
#ifdef _WIN32
    LARGE_INTEGER count, freq;
    QueryPerformanceCounter(&count);
    QueryPerformanceFrequency(&freq);
    return (double)count.QuadPart / (double)freq.QuadPart;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
#endif
}

#endif /* FASTMLP_PLATFORM_H */

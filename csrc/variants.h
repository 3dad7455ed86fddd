/* How csrc/ compiles one source for several element types and instruction sets.
 *
 * Element types: a body file is written once in terms of FM_T (the element type)
 * and FM_SFX (the name suffix: _d for double, _s for float), names its functions
 * FM_NAME(name) (name followed by the suffix) and lists at its top the other
 * macros it needs; its includer defines them and includes it once per type, and
 * the body undefines them at its end.  The bodies: elementwise_body.h,
 * optim_body.h, gemm_entry.h, and gemm_simd.h, included once per instruction set
 * and type.
 *
 * Instruction sets, two ways:
 *   - plain loops (elementwise_body.h, optim_body.h) carry FM_CLONES: the
 *     compiler vectorises one clone of the function per instruction set and the
 *     dynamic loader picks the widest the CPU runs.  The build disables FMA
 *     contraction, and every operation in these loops is an IEEE add, multiply,
 *     divide, compare, square root or libm call on one element, so each clone
 *     gives the same bits as the baseline SSE2 code;
 *   - kernels written with intrinsics (gemm_simd.h) are included once per
 *     instruction set inside a target pragma (GCC's target pragma, clang's
 *     attribute pragma) and chosen at run time from platform.h's CPU features
 *     (gemm_kernels.h), so that tests and benchmarks can run each of them. */
#ifndef FASTMLP_VARIANTS_H
#define FASTMLP_VARIANTS_H

#define FM_CAT2(a, b) a##b
#define FM_CAT(a, b) FM_CAT2(a, b)
#define FM_NAME(name) FM_CAT(name, FM_SFX)

/* A function inlined into every caller, which then compiles it with what it
 * knows of the arguments: constant loop bounds (gemm_simd.h's tiles), two
 * pointers that are one (elementwise_body.h's in-place rows). */
#if defined(__GNUC__)
#define FM_ALWAYS_INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define FM_ALWAYS_INLINE static __forceinline
#else
#define FM_ALWAYS_INLINE static inline
#endif

/* Clones need the GNU loader's indirect functions (ifunc) and a compiler with
 * target_clones (GCC; clang from version 14).  FM_NO_CLONES builds one
 * instruction set, the compiler's (the C tests build the loops once per
 * instruction set that way, csrc/tests/test_loops.c). */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) &&                    \
    defined(__has_attribute) && !defined(FM_NO_CLONES)
#if __has_attribute(target_clones)
#define FM_CLONES __attribute__((target_clones("default", "avx2", "avx512f")))
#endif
#endif
#ifndef FM_CLONES
#define FM_CLONES
#endif

#endif /* FASTMLP_VARIANTS_H */

/* Small dense products of MLP training, row-major, without BLAS: the contract of the
 * own kernels (gemm_kernels.h).
 *
 *     C (m, n) = op(A) B   (+ C when accumulate)
 *
 * where op(A) is A read through an optional row index (trans_a = 0:
 * A(i, p) = a[R(i) * lda + p]) or its transpose (trans_a = 1: A(i, p) =
 * a[R(p) * lda + i]), R(x) = rows ? rows[x] : x, and B(p, j) = b[p * ldb + j]
 * (or b[j * ldb + p] when trans_b).  So the first layer reads the rows of a
 * mini-batch straight from X through the batch's sample index, forward and in
 * its weight gradient, without a gathered copy.
 *
 * Fused around the product:
 *   - epi(ctx, i0, i1) runs once rows i0..i1 of C are final, in increasing row
 *     order, while they are in the first-level cache: bias and activation after
 *     a forward product, the activation derivative after a delta;
 *   - colsum[j] += sum_p B(p, j): the intercept gradient (column sums of the
 *     delta) in the same call as the weight gradient.
 *
 * Two forms, named as BLIS names its small-product kernels:
 *   rv  broadcast form: an MR x NR tile of C in registers, NR = NV vectors of VL
 *       elements; for each p, the NV vectors of B's row p are loaded and each of
 *       the MR elements A(i, p) is broadcast and multiply-added into its row of
 *       the tile.  Reads B by rows.
 *   rd  dot form, for thin C (n of a few classes): an MR x NR tile of C's elements,
 *       each the sum of VL multiply-add chains along p (a vector of A's row i times
 *       a vector of B^T's row j), added up at the end.  Reads B^T by rows.  Taken
 *       when A is not transposed, there are no column sums, C's n columns fill at
 *       most half a vector and k at least 32 bytes (fm_gemm_dot_form).
 * When B is stored in the other layout than the form reads, the kernel first
 * copies it (k * n elements) into g->pack, a buffer the caller owns and sizes
 * with fm_gemm_pack_elems; no kernel allocates memory.  The portable variant
 * reads B in place in either layout.
 *
 * Variants: AVX-512F, AVX2 + FMA (x86-64, GCC or clang), NEON (aarch64) and
 * portable C, chosen when first called from what the CPU supports (platform.h's
 * fm_cpu_has_*; fm_gemm_set_isa overrides, for tests and benchmarks).  No -march
 * flag is needed: the x86 variants carry their target in a pragma, and NEON is
 * part of every aarch64 processor.
 * The kernels' names carry form, instruction set, element type and tile:
 * fm_gemm_<form>_<isa>_<d|s><MR>x<NR>, NR written as NV "v" (vectors) in the
 * broadcast form: fm_gemm_rv_avx512_d8x3v is the broadcast form with AVX-512F on
 * doubles, 8 rows x 3 vectors of 8 (NR = 24); fm_gemm_rd_avx2_s4x2 the dot form
 * with AVX2 on floats, 4 rows x 2 columns.
 *
 *   kernel                    tile          VL  KC  vector registers
 *   fm_gemm_rv_avx512_d8x3v   8 x 3 x 8      8  64  24 C + 3 B + 1 A = 28 of 32 zmm
 *   fm_gemm_rv_avx512_s8x3v   8 x 3 x 16    16  64  24 C + 3 B + 1 A = 28 of 32 zmm
 *   fm_gemm_rd_avx512_d4x4    4 x 4          8   -  16 C + 4 B + 1 A = 21 of 32 zmm
 *   fm_gemm_rd_avx512_s4x4    4 x 4         16   -  16 C + 4 B + 1 A = 21 of 32 zmm
 *   fm_gemm_rv_avx2_d4x3v     4 x 3 x 4      4  64  12 C + 3 B + 1 A = 16 of 16 ymm
 *   fm_gemm_rv_avx2_s4x3v     4 x 3 x 8      8  64  12 C + 3 B + 1 A = 16 of 16 ymm
 *   fm_gemm_rd_avx2_d4x2      4 x 2          4   -   8 C + 2 B + 1 A = 11 of 16 ymm
 *   fm_gemm_rd_avx2_s4x2      4 x 2          8   -   8 C + 2 B + 1 A = 11 of 16 ymm
 *   fm_gemm_rv_neon_d8x3v     8 x 3 x 2      2  64  24 C + 3 B + 1 A = 28 of 32 q
 *   fm_gemm_rv_neon_s8x3v     8 x 3 x 4      4  64  24 C + 3 B + 1 A = 28 of 32 q
 *   fm_gemm_rd_neon_d4x4      4 x 4          2   -  16 C + 4 B + 1 A = 21 of 32 q
 *   fm_gemm_rd_neon_s4x4      4 x 4          4   -  16 C + 4 B + 1 A = 21 of 32 q
 *   fm_gemm_portable_d/_s     FM_ROW_TILE x n (scalar loops, B in place)
 *
 * A tile is MR x NV x VL elements of C in the broadcast form (NR = NV x VL), MR x
 * NR in the dot form.  "C" counts the accumulators of the tile, "B" the vectors
 * of B (or B^T) loaded per step of p, "A" the broadcast (or loaded) element of A.
 * AVX-512 keeps the mask of an edge tile (the last, partial vector of a row) in a
 * mask register; AVX2 needs a vector register for it, so only edge tiles use a
 * mask, full tiles plain loads and stores; NEON has no masked loads and stores,
 * its edge tiles copy the partial vector through a zeroed buffer.  The NEON tiles
 * are those of AVX-512 (the same 32 registers), chosen by register budget, not
 * by measurement: no aarch64 machine was at hand, so the shape rule (choose() in
 * _gemm.pyx) hands every product to BLAS on NEON until measurements say where
 * the kernels win.  The rd tile's NR is its most columns:
 * thinner C takes tiles of fewer.  KC: the transposed product C = A^T B of at
 * least FM_KC_MIN_M rows (the weight gradient of a layer with that many inputs)
 * runs in blocks of KC rows of A and B, so that a block of B (KC x NR) stays in
 * the first-level cache while every row strip of C reads it.
 *
 * Rounding: every element of C is one chain of fused multiply-adds over p in
 * increasing order (the rd form: VL chains, summed by a fixed tree; the
 * k-blocked product: one chain per block, added in block order; the sum of the
 * VL chains by halves, lane l + VL/2 onto lane l, on every variant), whatever tile
 * or strip it falls in; so a row's result does not depend on how rows are split
 * among calls or threads, given the same m for the k-blocking.  The portable
 * variant rounds every product and sum separately. */
#ifndef FASTMLP_GEMM_H
#define FASTMLP_GEMM_H

#include <stddef.h>

/* The rows of C a tile or strip covers, for every variant: a multiple of every
 * variant's MR (8 and 4), so that rows split at multiples of it fall into whole
 * register tiles; the portable loop hands rows to the epilogue in strips of this
 * many. */
#define FM_ROW_TILE 8

/* The transposed product of at least this many rows of C is blocked in k (KC). */
#define FM_KC_MIN_M 512

/* The products of a layer with fan_in inputs and fan_out outputs over a block of
 * `rows` rows, as the engine asks for them (its per-layer choice of kernels is
 * indexed FM_N_OPS * layer + op):
 *   FM_FORWARD      Z (rows, fan_out) = X (rows, fan_in) W (fan_in, fan_out)
 *   FM_DELTA        D_prev (rows, fan_in) = D (rows, fan_out) W^T    (trans_b)
 *   FM_WEIGHT_GRAD  dW (fan_in, fan_out) (+)= X^T D, X (rows, fan_in),
 *                   D (rows, fan_out); db (fan_out) += colsum(D)     (trans_a) */
typedef enum { FM_FORWARD = 0, FM_DELTA = 1, FM_WEIGHT_GRAD = 2, FM_N_OPS = 3 } fm_op;

/* The variants (instruction sets) of the kernels. */
enum { FM_ISA_GENERIC = 0, FM_ISA_AVX2 = 1, FM_ISA_AVX512 = 2, FM_ISA_NEON = 3 };

typedef void (*fm_epilogue_t)(void *ctx, ptrdiff_t i0, ptrdiff_t i1);

typedef struct {
    int trans_a;
    ptrdiff_t m, n, k;
    const void *a;
    ptrdiff_t lda;
    const ptrdiff_t *rows;
    int accumulate;
    void *c;
    ptrdiff_t ldc;
    void *colsum;
    fm_epilogue_t epi;
    void *ctx;
    /* Room for fm_gemm_pack_elems(...) elements (NULL when that is 0): where a
     * kernel copies B into the layout its form reads. */
    void *pack;
} fm_gemm_args;

/* Bytes of a vector of variant `isa`; 0 for the portable variant. */
static inline int fm_gemm_vector_bytes(int isa) {
    return isa == FM_ISA_AVX512 ? 64
           : isa == FM_ISA_AVX2 ? 32
           : isa == FM_ISA_NEON ? 16
                                : 0;
}

/* Whether a variant with vectors of `vector_bytes` computes C (m, n) = op(A) B,
 * elements of `size` bytes, in the dot form (rd): C's n columns fill at most half
 * a vector, A is read by rows, no column sums, and k fills at least 32 bytes. */
static inline int fm_gemm_dot_form(int vector_bytes, int trans_a, int colsum, ptrdiff_t n,
                                   ptrdiff_t k, size_t size) {
    return !trans_a && !colsum && 2 * (size_t)n * size <= (size_t)vector_bytes &&
           k * (ptrdiff_t)size >= 32;
}

/* Elements that fm_gemm_d/_s may need in g->pack for C (m, n) = op(A) B, B (k, n)
 * stored transposed when trans_b, elements of `size` bytes, whatever variant runs
 * the product (fm_gemm_set_isa may change it after the buffer is sized): k * n when
 * a vector variant may copy B, else 0.  The broadcast form copies B stored
 * transposed; the dot form copies B stored as is, and the widest vector (64 bytes)
 * takes the dot form for the most shapes. */
static inline ptrdiff_t fm_gemm_pack_elems(int trans_a, int trans_b, int colsum,
                                           ptrdiff_t n, ptrdiff_t k, size_t size) {
    if (n <= 0 || k <= 0) return 0;
    return trans_b || fm_gemm_dot_form(64, trans_a, colsum, n, k, size) ? n * k : 0;
}

/* fm_gemm_pack_elems for product `op` (fm_op) of a layer with fan_in inputs and
 * fan_out outputs, at any number of rows.  The weight gradient reads its B, the
 * delta, as stored (trans_a: the broadcast form): no copy. */
static inline ptrdiff_t fm_gemm_op_pack_elems(fm_op op, ptrdiff_t fan_in,
                                              ptrdiff_t fan_out, size_t size) {
    if (op == FM_FORWARD) return fm_gemm_pack_elems(0, 0, 0, fan_out, fan_in, size);
    if (op == FM_DELTA) return fm_gemm_pack_elems(0, 1, 0, fan_in, fan_out, size);
    return 0;
}

#endif /* FASTMLP_GEMM_H */

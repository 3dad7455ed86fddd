/* Small dense products of MLP training, row-major, without BLAS:
 *
 *     C (m x n) = op(A) B   (+ C when accumulate)
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
 * Register-blocked kernels: each tile keeps FM_MR rows x FM_NV vectors of C in
 * registers and streams the k rows of B once, broadcasting A's elements; no
 * operand is packed (except B^T, copied once when trans_b).  A thin product
 * (n of a few classes) is one masked vector per row.  Variants: AVX-512F, AVX2 +
 * FMA, and portable C, chosen when first called from what the CPU supports
 * (fm_gemm_set_isa overrides, for tests and benchmarks).  No -march flag is
 * needed: the vector variants carry their target in a pragma. */
#ifndef FASTMLP_GEMM_H
#define FASTMLP_GEMM_H

#include <stddef.h>
#include <stdlib.h>

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
} fm_gemm_args;

enum { FM_ISA_GENERIC = 0, FM_ISA_AVX2 = 1, FM_ISA_AVX512 = 2 };

#endif /* FASTMLP_GEMM_H */

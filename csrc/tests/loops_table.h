/* The element-wise loops (elementwise.h) and optimizer steps (optim.h) of one
 * build as tables of function pointers, one per element type.  loops_variant.c
 * is compiled once per build variant (compiler flags) and fills the tables of
 * its variant; test_loops.c compares every variant with the scalar build. */
#ifndef FM_LOOPS_TABLE_H
#define FM_LOOPS_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define FM_LOOPS_TABLE(T, name)                                                          \
    typedef struct {                                                                     \
        void (*bias_act)(const T *z, const T *b, T *out, ptrdiff_t rows, ptrdiff_t cols, \
                         int act);                                                       \
        void (*add_bias)(T *z, const T *b, ptrdiff_t rows, ptrdiff_t cols);              \
        void (*act_deriv)(const T *a, const T *z, T *delta, ptrdiff_t n, int act);       \
        double (*loss_delta)(const T *p, const T *y, const T *sw, T *delta,              \
                             ptrdiff_t rows, ptrdiff_t cols, int loss, int out_act,      \
                             double param);                                              \
        void (*colsum_add)(const T *d, T *out, ptrdiff_t rows, ptrdiff_t cols);          \
        void (*add_vec)(T *y, const T *x, ptrdiff_t n);                                  \
        int (*all_finite)(const T *x, ptrdiff_t n);                                      \
        int (*score_rows)(const T *p, const T *y, const T *sw, ptrdiff_t rows,           \
                          ptrdiff_t cols, int rule, double *sums, T *correct);           \
        void (*dropout)(const T *a, T *mask, T *dropped, ptrdiff_t n, double rate,       \
                        uint64_t *rng);                                                  \
        void (*adam)(T *params, const T *grad, T *m, T *v, ptrdiff_t lo, ptrdiff_t hi,   \
                     T a, T s, T step, T b1, T b2, T c1, T c2, T eps, T decay);          \
        void (*sgd)(T *params, const T *grad, T *velocity, ptrdiff_t lo, ptrdiff_t hi,   \
                    T a, T s, T mu, T eta, int nesterov);                                \
        void (*adagrad_rmsprop)(T *params, const T *grad, T *s, ptrdiff_t lo,            \
                                ptrdiff_t hi, T lr, T eps, T rho, T crho,                \
                                int running_average);                                    \
        void (*adadelta)(T *params, const T *grad, T *s, T *d, ptrdiff_t lo,             \
                         ptrdiff_t hi, T lr, T eps, T rho, T crho);                      \
        double (*sum_squares)(const T *x, ptrdiff_t n);                                  \
    } name;

FM_LOOPS_TABLE(double, fm_loops_d)
FM_LOOPS_TABLE(float, fm_loops_s)

/* loops_variant.c, compiled with -DVARIANT=name, defines loops_<name>. */
#define FM_LOOPS_FILL(name) void name(fm_loops_d *d, fm_loops_s *s)

#endif /* FM_LOOPS_TABLE_H */

/* One build variant of the element-wise loops and optimizer steps for
 * test_loops.c: compiled with -DVARIANT=name and the variant's flags
 * (tools/run_c_harness.sh), it defines loops_<name>, which fills the tables of
 * loops_table.h with this build's functions.  Built as the package builds
 * them, the loops carry their clones (variants.h) and the addresses taken here
 * are the ones the loader chose for this CPU. */
#include "elementwise.h"
#include "loops_table.h"
#include "optim.h"

/* GCC 12 takes the address of a static function with clones for that of a
 * local variable (its -Wdangling-pointer). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif

#ifndef VARIANT
#error "compile with -DVARIANT=name"
#endif

#define FM_LOOPS_SET(t, SFX)                                                             \
    do {                                                                                 \
        (t)->bias_act = FM_CAT(fm_bias_act, SFX);                                        \
        (t)->add_bias = FM_CAT(fm_add_bias, SFX);                                        \
        (t)->act_deriv = FM_CAT(fm_act_deriv, SFX);                                      \
        (t)->loss_delta = FM_CAT(fm_loss_delta, SFX);                                    \
        (t)->colsum_add = FM_CAT(fm_colsum_add, SFX);                                    \
        (t)->add_vec = FM_CAT(fm_add_vec, SFX);                                          \
        (t)->all_finite = FM_CAT(fm_all_finite, SFX);                                    \
        (t)->score_rows = FM_CAT(fm_score_rows, SFX);                                    \
        (t)->dropout = FM_CAT(fm_dropout, SFX);                                          \
        (t)->adam = FM_CAT(fm_adam_update, SFX);                                         \
        (t)->sgd = FM_CAT(fm_sgd_update, SFX);                                           \
        (t)->adagrad_rmsprop = FM_CAT(fm_adagrad_rmsprop_update, SFX);                   \
        (t)->adadelta = FM_CAT(fm_adadelta_update, SFX);                                 \
        (t)->sum_squares = FM_CAT(fm_sum_squares, SFX);                                  \
    } while (0)

FM_LOOPS_FILL(FM_CAT(loops_, VARIANT)) {
    FM_LOOPS_SET(d, _d);
    FM_LOOPS_SET(s, _s);
}

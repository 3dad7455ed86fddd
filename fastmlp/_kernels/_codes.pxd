# The codes of activations, losses, solvers and validation score rules
# (csrc/codes.h, their one definition), as the Cython modules use them.
#
# Layering: the lowest level, beside _blas; declarations only, no calls.
# _codes.pyx builds the Python mappings from the same names.

cdef extern from "codes.h" nogil:
    enum:
        FM_N_ACTIVATIONS
        FM_N_LOSSES
        FM_N_SOLVERS
        FM_N_SCORE_RULES
        FM_SGD
        FM_ADAM
        FM_ADAGRAD
        FM_RMSPROP
        FM_ADADELTA
        FM_ADAMW
        FM_SCORE_RESIDUALS
    const char *fm_activation_name(int code)
    const char *fm_loss_name(int code)
    const char *fm_solver_name(int code)
    const char *fm_score_rule_name(int code)
    bint fm_has_second_state(int solver)
    bint fm_uses_bias_correction(int solver)
    bint fm_decouples_weight_decay(int solver)
    bint fm_step_scales_gradient(int solver)

# cython: language_level=3
"""Python mappings of the activation, loss, solver and score rule codes of
csrc/codes.h.

Layering: above csrc/codes.h only; read by the estimators (solver codes and
buffers), by _net.NetSpec (activation and loss codes), by early stopping
(score rules) and by tests.
"""

ACTIVATION_CODES = {fm_activation_name(c).decode(): c for c in range(FM_N_ACTIVATIONS)}
LOSS_CODES = {fm_loss_name(c).decode(): c for c in range(FM_N_LOSSES)}
SOLVER_CODES = {fm_solver_name(c).decode(): c for c in range(FM_N_SOLVERS)}
SCORE_RULES = {fm_score_rule_name(c).decode(): c for c in range(FM_N_SCORE_RULES)}
# Solvers keeping a second per-parameter buffer (state2).
TWO_STATE_SOLVERS = tuple(name for name, c in SOLVER_CODES.items()
                          if fm_has_second_state(c))

"""The L-BFGS driver: scipy's L-BFGS-B over the flat parameter buffer.

Each evaluation is one call of the full-batch objective (`_objective.py`);
scipy keeps its iterate in float64 while the objective runs in the network's
dtype, as in scikit-learn.  Callbacks see one task per iteration, and an
interrupted run (Ctrl-C) ends at the last accepted iterate.

`run_lbfgs` changes the parameters in place and records what happened in an
`LbfgsOutcome` (iterations, loss, a warning to emit), which the estimator
applies to itself, also when the run is interrupted.
"""

from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

from . import _threads
from .exceptions import NON_FINITE_WEIGHTS


@dataclass(frozen=True)
class LbfgsSettings:
    """What the driver reads of the estimator's parameters."""

    max_iter: int
    max_fun: int
    tol: float
    verbose: bool


@dataclass
class LbfgsOutcome:
    """What a run did, filled in as it goes: the iterations accepted, the loss
    of the last one (None before the first) and ConvergenceWarning messages to
    emit."""

    n_iter: int = 0
    loss: object = None
    warnings: list = field(default_factory=list)


def run_lbfgs(objective, params, settings, outcome, hooks=None):
    """Minimise `objective` (a FullBatchObjective) from `params` (changed in
    place), recording in `outcome`.  A non-finite objective at the end raises
    ValueError; an interrupted run leaves `params` at the last accepted
    iterate."""
    dtype = params.dtype
    layout = objective.spec.layout
    grad = np.empty(layout.n_params, dtype=dtype)
    team = None  # set by the session below

    def evaluate(x):
        params[...] = x
        with team.call(objective.n_rows) as n_threads:
            value, _ = objective(params, grad, n_threads)
        return value, grad.astype(np.float64)

    # Callbacks see one task per iteration: the first evaluation after an accepted
    # iterate (or the very first one) begins it, accepting the next iterate ends it.
    step_hooks = hooks if hooks is not None and hooks.per_step else None
    if step_hooks is None:
        fun = evaluate
    else:

        def fun(x):
            step_hooks.step_begin("iteration")
            return evaluate(x)

    # The last accepted iterate: an interrupted run (Ctrl-C) ends there.
    accepted = {"x": params.astype(np.float64), "stop": False}

    def accept(intermediate_result):
        accepted["x"] = intermediate_result.x.copy()
        outcome.loss = float(intermediate_result.fun)
        outcome.n_iter += 1
        if settings.verbose:
            print(f"Iteration {outcome.n_iter}, loss = {intermediate_result.fun:.8f}")
        if step_hooks is not None:
            x = accepted["x"]
            if step_hooks.step_end(lambda: layout.views(x.astype(dtype))):
                accepted["stop"] = True
                raise StopIteration  # a callback asked to stop

    # One session for the whole run: each evaluation shares its row chunks
    # among a team or runs on one thread, as measured (one thread while another
    # Python thread trains or predicts).
    try:
        with _threads.session(objective.n_rows, objective.flops, "full-batch") as team:
            result = scipy.optimize.minimize(
                fun,
                accepted["x"],
                method="L-BFGS-B",
                jac=True,
                callback=accept,
                options={"maxfun": settings.max_fun, "maxiter": settings.max_iter,
                         "gtol": settings.tol},
            )  # fmt: skip
    except BaseException:
        params[...] = accepted["x"]
        raise
    if step_hooks is not None:
        step_hooks.step_end()  # an iteration begun but not completed (max_fun)
    outcome.n_iter = min(result.nit, settings.max_iter)
    if result.status != 0 and not accepted["stop"]:
        message = (
            f"lbfgs failed to converge after {outcome.n_iter} iteration(s) "
            f"(status={result.status}):\n{result.message}\n"
        )
        if outcome.n_iter >= settings.max_iter:
            message += (
                "\nIncrease the number of iterations to improve the convergence "
                f"(max_iter={settings.max_iter})."
            )
        outcome.warnings.append(message)
    if not np.isfinite(result.fun):
        raise ValueError(
            f"{NON_FINITE_WEIGHTS} The L-BFGS objective became non-finite after "
            f"{outcome.n_iter} iteration(s). Scaling the input data with StandardScaler or "
            "MinMaxScaler might help."
        )
    outcome.loss = float(result.fun)
    params[...] = result.x
    return outcome

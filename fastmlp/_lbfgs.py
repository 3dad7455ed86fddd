"""The L-BFGS driver: scipy's L-BFGS-B over the flat parameter buffer.

Each evaluation is one call of the full-batch objective (`_objective.py`);
scipy keeps its iterate in float64 while the objective runs in the network's
dtype, as in scikit-learn.  Callbacks see one task per iteration, and an
interrupted run (Ctrl-C) ends at the last accepted iterate.
"""

import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from . import _threads
from .exceptions import NON_FINITE_WEIGHTS


def fit_lbfgs(est, objective, layout, hooks=None):
    """Minimise `objective` from ``est._params``; sets n_iter_ and loss_."""
    params = est._params
    dtype = params.dtype
    grad = np.empty(layout.n_params, dtype=dtype)
    threads_now = None  # set by the session below

    def evaluate(x):
        params[...] = x
        value, _ = objective(params, grad, threads_now())
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
    accepted = {"x": params.astype(np.float64), "nit": 0, "fun": None, "stop": False}

    def accept(intermediate_result):
        accepted.update(x=intermediate_result.x.copy(), fun=intermediate_result.fun)
        accepted["nit"] += 1
        if est.verbose:
            print(f"Iteration {accepted['nit']}, loss = {intermediate_result.fun:.8f}")
        if step_hooks is not None:
            x = accepted["x"]
            if step_hooks.step_end(lambda: layout.views(x.astype(dtype))):
                accepted["stop"] = True
                raise StopIteration  # a callback asked to stop

    # One session for the whole run: each evaluation shares its row chunks
    # among a team (one thread while another Python thread trains or predicts).
    try:
        with _threads.session(objective.n_rows, objective.flops) as threads_now:
            result = scipy.optimize.minimize(
                fun,
                accepted["x"],
                method="L-BFGS-B",
                jac=True,
                callback=accept,
                options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol},
            )
    except BaseException:
        params[...] = accepted["x"]
        est.n_iter_ = accepted["nit"]
        if accepted["fun"] is not None:
            est.loss_ = float(accepted["fun"])
        raise
    if step_hooks is not None:
        step_hooks.step_end()  # an iteration begun but not completed (max_fun)
    est.n_iter_ = min(result.nit, est.max_iter)
    if result.status != 0 and not accepted["stop"]:
        message = (
            f"lbfgs failed to converge after {est.n_iter_} iteration(s) "
            f"(status={result.status}):\n{result.message}\n"
        )
        if est.n_iter_ >= est.max_iter:
            message += (
                "\nIncrease the number of iterations to improve the convergence "
                f"(max_iter={est.max_iter})."
            )
        warnings.warn(message, ConvergenceWarning, stacklevel=3)
    if not np.isfinite(result.fun):
        raise ValueError(
            f"{NON_FINITE_WEIGHTS} The L-BFGS objective became non-finite after "
            f"{est.n_iter_} iteration(s). Scaling the input data with StandardScaler or "
            "MinMaxScaler might help."
        )
    est.loss_ = float(result.fun)
    params[...] = result.x

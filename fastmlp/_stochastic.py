"""The epoch loop of the stochastic solvers (sgd, adam, adagrad, rmsprop,
adadelta, adamw).

Each epoch of mini-batches runs in one call of the compiled engine; around it
Python keeps what scikit-learn keeps: the shuffling draws, the learning-rate
schedule (`OptimizerState`), the loss curve, the stopping rules (training loss
or, with early stopping, validation score: `_early_stopping.py`) and, should an
epoch be interrupted, the roll-back to the parameters it started from
(`_EpochCheckpoint`).
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import _threads
from ._early_stopping import ValidationSet
from ._kernels import _codes, _engine
from .exceptions import NON_FINITE_WEIGHTS


class OptimizerState:
    """Learning rate, step count and per-parameter buffers of a stochastic solver.

    Kept between `partial_fit` calls; rebuilt by `fit`.
    """

    def __init__(self, solver, n_params, dtype, learning_rate_init):
        self.solver = solver
        self.learning_rate = float(learning_rate_init)
        self.t = 0
        self.state1 = np.zeros(n_params, dtype=dtype)  # velocities / first moments
        two = solver in _codes.TWO_STATE_SOLVERS
        self.state2 = np.zeros(n_params if two else 0, dtype=dtype)  # second moments

    def copy(self):
        other = OptimizerState.__new__(OptimizerState)
        other.__dict__.update(self.__dict__)
        other.state1 = self.state1.copy()
        other.state2 = self.state2.copy()
        return other

    def iteration_ends(self, est):
        """The 'invscaling' schedule of sgd, after each epoch (t_ samples seen)."""
        if self.solver == "sgd" and est.learning_rate == "invscaling":
            self.learning_rate = float(est.learning_rate_init) / (est.t_ + 1) ** est.power_t

    def trigger_stopping(self, msg, est):
        """Whether to stop on a plateau; sgd's 'adaptive' schedule instead divides
        the learning rate by 5 and goes on while it is above 1e-6."""
        if self.solver != "sgd" or est.learning_rate != "adaptive":
            if est.verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if est.verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if est.verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False


class _EpochCheckpoint:
    """Parameters and optimizer state at the start of the current epoch: an
    interrupted epoch (Ctrl-C) is rolled back to them."""

    def __init__(self, params, opt):
        self._live = (params, opt.state1, opt.state2)
        self._saved = [a.copy() for a in self._live]

    def save(self):
        for saved, live in zip(self._saved, self._live):
            np.copyto(saved, live)

    def restore(self):
        for saved, live in zip(self._saved, self._live):
            np.copyto(live, saved)


def _batch_size(est, n_samples):
    if est.batch_size == "auto":
        return min(200, n_samples)
    if est.batch_size > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is "
            "going to be clipped"
        )
    return int(np.clip(est.batch_size, 1, n_samples))


def _optimizer(est, layout, dtype, incremental):
    """The solver's state: kept by partial_fit, new for fit."""
    if not incremental or not hasattr(est, "_optimizer"):
        est._optimizer = OptimizerState(est.solver, layout.n_params, dtype, est.learning_rate_init)
    opt = est._optimizer
    # State loaded read-only (joblib mmap_mode='r') is copied before training.
    opt.state1, opt.state2 = (np.require(a, requirements="W") for a in (opt.state1, opt.state2))
    est._best_params = np.require(est._best_params, requirements="W")
    return opt


def _record_training_loss(est):
    """Count epochs whose training loss did not improve by more than tol."""
    last = est.loss_curve_[-1]
    if last > est.best_loss_ - est.tol:
        est._no_improvement_count += 1
    else:
        est._no_improvement_count = 0
    if last < est.best_loss_:
        est.best_loss_ = last


def _plateau_stops(est, opt, early_stopping):
    """After n_iter_no_change epochs without improvement: stop, or go on with
    the next learning rate of sgd's 'adaptive' schedule."""
    if est._no_improvement_count <= est.n_iter_no_change:
        return False
    what = "Validation score" if early_stopping else "Training loss"
    msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
        what, est.tol, est.n_iter_no_change,
    )  # fmt: skip
    if opt.trigger_stopping(msg, est):
        return True
    est._no_improvement_count = 0
    return False


def fit_stochastic(est, spec, training_set, layout, incremental, hooks=None):
    """Train ``est._params`` on `training_set` for up to max_iter epochs (one
    for partial_fit)."""
    params = est._params
    data, Y, sw = training_set.inputs, training_set.Y, training_set.sample_weight
    validation = None
    if est.early_stopping:
        validation = ValidationSet(est, training_set, layout)
    opt = _optimizer(est, layout, params.dtype, incremental)
    train_rows = None if validation is None else validation.train_rows
    n_samples = Y.shape[0] if train_rows is None else train_rows.shape[0]
    batch_size = _batch_size(est, n_samples)

    use_idx = est.shuffle or train_rows is not None
    workspace = np.empty(
        max(1, spec.workspace_size(batch_size, use_idx and not data.sparse, True)),
        dtype=params.dtype,
    )
    grad = np.empty(layout.n_params, dtype=params.dtype)
    solver_code = _codes.SOLVER_CODES[est.solver]
    # Dropout masks come from random_state too, one seed per epoch (drawn only
    # when dropout is on, so the default path consumes scikit-learn's stream).
    uses_dropout = any(r > 0 for r in est._dropout_rates(layout.n_weight_layers - 1))
    sample_idx = np.arange(n_samples, dtype=np.intp)
    rows = sample_idx if train_rows is None else train_rows

    checkpoint = _EpochCheckpoint(params, opt)
    step_hooks = hooks if hooks is not None and hooks.per_step else None
    batch_flops = batch_size * data.row_flops(layout)
    n_iter = 0
    # One session for the whole loop: while another Python thread trains or
    # predicts too, each epoch runs on one thread (see _threads.session).
    with _threads.session(batch_size, batch_flops) as threads_now:
        for _ in range(est.max_iter):
            if step_hooks is not None:
                step_hooks.step_begin("epoch")
            if est.shuffle:
                # The permutation sklearn.utils.shuffle draws, without its overhead.
                perm = np.arange(n_samples)
                est._random_state.shuffle(perm)
                sample_idx = sample_idx[perm]
                rows = sample_idx if train_rows is None else train_rows[sample_idx]
            seed = int(est._random_state.randint(0, 2**62, dtype=np.int64)) if uses_dropout else 0
            checkpoint.save()
            # An epoch (training and validation) either completes or, interrupted,
            # leaves parameters and optimizer state as they were before it.
            try:
                accumulated, t, status = _engine.train_epoch(
                    spec, *data, Y, sw, rows, use_idx, batch_size, params, grad,
                    workspace, solver_code, opt.state1, opt.state2,
                    opt.learning_rate, float(est.momentum),
                    bool(est.nesterovs_momentum), float(est.beta_1),
                    float(est.beta_2), float(est.epsilon), float(est.rho),
                    float(est.weight_decay), opt.t, seed, threads_now(),
                )  # fmt: skip
                if status != _engine.STATUS_OK or not np.isfinite(accumulated):
                    raise ValueError(
                        f"{NON_FINITE_WEIGHTS} The training loss became non-finite at "
                        f"epoch #{n_iter + 1}. Scaling the input data with StandardScaler "
                        "or MinMaxScaler, or lowering learning_rate_init, might help."
                    )
                if validation is not None:
                    val_loss, val_score = validation.evaluate(params, threads_now())
            except BaseException:
                checkpoint.restore()
                raise
            opt.t = t
            n_iter += 1
            est.n_iter_ = n_iter
            est.loss_ = accumulated / n_samples
            est.t_ += n_samples
            est.loss_curve_.append(est.loss_)
            if est.verbose:
                print("Iteration %d, loss = %.8f" % (est.n_iter_, est.loss_))
            if validation is not None:
                est.validation_loss_curve_.append(val_loss)
                validation.record(est, val_score)
            else:
                _record_training_loss(est)
            if step_hooks is not None and step_hooks.step_end(lambda: layout.views(params.copy())):
                if est.verbose:
                    print("A callback asked to stop. Stopping.")
                break
            opt.iteration_ends(est)
            if _plateau_stops(est, opt, validation is not None):
                break
            if incremental:
                break
            if est.n_iter_ == est.max_iter:
                warnings.warn(
                    "Stochastic Optimizer: Maximum iterations (%d) reached and the "
                    "optimization hasn't converged yet." % est.max_iter,
                    ConvergenceWarning,
                )

    if validation is not None:
        params[...] = est._best_params

"""The epoch loop of the stochastic solvers (sgd, adam, adagrad, rmsprop,
adadelta, adamw).

Each epoch of mini-batches runs in one call of the compiled engine; around it
Python keeps what scikit-learn keeps: the shuffling draws, the learning-rate
schedule and plateau rule (`OptimizerState`), the stopping rule (training loss
or, with early stopping, validation score, `_early_stopping.py` scoring the
validation rows) and, should an epoch be interrupted, the roll-back to the
parameters it started from (`_EpochCheckpoint`).

`run_epochs` takes the network, the optimizer, the rows, the settings it needs
and the progress of earlier calls, and yields what happened: an `Epoch` after
every epoch (and the other records run_epochs lists), then a `Stop`.  It changes the network's parameters and the
optimizer's state in place and nothing else; the estimator applies each record
to its fitted attributes as it comes (so callbacks at the end of an epoch see
them).
"""

from typing import NamedTuple

import numpy as np

from . import _threads
from ._kernels import _engine, _optim
from ._objective import row_flops
from .exceptions import NON_FINITE_WEIGHTS


class OptimizerState:
    """A stochastic solver between calls (kept by partial_fit): the compiled
    step (`solver`: its settings, per-parameter buffers, step count and
    learning rate) and, around it, the learning-rate schedule of sgd and the
    rule on a plateau, as scikit-learn's SGDOptimizer and AdamOptimizer."""

    def __init__(self, solver, n_params, dtype, learning_rate_init):
        self.solver = _optim.Solver(solver, n_params, dtype, float(learning_rate_init))
        self.configure("constant", learning_rate_init, 0.5)

    def configure(self, schedule, learning_rate_init, power_t, **settings):
        """The schedule ('constant', 'invscaling', 'adaptive': sgd only) and the
        solver's settings (see _optim.Solver) for the epochs of one call."""
        self.schedule = schedule if self.solver.name == "sgd" else "constant"
        self.learning_rate_init = float(learning_rate_init)
        self.power_t = float(power_t)
        self.solver.configure(**settings)

    @property
    def learning_rate(self):
        return self.solver.learning_rate

    def copy(self):
        other = OptimizerState.__new__(OptimizerState)
        other.__dict__.update(self.__dict__)
        other.solver = self.solver.copy()
        return other

    def __getstate__(self):
        # The compiled solver as plain data: a pickle (or a skops file) names
        # this class and arrays only.
        state = dict(self.__dict__)
        solver = state.pop("solver")
        state["solver_state"] = {
            "name": solver.name, "dtype": solver.dtype.str, "t": solver.t,
            "learning_rate": solver.learning_rate, "settings": solver.settings,
            "buffers": solver.buffers,
        }  # fmt: skip
        return state

    def __setstate__(self, state):
        if "solver_state" in state:
            state = dict(state)
            saved = state.pop("solver_state")
            state["solver"] = _optim._rebuild_solver(
                saved["name"], saved["dtype"], saved["learning_rate"], saved["t"],
                saved["settings"], saved["buffers"])  # fmt: skip
        elif "state1" in state:
            # Pickled by fastmlp before the solver became one compiled object.
            name, buffers = state["solver"], {}
            names = _optim.SOLVER_BUFFERS[name]
            for key, arr in zip(names, (state["state1"], state["state2"])):
                buffers[key] = arr
            solver = _optim._rebuild_solver(
                name,
                state["state1"].dtype,
                state["learning_rate"],
                state["t"],
                _optim.SOLVER_SETTINGS,
                buffers,
            )
            state = {
                "solver": solver,
                "schedule": "constant",
                "learning_rate_init": state["learning_rate"],
                "power_t": 0.5,
            }
        self.__dict__.update(state)

    def iteration_ends(self, samples_seen):
        """After each epoch: the 'invscaling' schedule (samples_seen = t_)."""
        if self.schedule == "invscaling":
            self.solver.learning_rate = (
                self.learning_rate_init / (samples_seen + 1) ** self.power_t
            )

    def trigger_stopping(self, msg, verbose):
        """Whether to stop on a plateau; sgd's 'adaptive' schedule instead divides
        the learning rate by 5 and goes on while it is above 1e-6."""
        if self.schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.solver.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.solver.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.solver.learning_rate)
        return False


class EpochSettings(NamedTuple):
    """What the epoch loop reads of the estimator's parameters."""

    max_iter: int
    batch_size: int  # resolved ('auto' is min(200, n_samples))
    shuffle: bool
    tol: float
    n_iter_no_change: object  # int, or np.inf: never stop on a plateau
    verbose: bool
    incremental: bool  # partial_fit: one epoch
    dropout: bool  # draw a dropout seed per epoch from the random state


class Progress(NamedTuple):
    """What the stopping rule carries from one call to the next (warm_start,
    partial_fit): the estimator's t_, best_loss_, best_validation_score_ and its
    count of epochs without improvement; and n_iter, the epochs of this call
    (the estimator's n_iter_)."""

    n_iter: int
    samples_seen: int
    best_loss: object  # float, or None with early stopping
    best_validation_score: object  # float, or None without early stopping
    no_improvement_count: int


class Epoch(NamedTuple):
    """What one epoch did."""

    loss: float  # mean batch loss (scikit-learn's loss_)
    validation_loss: object  # float when a validation set is scored, else None
    validation_score: object  # float when a validation set is scored, else None
    progress: Progress  # after this epoch
    best_params: object  # the buffer holding the best parameters when this
    # epoch's validation score is the best so far, else None


class MaxIterReached(NamedTuple):
    """The estimator's epoch count (over warm starts) reached max_iter: a
    ConvergenceWarning to emit, as scikit-learn does, whether or not this call
    goes on."""

    message: str


class Stop(NamedTuple):
    """Why the loop ended (its last record): 'converged' (no improvement for
    n_iter_no_change epochs), 'max_iter', 'callback', or 'partial_fit' (its one
    epoch)."""

    reason: str


class _EpochCheckpoint:
    """Parameters and solver buffers at the start of the current epoch: an
    interrupted epoch (Ctrl-C) is rolled back to them."""

    def __init__(self, params, solver):
        self._solver = solver
        self._live = (params, *solver.buffers.values())
        self._saved = [a.copy() for a in self._live]
        self._t = solver.t

    def save(self):
        for saved, live in zip(self._saved, self._live):
            np.copyto(saved, live)
        self._t = self._solver.t

    def restore(self):
        for saved, live in zip(self._saved, self._live):
            np.copyto(live, saved)
        self._solver.t = self._t


def _after_epoch(progress, loss, score, settings):
    """The progress after an epoch of training `loss` (or, with early stopping,
    validation `score`): an epoch counts as no improvement when the loss is
    above best - tol (the score below best + tol)."""
    n_iter, samples, best_loss, best_score, count = progress
    if score is None:
        worse = loss > best_loss - settings.tol
        best_loss = loss if loss < best_loss else best_loss
    else:
        worse = score < best_score + settings.tol
        best_score = score if score > best_score else best_score
    return Progress(n_iter, samples, best_loss, best_score, count + 1 if worse else 0)


def run_epochs(
    network,
    optimizer,
    training,
    settings,
    progress,
    random_state,
    validation=None,
    hooks=None,
):
    """Train `network`'s parameters on `training` (a TrainingSet) for up to
    settings.max_iter epochs (one for partial_fit), yielding an `Epoch` after
    each, a `Progress` when sgd's adaptive schedule lowers the learning rate
    instead of stopping, a `MaxIterReached` when the epoch count reaches
    max_iter, and a `Stop` at the end.

    `random_state` draws the shuffling (and dropout seeds); `validation` (a
    ValidationSet) scores every epoch; when it stops (early stopping) its score
    is the stopping rule's and the best parameters are restored at the end;
    `hooks` are the estimator's callback
    hooks (one step per epoch).  An epoch that fails (non-finite loss:
    ValueError) or is interrupted leaves the parameters and the solver as they
    were before it."""
    params, solver = network.params, optimizer.solver
    data, train_rows = training.data, training.rows
    n_samples = training.n_samples
    sample_idx = np.arange(n_samples, dtype=np.intp)
    # In order (None) only when neither shuffling nor a subset asks otherwise.
    if train_rows is None:
        order = sample_idx if settings.shuffle else None
    else:
        order = train_rows
    checkpoint = _EpochCheckpoint(params, solver)
    step_hooks = hooks if hooks is not None and hooks.per_step else None
    layout = network.spec.layout
    batch_flops = settings.batch_size * row_flops(data, layout)
    stop = Stop("max_iter")
    # One session for the whole loop: each epoch runs on the team or on one
    # thread, as measured (one thread while another Python thread trains or
    # predicts too; see _threads.session).
    with _threads.session(settings.batch_size, batch_flops, "epoch") as team:
        for _ in range(settings.max_iter):
            if step_hooks is not None:
                step_hooks.step_begin("epoch")
            if settings.shuffle:
                # The permutation sklearn.utils.shuffle draws, without its overhead.
                perm = np.arange(n_samples)
                random_state.shuffle(perm)
                sample_idx = sample_idx[perm]
                order = sample_idx if train_rows is None else train_rows[sample_idx]
            seed = (int(random_state.randint(0, 2**62, dtype=np.int64))
                    if settings.dropout else 0)  # fmt: skip
            checkpoint.save()
            # An epoch (training and validation) either completes or, interrupted,
            # leaves parameters and solver as they were before it.
            val_loss = val_score = None
            try:
                with team.call(n_samples) as n_threads:
                    loss_sum, status = _engine.train_epoch(
                        network, solver, data, order, settings.batch_size, seed,
                        n_threads)  # fmt: skip
                    if status != _engine.STATUS_OK or not np.isfinite(loss_sum):
                        raise ValueError(
                            f"{NON_FINITE_WEIGHTS} The training loss became non-finite "
                            f"at epoch #{progress.n_iter + 1}. Scaling the input data "
                            "with StandardScaler or MinMaxScaler, or lowering "
                            "learning_rate_init, might help."
                        )
                if validation is not None:
                    val_loss, val_score = validation.evaluate(params, team.threads())
            except BaseException:
                checkpoint.restore()
                raise
            loss = loss_sum / n_samples
            progress = progress._replace(
                n_iter=progress.n_iter + 1, samples_seen=progress.samples_seen + n_samples
            )
            if settings.verbose:
                print("Iteration %d, loss = %.8f" % (progress.n_iter, loss))
            best_params = None
            stopping_score = None  # the training loss decides
            if validation is not None:
                if settings.verbose:
                    print("Validation score: %f" % val_score)
                if validation.stops:
                    stopping_score = val_score
                    if val_score > progress.best_validation_score:
                        best_params = validation.keep(params)
            progress = _after_epoch(progress, loss, stopping_score, settings)
            yield Epoch(loss, val_loss, val_score, progress, best_params)
            if step_hooks is not None and step_hooks.step_end(
                lambda: layout.views(params.copy())
            ):
                if settings.verbose:
                    print("A callback asked to stop. Stopping.")
                stop = Stop("callback")
                break
            optimizer.iteration_ends(progress.samples_seen)
            if progress.no_improvement_count > settings.n_iter_no_change:
                what = "Training loss" if stopping_score is None else "Validation score"
                msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
                    what, settings.tol, settings.n_iter_no_change,
                )  # fmt: skip
                if optimizer.trigger_stopping(msg, settings.verbose):
                    stop = Stop("converged")
                    break
                progress = progress._replace(no_improvement_count=0)
                yield progress
            if settings.incremental:
                stop = Stop("partial_fit")
                break
            if progress.n_iter == settings.max_iter:
                yield MaxIterReached(
                    "Stochastic Optimizer: Maximum iterations (%d) reached and the "
                    "optimization hasn't converged yet." % settings.max_iter,
                )
    if validation is not None and validation.stops:
        params[...] = validation.best_params
    yield stop

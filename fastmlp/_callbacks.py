"""Support for scikit-learn's callback API (``sklearn.callback``, scikit-learn >= 1.9).

The estimators inherit `CallbackSupportMixin` (``set_callbacks``) and wrap ``fit`` /
``partial_fit`` in `with_callbacks`, as scikit-learn's own estimators do.  The
training loops talk to the callbacks through a `_FitHooks` object:

* ``fit`` with a stochastic solver is a task with one subtask per epoch
  (``max_iter`` at most); with L-BFGS, one subtask per iteration;
* ``partial_fit`` is a single task without subtasks.

When the estimator has no callbacks, no per-epoch context is created and nothing is
called, so the default path costs one context creation per ``fit``.  With an older
scikit-learn (no ``sklearn.callback``) the mixin and the decorator are inert stand-ins
and `_FitHooks` is never created.
"""

try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks

    CALLBACKS_AVAILABLE = True
except ImportError:  # scikit-learn < 1.9: no callback API, nothing to support
    CALLBACKS_AVAILABLE = False

    class CallbackSupportMixin:
        """Stand-in for ``sklearn.callback.CallbackSupportMixin`` (absent before 1.9)."""

    def with_callbacks(method):
        """Stand-in for ``sklearn.callback.with_callbacks``: returns `method`."""
        return method


# Attributes sklearn.callback sets on an estimator for the duration of a fit, or that
# carry the user's configuration (callbacks, metadata requests); a failed fit that
# rolls the fitted state back must leave them alone.
CALL_ATTRIBUTES = frozenset({
    "_skl_callbacks",
    "_callback_fit_ctx",
    "_skl_callbacks_to_teardown",
    "_parent_callback_ctx",
    "_metadata_request",
})  # fmt: skip


class _FitHooks:
    """The callback hooks of one ``fit`` / ``partial_fit`` call.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted.
    X, y : array-like
        The data as given to ``fit`` (what `ScoringMonitor` scores on).
    sample_weight : array-like or None
        Passed to the hooks as ``metadata={"sample_weight": ...}``.
    max_subtasks : int
        Number of epochs / iterations at most; 0 for a task without subtasks.
    """

    def __init__(self, estimator, X, y, sample_weight, max_subtasks):
        self.estimator = estimator
        self.X = X
        self.y = y
        self.metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self.ctx = estimator._init_callback_context(max_subtasks=max_subtasks)
        # Per-step hooks only when a callback listens: the default path stays free.
        self.per_step = max_subtasks > 0 and bool(
            getattr(estimator, "_skl_callbacks", None)
        )
        self.max_subtasks = max_subtasks
        self._step_ctx = None
        self._n_steps = 0

    @classmethod
    def start(cls, estimator, X, y, sample_weight, max_subtasks):
        """The hooks of a fit call, or None without scikit-learn's callback API."""
        if not CALLBACKS_AVAILABLE:
            return None
        return cls(estimator, X, y, sample_weight, max_subtasks)

    def _call(self, ctx, hook, reconstruction_attributes):
        call = ctx.call_on_fit_task_begin if hook == "begin" else ctx.call_on_fit_task_end
        return call(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
            reconstruction_attributes=reconstruction_attributes,
        )  # fmt: skip

    def fit_begin(self):
        """Begin the root task (after input validation)."""
        self._call(self.ctx, "begin", None)

    def fit_end(self):
        """End the root task; the estimator itself is the fitted model."""
        self._call(self.ctx, "end", {})

    def step_begin(self, task_name):
        """Begin an epoch / iteration subtask (no-op without listening callbacks)."""
        if not self.per_step or self._step_ctx is not None:
            return
        if self._n_steps >= self.max_subtasks:
            return
        self._n_steps += 1
        self._step_ctx = self.ctx.subcontext(task_name=task_name)
        self._call(self._step_ctx, "begin", None)

    def step_end(self, coefs_intercepts=None):
        """End the current subtask.

        Parameters
        ----------
        coefs_intercepts : callable or None
            Returns ``(coefs, intercepts)`` of the model at the end of the step; only
            called if a callback asks for ``fitted_estimator``.

        Returns
        -------
        stop : bool
            Whether a callback asked to stop iterating.
        """
        ctx, self._step_ctx = self._step_ctx, None
        if ctx is None:
            return False
        if coefs_intercepts is None:  # a step that did not complete
            ctx.call_on_fit_task_end(estimator=self.estimator)
            return False

        def attributes():
            coefs, intercepts = coefs_intercepts()
            return {"coefs_": coefs, "intercepts_": intercepts}

        return bool(self._call(ctx, "end", attributes))

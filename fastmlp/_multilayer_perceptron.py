"""Multi-layer perceptron estimators: MLPClassifier and MLPRegressor.

This module holds what a scikit-learn user sees: the parameters and their
checks, validation of X and y, initialisation and warm starts, the roll-back of
a failed call, prediction, and the dispatch of a fit to its driver:
`_stochastic.fit_stochastic` (the epoch loop; early stopping in
`_early_stopping.py`) or `_lbfgs.fit_lbfgs` (scipy's L-BFGS-B over the
full-batch objective of `_objective.py`).  Each epoch, objective evaluation and
prediction runs in the compiled engine (`fastmlp._kernels._engine`) without
the GIL.
"""

import operator
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import (
    _assert_all_finite,
    _check_sample_weight,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._callbacks import CALL_ATTRIBUTES, CallbackSupportMixin, _FitHooks, with_callbacks
from . import _threads
from ._export import to_sklearn
from ._kernels import _codes, _engine
from ._lbfgs import fit_lbfgs
from ._network import BoundParams, Layout
from ._objective import EngineInput, FullBatchObjective, TrainingSet, chunk_rows
from ._stochastic import OptimizerState, fit_stochastic
from ._version import __version__
from .exceptions import NON_FINITE_WEIGHTS, InconsistentVersionWarning

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_STOCHASTIC_SOLVERS = tuple(_codes.SOLVER_CODES)  # every solver but lbfgs
_HIDDEN_ACTIVATIONS = {
    "identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "selu", "softplus",
    "gelu", "silu", "gaussian",
}
_WEIGHT_INITS = {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_normal"}
# The optimizer state's class lived here before the epoch loop got its own module:
# models pickled then still load (and carry on with partial_fit).
_OptimizerState = OptimizerState

# Bytes of X per chunk of rows in prediction (a chunk is checked for NaN and
# infinity just before its first GEMM reads it; 2 MiB measured fastest for
# 60000 x 784 float64 among 64 KiB..8 MiB on a 2-core machine).
_PREDICT_CHUNK_BYTES = 1 << 21


class BaseMultilayerPerceptron(CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
    """Shared machinery of MLPClassifier and MLPRegressor (not for direct use)."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(_HIDDEN_ACTIVATIONS), list, tuple],
        "solver": [StrOptions({"lbfgs", *_STOCHASTIC_SOLVERS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "rho": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "dropout": [Interval(Real, 0, 1, closed="left"), list, tuple],
        "weight_init": [StrOptions(_WEIGHT_INITS)],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        loss,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        rho,
        weight_decay,
        l1_ratio,
        dropout,
        weight_init,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.rho = rho
        self.weight_decay = weight_decay
        self.l1_ratio = l1_ratio
        self.dropout = dropout
        self.weight_init = weight_init

    # ------------------------------------------------------------------
    # Network description and the flat parameter buffer
    # ------------------------------------------------------------------
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        for s in sizes:
            if not isinstance(s, (Integral, np.integer)) or isinstance(s, bool) or s <= 0:
                raise ValueError(
                    f"hidden_layer_sizes must be positive integers, got {sizes}."
                )
        return [int(s) for s in sizes]

    def _network_layout(self):
        """The Layout of the fitted coefs_."""
        units = [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]
        return Layout(units)

    def _hidden_activations(self, n_hidden):
        """One activation name per hidden layer."""
        act = self.activation
        if isinstance(act, str):
            return [act] * n_hidden
        act = list(act)
        if len(act) != n_hidden or any(a not in _HIDDEN_ACTIVATIONS for a in act):
            raise ValueError(
                f"activation as a list must give one of {sorted(_HIDDEN_ACTIVATIONS)} "
                f"for each of the {n_hidden} hidden layers; got {act}."
            )
        return act

    def _dropout_rates(self, n_hidden):
        """One dropout rate per hidden layer."""
        rates = self.dropout
        if isinstance(rates, (Real, np.floating, np.integer)) and not isinstance(rates, bool):
            return [float(rates)] * n_hidden
        rates = list(rates)
        if len(rates) != n_hidden or not all(
            isinstance(r, (Real, np.floating, np.integer)) and 0 <= r < 1 for r in rates
        ):
            raise ValueError(
                f"dropout as a list must give a rate in [0, 1) for each of the "
                f"{n_hidden} hidden layers; got {rates}."
            )
        return [float(r) for r in rates]

    def _engine_loss(self):
        """The loss the engine evaluates for the fitted output layer."""
        if self.loss == "log_loss" and self.out_activation_ == "logistic":
            return "binary_log_loss"
        if self.loss in ("hinge", "squared_hinge") and self.n_outputs_ != 1 and (
            self._label_binarizer.y_type_ == "multiclass"
        ):
            return self.loss
        if self.loss in ("hinge", "squared_hinge"):
            return "binary_" + self.loss
        return self.loss

    def _net_spec(self, layout, out_activation=None, dropout=True):
        """The engine's description of the network (NetSpec).  Specs of the
        bound network are kept with it, one per set of values they are built
        from, so a change of hyper-parameters (set_params) is still seen."""
        n_hidden = layout.n_weight_layers - 1
        acts = self._hidden_activations(n_hidden) + [out_activation or self.out_activation_]
        rates = self._dropout_rates(n_hidden) if dropout else None
        loss = self._engine_loss()
        loss_param = float(getattr(self, "huber_delta", 1.0))
        alpha, l1_ratio = float(self.alpha), float(self.l1_ratio)
        bound = self.__dict__.get("_bound")
        if bound is None or bound.layout is not layout:
            bound = None
        else:
            key = (*acts, loss, loss_param, alpha, l1_ratio,
                   None if rates is None else tuple(rates))
            spec = bound.specs.get(key)
            if spec is not None:
                return spec
        spec = _engine.NetSpec(
            layout.units, layout.coef_off, layout.icpt_off, acts, loss,
            loss_param=loss_param, alpha=alpha, l1_ratio=l1_ratio, dropout=rates,
        )  # fmt: skip
        if bound is not None:
            bound.specs[key] = spec
        return spec

    def _current_params(self, layout):
        """The flat buffer matching the current coefs_/intercepts_.

        Returns the training buffer itself when coefs_/intercepts_ are still its
        views; otherwise (the user replaced arrays, or the model was unpickled)
        a freshly packed copy.  Never modifies the estimator.
        """
        flat = getattr(self, "_params", None)
        if flat is not None and layout.is_view_of(self.coefs_, self.intercepts_, flat):
            return flat
        dtype = np.result_type(*[np.asarray(c).dtype for c in self.coefs_])
        if dtype not in (np.float32, np.float64):
            dtype = np.float64
        return layout.pack(self.coefs_, self.intercepts_, dtype)

    def _bind_params(self, flat, layout):
        """Make `flat` the training buffer and coefs_/intercepts_ its views."""
        bound = BoundParams(layout, flat)
        self._params = flat
        self.coefs_, self.intercepts_ = bound.coefs, bound.intercepts
        self._bound = bound

    def _fitted_network(self):
        """(layout, flat parameters) to predict with: the bound buffer while
        coefs_/intercepts_ are still its views, else a packed copy."""
        bound = self.__dict__.get("_bound")
        if bound is not None and bound.holds(self.coefs_, self.intercepts_):
            return bound.layout, bound.flat
        layout = self._network_layout()
        return layout, self._current_params(layout)

    def _initialize(self, y, layer_units, dtype):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation()

        layout = Layout(layer_units)
        hidden = self._hidden_activations(layout.n_weight_layers - 1)
        # scikit-learn's glorot_uniform bound is smaller for logistic networks.
        if isinstance(self.activation, str):
            logistic = self.activation == "logistic"
        else:
            logistic = bool(hidden) and all(a == "logistic" for a in hidden)
        flat = layout.initial_params(self.weight_init, logistic, self._random_state, dtype)
        self._bind_params(flat, layout)
        self._best_params = flat.copy()
        if hasattr(self, "_optimizer"):
            del self._optimizer

        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.validation_loss_curve_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.validation_loss_curve_ = None
                self.best_validation_score_ = None

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------
    def _check_fit_params(self, incremental):
        """The checks of parameters that _parameter_constraints cannot express,
        made before the call changes anything.  Returns the hidden layer sizes."""
        hidden = self._hidden_sizes()
        n_hidden = len(hidden)
        self._hidden_activations(n_hidden)
        rates = self._dropout_rates(n_hidden)
        if self.solver == "lbfgs" and any(r > 0 for r in rates):
            raise ValueError(
                "dropout needs a stochastic solver; it is not available with "
                "solver='lbfgs'. Set dropout=0 or choose e.g. solver='adam'."
            )
        if self.solver in _STOCHASTIC_SOLVERS and self.early_stopping:
            if incremental:
                raise ValueError("partial_fit does not support early_stopping=True")
            if self.validation_fraction <= 0:
                raise ValueError(
                    "early_stopping=True needs a validation set: set validation_fraction "
                    f"in (0, 1) (got {self.validation_fraction})."
                )
        return hidden

    def _fit(self, X, y, sample_weight=None, incremental=False, coef_init=None,
             intercept_init=None, train=True, hooks=None):
        hidden = self._check_fit_params(incremental)
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        # A call that fails leaves the estimator as it found it.
        backup = self._snapshot() if hasattr(self, "coefs_") else None
        try:
            self._prepare_and_train(X, y, sample_weight, incremental, hidden, first_pass,
                                    coef_init, intercept_init, train, hooks)
        except ValueError:
            self._restore(backup)
            raise
        return self

    def _sample_weights(self, X, y, sample_weight, incremental):
        """The per-sample weights of training: sample_weight times the class
        weights (classifiers), or None when both are absent."""
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
            if np.any(sample_weight < 0):
                raise ValueError("sample_weight must not contain negative values.")
            if not np.any(sample_weight > 0):
                raise ValueError("sample_weight must contain at least one positive value.")
        class_sw = self._class_sample_weight(y, incremental)
        if class_sw is not None:
            sample_weight = class_sw if sample_weight is None else sample_weight * class_sw
        return sample_weight

    def _fresh_random_state(self):
        """check_random_state(self.random_state), as each call starts from in
        scikit-learn.  For an integer seed the estimator keeps one RandomState
        of its own and re-seeds it: the same stream as a new
        RandomState(seed), without the ~0.1 ms of building one per call."""
        seed = self.random_state
        if isinstance(seed, Integral) and not isinstance(seed, bool):
            own = self.__dict__.get("_own_random_state")
            if own is None:
                own = self._own_random_state = np.random.RandomState()
            own.seed(seed)
            return own
        return check_random_state(seed)

    def _prepare_network(self, y, layer_units, first_pass, dtype, coef_init, intercept_init):
        """Initialise (first pass) or check the network (warm start, partial_fit),
        bind the flat buffer to coefs_/intercepts_ and load coef_init/intercept_init."""
        if not first_pass:
            previous = [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]
            if previous != layer_units:
                raise ValueError(
                    f"The network has layer sizes {previous} but this data and "
                    f"hidden_layer_sizes need {layer_units}; fit from scratch "
                    "(warm_start=False) to change the architecture."
                )
        self._random_state = self._fresh_random_state()
        if first_pass:
            self._initialize(y, layer_units, dtype)
        bound = self.__dict__.get("_bound")
        if bound is not None and bound.holds(self.coefs_, self.intercepts_):
            layout = bound.layout  # its units are layer_units: checked above
        else:
            layout = Layout(layer_units)
            params = self._current_params(layout)
            if params is not getattr(self, "_params", None):
                self._bind_params(params, layout)
        if coef_init is not None or intercept_init is not None:
            self._params[...] = layout.pack(
                self.coefs_ if coef_init is None else coef_init,
                self.intercepts_ if intercept_init is None else intercept_init,
                self._params.dtype,
            )
        self.n_outputs_ = y.shape[1]
        return layout

    def _prepare_and_train(self, X, y, sample_weight, incremental, hidden, first_pass,
                           coef_init, intercept_init, train, hooks=None):
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        weights = self._sample_weights(X, y, sample_weight, incremental)
        if not is_classifier(self) and self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "loss='poisson' requires non-negative targets y; got negative values."
            )
        layer_units = [X.shape[1]] + hidden + [y.shape[1]]
        layout = self._prepare_network(y, layer_units, first_pass, X.dtype, coef_init,
                                       intercept_init)
        if not train:
            return

        training_set = TrainingSet.build(X, y, weights, self._params.dtype)
        spec = self._net_spec(layout)
        if hooks is not None:
            hooks.fit_begin()
        if self.solver in _STOCHASTIC_SOLVERS:
            fit_stochastic(self, spec, training_set, layout, incremental, hooks)
        else:
            objective = FullBatchObjective(spec, training_set.inputs, training_set.Y,
                                           training_set.sample_weight, layout)
            fit_lbfgs(self, objective, layout, hooks)
        self._check_finite_fit(X)
        if hooks is not None:
            hooks.fit_end()

    def _check_finite_fit(self, X):
        """The last step can overflow after the last loss was computed: check the
        weights, and the outputs on (up to 256 evenly spread) training rows."""
        n_samples = X.shape[0]
        probe = X
        if n_samples > 256:
            probe = X[np.linspace(0, n_samples - 1, 256).astype(np.intp)]
        if not (np.all(np.isfinite(self._params))
                and np.all(np.isfinite(self._forward_pass_fast(probe, check_input=False)))):
            step = "iteration " if self.solver == "lbfgs" else "epoch #"
            raise ValueError(
                f"{NON_FINITE_WEIGHTS} The network has non-finite weights or outputs "
                f"after {step}{self.n_iter_}. Scaling the input data with StandardScaler "
                "or MinMaxScaler, or lowering learning_rate_init, might help."
            )

    def _snapshot(self):
        """What a failed call must put back: every fitted attribute."""
        state = {}
        for key, value in self.__dict__.items():
            if key.endswith("_") and not key.startswith("__") or key.startswith("_"):
                state[key] = value
        state["_params"] = self._params.copy() if hasattr(self, "_params") else None
        for name in ("loss_curve_", "validation_scores_"):
            if isinstance(state.get(name), list):
                state[name] = list(state[name])
        opt = getattr(self, "_optimizer", None)
        if opt is not None:
            state["_optimizer"] = opt.copy()
        return state

    def _restore(self, state):
        # Callbacks, their per-call context and metadata requests are not fitted state.
        if state is None:
            # The call started from an unfitted model: leave it unfitted.
            for key in [k for k in self.__dict__ if k.endswith("_") or k.startswith("_")]:
                if not key.startswith("__") and key not in CALL_ATTRIBUTES:
                    del self.__dict__[key]
            return
        params = state.pop("_params")
        for key in [k for k in self.__dict__ if k.endswith("_") or k.startswith("_")]:
            if not key.startswith("__") and key not in state and key not in CALL_ATTRIBUTES:
                del self.__dict__[key]
        self.__dict__.update({k: v for k, v in state.items() if k not in CALL_ATTRIBUTES})
        if params is not None:
            self._bind_params(params, self._network_layout())

    def _validate_params_if_changed(self):
        """partial_fit's parameter check: made when a parameter was set since the
        last check (set_params, assignment), not on every call of a stream of
        small batches.  The per-call checks of _check_fit_params still look
        inside lists given as parameters."""
        if not hasattr(self, "coefs_"):
            self._validate_params()  # an unfitted model keeps no state, this neither
            return
        current = tuple(map(self.__dict__.get, self._parameter_constraints))
        checked = self.__dict__.get("_checked_params")
        if checked is None or len(checked) != len(current) or not all(
            map(operator.is_, current, checked)
        ):
            self._validate_params()
            self._checked_params = current

    def _callback_hooks(self, X, y, sample_weight, incremental):
        """The sklearn.callback hooks of a fit call: ``fit`` has one subtask per
        epoch (L-BFGS: per iteration), ``partial_fit`` none. None when scikit-learn
        has no callback API."""
        max_subtasks = 0 if incremental else int(self.max_iter)
        return _FitHooks.start(self, X, y, sample_weight, max_subtasks)

    @with_callbacks
    def fit(self, X, y, sample_weight=None, coef_init=None, intercept_init=None):
        """Fit the model to data matrix X and target(s) y.

        Callbacks set with ``set_callbacks`` (scikit-learn >= 1.9) see one
        task per epoch, or per iteration with ``solver='lbfgs'``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 input trains a float32 network.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (classification) or real targets (regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; None gives every sample weight 1.
        coef_init : list of array-like, default=None
            Starting weights, shaped like ``coefs_`` (fan_in x fan_out per
            layer), used instead of the random initialisation.
        intercept_init : list of array-like, default=None
            Starting biases, shaped like ``intercepts_``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        hooks = self._callback_hooks(X, y, sample_weight, incremental=False)
        return self._fit(X, y, sample_weight=sample_weight, incremental=False,
                         coef_init=coef_init, intercept_init=intercept_init, hooks=hooks)

    def _class_sample_weight(self, y, incremental):
        """Per-sample weights implied by class_weight (classifiers), or None."""
        return None

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------
    def _is_plain_X(self, X, finite):
        """Whether X is the common case that passes every check validate_data
        makes with reset=False, and needs none of its conversions: a 2-D
        float32/float64 numpy.ndarray with rows and the fitted number of
        features, for a model fitted without feature names (and, with `finite`,
        no NaN or infinity).  Anything else goes through validate_data, which
        converts it or raises and warns exactly as scikit-learn does."""
        return (type(X) is np.ndarray and X.ndim == 2 and X.dtype in _FLOAT_DTYPES
                and X.shape[0] > 0 and X.shape[1] == self.__dict__.get("n_features_in_")
                and "feature_names_in_" not in self.__dict__
                and (not finite or bool(np.isfinite(X.sum()))))

    def _plain_training_X(self, X, reset):
        """_is_plain_X for training (finite); with `reset` (a first fit) any
        number of features, recording what validate_data records then."""
        if not reset:
            return self._is_plain_X(X, finite=True)
        if not (type(X) is np.ndarray and X.ndim == 2 and X.dtype in _FLOAT_DTYPES
                and X.shape[0] > 0 and X.shape[1] > 0 and bool(np.isfinite(X.sum()))):
            return False
        self.n_features_in_ = X.shape[1]
        self.__dict__.pop("feature_names_in_", None)
        return True

    def _check_X_predict(self, X):
        """X validated for prediction, NaN and infinity excepted (the engine looks
        for them chunk by chunk as it goes)."""
        if self._is_plain_X(X, finite=False):
            return X
        return validate_data(
            self, X, accept_sparse=["csr", "csc"], reset=False, ensure_all_finite=False
        )

    def _forward_pass_fast(self, X, check_input=True, out_activation=None):
        """Output-layer activations for X (probabilities, or regression values);
        `out_activation='identity'` gives the raw scores instead."""
        if check_input:
            X = self._check_X_predict(X)
        layout, params = self._fitted_network()
        X_dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        dtype = np.result_type(X_dtype, params.dtype)
        params = params.astype(dtype, copy=False)
        n = X.shape[0]
        out = np.empty((n, layout.units[-1]), dtype=dtype)
        spec = self._net_spec(layout, out_activation=out_activation, dropout=False)
        data = EngineInput.from_X(X, dtype)
        # The chunks do not depend on the number of threads, nor do the results.
        row_bytes = max(1, layout.units[0] * np.dtype(dtype).itemsize)
        # At least two chunks from 32 rows on, so a team of two has work for both.
        chunk = min(chunk_rows(layout, n), max(16, _PREDICT_CHUNK_BYTES // row_bytes),
                    max(16, -(-n // 2)))
        # a forward pass: a third of the work of a training pass
        with _threads.session(n, n * data.row_flops(layout) / 3) as threads_now:
            finite = _engine.predict(
                spec, *data, params, out, chunk, threads_now(), check_input
            )
        if not finite:
            # Raises scikit-learn's own error message for X.
            _assert_all_finite(data.values, input_name="X",
                               estimator_name=type(self).__name__)
            raise ValueError("Input X contains NaN or infinity.")
        return out

    def _score_with_function(self, X, y, sample_weight, score_function):
        y_pred = self._predict(X, check_input=False)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return score_function(y, y_pred, sample_weight=sample_weight)

    def _objective_function(self, X, y, sample_weight=None):
        """The full-batch objective on (X, y) as a function of a flat parameter
        vector: returns ``(objective, params, layout)`` where ``objective(flat)``
        gives ``(value, gradient)`` and ``params`` is the current flat buffer.

        The objective is the one L-BFGS minimises: the data loss averaged over
        samples with `sample_weight` plus the penalty alpha * ((1 - l1_ratio) *
        0.5 * ||W||^2 + l1_ratio * ||W||_1) divided by the weight sum; no
        dropout.
        """
        check_is_fitted(self)
        X, y = self._validate_input(X, y, incremental=True, reset=False)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        weights = self._sample_weights(X, y, sample_weight, incremental=False)
        layout = self._network_layout()
        params = self._current_params(layout)
        dtype = params.dtype
        rows = TrainingSet.build(X, y, weights, dtype)
        full_batch = FullBatchObjective(self._net_spec(layout, dropout=False), rows.inputs,
                                        rows.Y, rows.sample_weight, layout)

        def objective(flat):
            grad = np.empty(layout.n_params, dtype=dtype)
            value, _ = full_batch(flat, grad)
            return value, grad

        return objective, params, layout

    def _full_batch_loss_grad(self, X, y, sample_weight=None):
        """Full-batch objective (see `_objective_function`) at the current
        parameters and its gradient, as ``(loss, coef_grads, intercept_grads)``
        shaped like ``coefs_`` and ``intercepts_``."""
        objective, params, layout = self._objective_function(X, y, sample_weight)
        value, grad = objective(params)
        coef_grads, intercept_grads = layout.views(grad)
        return value, coef_grads, intercept_grads

    def to_sklearn(self):
        """The fitted network as scikit-learn's own MLPClassifier / MLPRegressor.

        The scikit-learn estimator gets copies of ``coefs_``, ``intercepts_``
        (their dtype, float32 included), ``classes_`` and the label binarizer,
        ``n_features_in_``, ``feature_names_in_``, ``out_activation_``,
        ``n_outputs_``, ``n_layers_``, ``n_iter_`` and the loss/score curves,
        so its ``predict`` / ``predict_proba`` give the same results.

        Returns
        -------
        estimator : sklearn.neural_network.MLPClassifier or MLPRegressor
            A fitted scikit-learn estimator with the same network and
            hyper-parameters. Options that only shape training and that
            scikit-learn lacks are replaced by its nearest setting: solvers
            other than 'lbfgs', 'sgd' and 'adam' become 'adam'; ``dropout``,
            ``weight_init``, ``l1_ratio``, ``weight_decay``, ``rho``,
            ``class_weight`` and ``huber_delta`` are dropped; the regression
            losses 'absolute_error' and 'huber' (identity output) become
            'squared_error'. Refitting it therefore trains differently.

        Raises
        ------
        ValueError
            If scikit-learn cannot compute the same function; the message
            names the option: an activation other than 'identity',
            'logistic', 'tanh' and 'relu' or different activations per layer
            (``activation``), a classifier ``loss`` other than 'log_loss', or
            a regressor output activation other than 'identity' (or 'exp'
            with ``loss='poisson'``) (``out_activation``).
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        """
        return to_sklearn(self)

    def __getstate__(self):
        # A copy: on Python >= 3.11 the parent returns the live __dict__ itself.
        state = dict(super().__getstate__())
        # coefs_/intercepts_ carry the weights; the flat buffer is rebuilt from
        # them on first use, so it is not stored twice.
        state.pop("_params", None)
        state.pop("_bound", None)  # rebuilt from coefs_/intercepts_ on first use
        state["_fastmlp_version"] = __version__
        return state

    def __setstate__(self, state):
        saved = state.pop("_fastmlp_version", "pre-0.1")
        if saved != __version__:
            warnings.warn(InconsistentVersionWarning(type(self).__name__, saved, __version__))
        super().__setstate__(state)
        self._bind_loaded_params()

    def _bind_loaded_params(self):
        """A loaded model predicts from one flat buffer as a fitted one does:
        the loaded coefs_/intercepts_ are packed into it and become its views.
        Memory-mapped or read-only arrays (joblib's mmap_mode) stay as loaded."""
        coefs, intercepts = self.__dict__.get("coefs_"), self.__dict__.get("intercepts_")
        if not isinstance(coefs, list) or not isinstance(intercepts, list) or not coefs:
            return
        arrays = [*coefs, *intercepts]
        if not all(type(a) is np.ndarray and a.flags.writeable and a.dtype in _FLOAT_DTYPES
                   for a in arrays):
            return
        try:
            layout = self._network_layout()
            flat = layout.pack(coefs, intercepts, np.result_type(*coefs))
        except (ValueError, IndexError):  # not the arrays of a network: left to predict
            return
        self._bind_params(flat, layout)

    def __sklearn_is_fitted__(self):
        # What check_is_fitted would find by scanning every attribute: coefs_ is
        # set by the first successful fit and only then.
        return "coefs_" in self.__dict__

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class MLPClassifier(ClassifierMixin, BaseMultilayerPerceptron):
    """Multi-layer perceptron classifier, a drop-in for scikit-learn's.

    Minimises the log-loss with L-BFGS, SGD or Adam. Same parameters, fitted
    attributes and results (for the same ``random_state``) as
    ``sklearn.neural_network.MLPClassifier``; the training loop runs in
    compiled code.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Width of each hidden layer, in order. An empty tuple gives a network
        without hidden layers (logistic regression).
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers: f(x) = x, 1 / (1 + exp(-x)),
        tanh(x) or max(0, x).
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        Optimiser: full-batch quasi-Newton L-BFGS (SciPy's L-BFGS-B),
        mini-batch stochastic gradient descent, or mini-batch Adam.
    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights (not the intercepts); the
        penalty 0.5 * alpha * ||W||^2 is divided by the batch's weight sum.
    batch_size : int or 'auto', default='auto'
        Mini-batch size of the stochastic solvers; 'auto' is min(200,
        n_samples). Ignored by L-BFGS.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Step-size schedule of 'sgd': fixed; learning_rate_init / (t + 1) **
        power_t with t the number of samples seen; or divided by 5 whenever
        n_iter_no_change epochs pass without improvement.
    learning_rate_init : float, default=0.001
        Initial step size of 'sgd' and 'adam'.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (L-BFGS).
    shuffle : bool, default=True
        Whether to visit samples in a new random order every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the early-stopping split.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no progress; L-BFGS's
        gradient tolerance.
    verbose : bool, default=False
        Print the loss of every epoch (of every iteration with L-BFGS).
    warm_start : bool, default=False
        Continue from the previous solution when fit is called again.
    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd' when momentum > 0.
    early_stopping : bool, default=False
        Hold out validation_fraction of the training data and stop when its
        accuracy stops improving; the best weights are kept.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    beta_1 : float, default=0.9
        Decay rate of Adam's first-moment estimate, in [0, 1).
    beta_2 : float, default=0.999
        Decay rate of Adam's second-moment estimate, in [0, 1).
    epsilon : float, default=1e-8
        Adam's numerical-stability term.
    n_iter_no_change : int, default=10
        Epochs without tol improvement before stopping (or, with 'adaptive',
        reducing the learning rate).
    max_fun : int, default=15000
        Maximum number of objective evaluations of L-BFGS.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels.
    loss_ : float
        Loss at the end of training (last epoch's average for the stochastic
        solvers).
    best_loss_ : float or None
        Lowest training loss seen (None with early stopping).
    loss_curve_ : list of float
        Training loss of every epoch (stochastic solvers).
    validation_scores_ : list of float or None
        Validation accuracy of every epoch when early_stopping=True.
    best_validation_score_ : float or None
        Best validation accuracy when early_stopping=True.
    t_ : int
        Number of training samples seen by the stochastic solvers.
    coefs_ : list of ndarray
        Weight matrix of every layer, shape (fan_in, fan_out).
    intercepts_ : list of ndarray
        Bias vector of every layer.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X had string column names.
    n_iter_ : int
        Number of epochs / iterations run.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        Output activation: 'logistic' (binary, multilabel) or 'softmax'.
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        loss="log_loss",
        class_weight=None,
        rho=0.9,
        weight_decay=0.01,
        l1_ratio=0.0,
        dropout=0.0,
        weight_init="glorot_uniform",
    ):
        self.class_weight = class_weight
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss=loss,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            rho=rho,
            weight_decay=weight_decay,
            l1_ratio=l1_ratio,
            dropout=dropout,
            weight_init=weight_init,
        )

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "loss": [StrOptions({"log_loss", "hinge", "squared_hinge"})],
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def _output_activation(self):
        if self.loss != "log_loss":
            return "identity"  # raw margins for the hinge losses
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax"
        return "logistic"

    def _class_sample_weight(self, y, incremental):
        if self.class_weight is None:
            return None
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs the whole training set and is not "
                "supported by partial_fit; pass a dict of class weights or use fit."
            )
        if isinstance(self.class_weight, dict):
            bad = {k: v for k, v in self.class_weight.items()
                   if not isinstance(v, (Real, np.floating, np.integer))
                   or not np.isfinite(v) or v < 0}
            if bad:
                raise ValueError(
                    "class_weight values must be finite non-negative numbers; got "
                    f"{bad}."
                )
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            labels = y.astype(int)
        else:
            labels = self._label_binarizer.inverse_transform(
                y.ravel() if y.shape[1] == 1 else y
            )
        return compute_sample_weight(self.class_weight, labels)

    def _plain_labels(self, X, y, reset, fit_labels):
        """The label indicators of y for plain X (see _plain_training_X) and a 1-D
        integer or string numpy.ndarray y of two or more classes (fit) or of
        the known binary or multiclass classes (partial_fit); None for anything
        else, which then goes through validate_data and the label binarizer."""
        if not (type(X) is np.ndarray and type(y) is np.ndarray and y.ndim == 1
                and y.shape[0] == X.shape[0] and y.dtype.kind in "iuU"):
            return None
        if fit_labels:  # LabelBinarizer().fit(y), without type_of_target's generality
            classes, index = np.unique(y, return_inverse=True)
            if y.dtype.kind == "U":  # unique_labels' dtype: as long as the longest label
                classes = np.asarray(classes.tolist())
            if len(classes) < 2 or not self._plain_training_X(X, reset):
                return None
            binarizer = LabelBinarizer()
            binarizer.y_type_ = "binary" if len(classes) == 2 else "multiclass"
            binarizer.sparse_input_ = False
            binarizer.classes_ = classes
            self._label_binarizer, self.classes_ = binarizer, classes
        else:
            classes = self.classes_
            if not (y.dtype == classes.dtype and len(classes) >= 2
                    and self._label_binarizer.y_type_ in ("binary", "multiclass")
                    and self._plain_training_X(X, reset)):
                return None
            index = np.searchsorted(classes, y)
            index[index == len(classes)] = 0
            if not np.array_equal(classes[index], y):
                return None  # a class not in classes_: the generic path says so
        if len(classes) == 2:
            return (index == 1)[:, None]
        indicators = np.zeros((y.shape[0], len(classes)), dtype=bool)
        indicators[np.arange(y.shape[0]), index] = True
        return indicators

    def _validate_input(self, X, y, incremental, reset):
        fit_labels = not hasattr(self, "classes_") or (not self.warm_start and not incremental)
        if fit_labels or incremental:
            indicators = self._plain_labels(X, y, reset, fit_labels)
            if indicators is not None:
                return X, indicators
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)

        # fit (or warm_start with no classes yet) learns the classes; warm_start
        # needs the same classes again; partial_fit needs a subset of them.
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as "
                        f"in the previous call to fit. Previously got {self.classes_}, "
                        f"`y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}."
                )
        if len(self.classes_) < 2 and self._label_binarizer.y_type_ != "multilabel-indicator":
            raise ValueError(
                "The classifier needs samples of at least 2 classes in the data, but "
                f"the data contains only one class: {self.classes_[0]!r}."
            )
        y = self._label_binarizer.transform(y).astype(bool)
        return X, y

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted classes (an indicator matrix for multilabel targets).
        """
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        y_pred = self._forward_pass_fast(X, check_input=check_input)
        # Hinge losses output margins: the decision threshold is 0, not 0.5.
        threshold = 0.5 if self.loss == "log_loss" else 0.0
        # The label binarizer's inverse_transform, without its generic checks.
        y_type = self._label_binarizer.y_type_
        if y_type == "multiclass":
            return self.classes_[np.argmax(y_pred, axis=1)]
        if y_type == "binary":
            return self.classes_[(y_pred.ravel() > threshold).astype(np.intp)]
        return self._label_binarizer.inverse_transform(y_pred, threshold=threshold)

    def decision_function(self, X):
        """Raw scores of the output layer (before the logistic or softmax).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One score per class (per label for multilabel targets; a single
            column, raveled, for binary targets). Positive means the class.
        """
        check_is_fitted(self)
        scores = self._forward_pass_fast(X, out_activation="identity")
        return scores.ravel() if scores.shape[1] == 1 else scores

    def _check_proba(self):
        if self.loss != "log_loss":
            raise AttributeError(
                f"predict_proba is not available when loss={self.loss!r}: the network "
                "outputs margins, not probabilities. Use decision_function."
            )
        return True

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight, accuracy_score)

    def _score_rule(self):
        """How early stopping's validation pass decides a row's classes, as
        _predict does: a key of _codes.SCORE_RULES."""
        if self._label_binarizer.y_type_ == "multiclass":
            return "argmax"
        return "above_half" if self.loss == "log_loss" else "above_zero"

    @available_if(lambda est: est._check_solver())
    @with_callbacks
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Run one epoch over the given data, keeping the optimizer state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.
        classes : array of shape (n_classes,), default=None
            All classes that can appear across calls; required on the first
            call, optional afterwards.

        Returns
        -------
        self : object
            The updated estimator.
        """
        self._validate_params_if_changed()
        if getattr(self, "classes_", None) is None and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        first_call = False
        if classes is not None:
            given = unique_labels(classes)
            if getattr(self, "classes_", None) is not None:
                if not np.array_equal(self.classes_, given):
                    raise ValueError(
                        f"`classes={classes!r}` is not the same as on last call to "
                        f"partial_fit, was: {self.classes_!r}"
                    )
            else:
                first_call = True
        hooks = self._callback_hooks(X, y, sample_weight, incremental=True)
        if not first_call:
            return self._fit(X, y, sample_weight=sample_weight, incremental=True,
                             hooks=hooks)
        if y is None:  # the message fit gives (validate_data)
            raise ValueError(
                f"This {type(self).__name__} estimator requires y to be passed, but the "
                "target y is None."
            )
        y_checked = check_array(y, ensure_2d=False, dtype=None, input_name="y")
        binarizer = LabelBinarizer()
        if type_of_target(y_checked).startswith("multilabel"):
            binarizer.fit(y_checked)
        else:
            binarizer.fit(classes)
        self.classes_, self._label_binarizer = given, binarizer
        try:
            return self._fit(X, y, sample_weight=sample_weight, incremental=True,
                             hooks=hooks)
        except BaseException:
            if not hasattr(self, "coefs_"):  # nothing fitted: forget the classes
                self.__dict__.pop("classes_", None)
                self.__dict__.pop("_label_binarizer", None)
            raise

    @available_if(lambda est: est._check_proba())
    def predict_log_proba(self, X):
        """Log of the class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``, columns ordered as ``classes_``.
        """
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    @available_if(lambda est: est._check_proba())
    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            Probability of each class, columns ordered as ``classes_``.
        """
        check_is_fitted(self)
        y_pred = self._forward_pass_fast(X)
        if self.n_outputs_ == 1:
            p = y_pred.ravel()
            return np.vstack([1 - p, p]).T
        return y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMultilayerPerceptron):
    """Multi-layer perceptron regressor, a drop-in for scikit-learn's.

    Minimises half the squared error (or half the Poisson deviance) with
    L-BFGS, SGD or Adam. Same parameters, fitted attributes and results (for
    the same ``random_state``) as ``sklearn.neural_network.MLPRegressor``, with
    two deliberate differences: for several outputs with squared error,
    ``loss_``/``loss_curve_`` report the objective actually minimised (the sum
    over outputs, n_outputs times scikit-learn's figure), and ``partial_fit``
    is only available for the stochastic solvers.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        'squared_error' is 0.5 * mean (y - p)^2 summed over outputs with an
        identity output; 'poisson' is half the Poisson deviance with an
        exponential output (y must be non-negative).
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Width of each hidden layer, in order.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers.
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        Optimiser: L-BFGS, mini-batch SGD or mini-batch Adam.
    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights.
    batch_size : int or 'auto', default='auto'
        Mini-batch size; 'auto' is min(200, n_samples).
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Step-size schedule of 'sgd'.
    learning_rate_init : float, default=0.001
        Initial step size of 'sgd' and 'adam'.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (L-BFGS).
    shuffle : bool, default=True
        Whether to visit samples in a new random order every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the early-stopping split.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no progress.
    verbose : bool, default=False
        Print the loss of every epoch (of every iteration with L-BFGS).
    warm_start : bool, default=False
        Continue from the previous solution when fit is called again.
    momentum : float, default=0.9
        Momentum of 'sgd'.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd'.
    early_stopping : bool, default=False
        Stop when the R^2 of a held-out validation set stops improving.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    beta_1 : float, default=0.9
        Adam's first-moment decay rate.
    beta_2 : float, default=0.999
        Adam's second-moment decay rate.
    epsilon : float, default=1e-8
        Adam's numerical-stability term.
    n_iter_no_change : int, default=10
        Epochs without tol improvement before stopping.
    max_fun : int, default=15000
        Maximum number of objective evaluations of L-BFGS.

    Attributes
    ----------
    loss_ : float
        Loss at the end of training.
    best_loss_ : float or None
        Lowest training loss seen.
    loss_curve_ : list of float
        Training loss of every epoch (stochastic solvers).
    validation_scores_ : list of float or None
        Validation R^2 of every epoch when early_stopping=True.
    best_validation_score_ : float or None
        Best validation R^2 when early_stopping=True.
    t_ : int
        Number of training samples seen by the stochastic solvers.
    coefs_ : list of ndarray
        Weight matrix of every layer.
    intercepts_ : list of ndarray
        Bias vector of every layer.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X had string column names.
    n_iter_ : int
        Number of epochs / iterations run.
    n_layers_ : int
        Number of layers.
    n_outputs_ : int
        Number of outputs.
    out_activation_ : str
        'identity', or 'exp' for the Poisson loss.
    """

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson", "absolute_error", "huber"})],
        "out_activation": [
            StrOptions({"identity", "logistic", "tanh", "exp", "softplus"}),
            None,
        ],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
    }

    def _output_activation(self):
        if self.out_activation is not None:
            return self.out_activation
        return "exp" if self.loss == "poisson" else "identity"

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        out_activation=None,
        huber_delta=1.0,
        rho=0.9,
        weight_decay=0.01,
        l1_ratio=0.0,
        dropout=0.0,
        weight_init="glorot_uniform",
    ):
        self.out_activation = out_activation
        self.huber_delta = huber_delta
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss=loss,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            rho=rho,
            weight_decay=weight_decay,
            l1_ratio=l1_ratio,
            dropout=dropout,
            weight_init=weight_init,
        )

    def predict(self, X):
        """Predict regression targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        """
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        y_pred = self._forward_pass_fast(X, check_input=check_input)
        if y_pred.shape[1] == 1:
            return y_pred.ravel()
        return y_pred

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight, r2_score)

    def _score_rule(self):
        """R², from the residuals (a key of _codes.SCORE_RULES)."""
        return "residuals"

    def _validate_input(self, X, y, incremental, reset):
        # plain X (see _plain_training_X) and finite float targets
        if (type(X) is np.ndarray and type(y) is np.ndarray and y.dtype.kind == "f"
                and y.shape[0] == X.shape[0] and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] > 1))
                and bool(np.isfinite(y.sum())) and self._plain_training_X(X, reset)):
            return X, y
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    @available_if(lambda est: est._check_solver())
    @with_callbacks
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch over the given data, keeping the optimizer state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        self._validate_params_if_changed()
        hooks = self._callback_hooks(X, y, sample_weight, incremental=True)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True, hooks=hooks)

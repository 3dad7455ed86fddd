"""Multi-layer perceptron estimators: MLPClassifier and MLPRegressor.

This module holds what a scikit-learn user sees: the parameters and their
checks, validation of X and y, initialisation and warm starts, the roll-back of
a failed call, prediction, and the dispatch of a fit to its driver:
`_stochastic.run_epochs` (the epoch loop; early stopping's validation set in
`_early_stopping.py`) or `_lbfgs.run_lbfgs` (scipy's L-BFGS-B over the
full-batch objective of `_objective.py`).  The drivers change the parameters
and return (or yield) what happened; the estimator applies that to its fitted
attributes, here and nowhere else.  Each epoch, objective evaluation and
prediction runs in the compiled engine (`fastmlp._kernels._engine`) without
the GIL.
"""

import operator
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, check_scoring, get_scorer_names, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import (
    _assert_all_finite,
    _check_sample_weight,
    _get_feature_names,
    check_array,
    check_is_fitted,
    validate_data,
)

from . import _threads
from ._callbacks import CALL_ATTRIBUTES, CallbackSupportMixin, _FitHooks, with_callbacks
from ._early_stopping import (
    EpochResponses,
    NegativeLoss,
    ScorerScore,
    ValidationSet,
    builtin_score,
    validation_split,
)
from ._export import to_sklearn
from ._kernels import _codes, _engine
from ._lbfgs import LbfgsOutcome, LbfgsSettings, run_lbfgs
from ._network import BoundParams, Layout
from ._objective import FullBatchObjective, TrainingSet, chunk_rows, row_flops
from ._stochastic import (
    Epoch,
    EpochSettings,
    MaxIterReached,
    OptimizerState,
    Progress,
    run_epochs,
)
from ._version import __version__
from .exceptions import NON_FINITE_WEIGHTS, InconsistentVersionWarning

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_STOCHASTIC_SOLVERS = tuple(_codes.SOLVER_CODES)  # every solver but lbfgs
_HIDDEN_ACTIVATIONS = {
    "identity",
    "logistic",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "softplus",
    "gelu",
    "silu",
    "gaussian",
}
_WEIGHT_INITS = {
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
}
# The optimizer state's class lived here before the epoch loop got its own module:
# models pickled then still load (and carry on with partial_fit).
_OptimizerState = OptimizerState

# Bytes of X per chunk of rows in prediction: a chunk is checked for NaN and
# infinity just before its first GEMM reads it, while it is in cache (the size
# is measured: doc/development.rst, "Tuned constants").
_PREDICT_CHUNK_BYTES = 1 << 21
# Floating-point operations of the forward pass below which a chunk of rows is not
# split in two for a team: a second thread costs more than it saves below it.
_PREDICT_MIN_CHUNK_FLOPS = 8e6


def _prediction_chunk(layout, n, dtype):
    """Rows per chunk of a prediction of `n` rows of the network `layout` in
    `dtype`.  The chunks do not depend on the number of threads, nor do the
    results."""
    row_bytes = max(1, layout.units[0] * np.dtype(dtype).itemsize)
    # Two chunks at least when each carries enough work to pay for a second
    # thread (a digits-sized call: 1797 rows of a (64, 32) network).
    min_rows = int(_PREDICT_MIN_CHUNK_FLOPS // max(layout.dense_row_flops / 3, 1.0)) + 1
    return min(
        chunk_rows(layout, n),
        max(16, _PREDICT_CHUNK_BYTES // row_bytes),
        max(min_rows, -(-n // 2)),
    )


class _GivenValidation(NamedTuple):
    """A validation set given to fit or partial_fit (X_val, y_val,
    sample_weight_val), validated."""

    X: object  # (n_val, n_features) ndarray or sparse matrix, float32 or float64
    Y: np.ndarray  # (n_val, n_outputs): targets as the engine reads them
    y: object  # targets as a scorer reads them (class labels for classifiers)
    sample_weight: object  # (n_val,) float64, or None


def _validation_arguments(X_val, y_val, sample_weight_val):
    """(X_val, y_val, sample_weight_val) as given, or None when no validation
    set is given; X_val and y_val come together."""
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError(
                "sample_weight_val is provided, but X_val and y_val were not provided."
            )
        return None
    if y_val is None:
        raise ValueError("X_val is provided, but y_val was not provided.")
    if X_val is None:
        raise ValueError("y_val is provided, but X_val was not provided.")
    return X_val, y_val, sample_weight_val


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
        "scoring": [str, callable, None],
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
        scoring,
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
        self.scoring = scoring
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
        if isinstance(rates, (Real, np.floating, np.integer)) and not isinstance(
            rates, bool
        ):
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
        if (
            self.loss in ("hinge", "squared_hinge")
            and self.n_outputs_ != 1
            and (self._label_binarizer.y_type_ == "multiclass")
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
            key = (
                *acts,
                loss,
                loss_param,
                alpha,
                l1_ratio,
                None if rates is None else tuple(rates),
            )
            spec = bound.specs.get(key)
            if spec is not None:
                return spec
        spec = _engine.NetSpec(
            layout,
            acts,
            loss,
            loss_param=loss_param,
            alpha=alpha,
            l1_ratio=l1_ratio,
            dropout=rates,
        )
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
    def _check_fit_params(self, incremental, given_validation=False):
        """The checks of parameters that _parameter_constraints cannot express,
        made before the call changes anything (`given_validation`: whether the
        call was given X_val and y_val).  Returns the hidden layer sizes."""
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
            if self.validation_fraction <= 0 and not given_validation:
                raise ValueError(
                    "early_stopping=True needs a validation set: set validation_fraction "
                    f"in (0, 1) (got {self.validation_fraction}), or pass X_val and y_val."
                )
        if given_validation and self.solver not in _STOCHASTIC_SOLVERS:
            raise ValueError(
                "X_val and y_val are scored after every epoch of a stochastic solver; "
                f"solver={self.solver!r} has no epochs. Choose e.g. solver='adam', or "
                "leave X_val and y_val out."
            )
        if (
            isinstance(self.scoring, str)
            and self.scoring != "loss"
            and self.scoring not in get_scorer_names()
        ):
            raise ValueError(
                f"scoring={self.scoring!r} is neither None, 'loss', a callable nor the "
                "name of a scikit-learn scorer (see sklearn.metrics.get_scorer_names())."
            )
        return hidden

    def _fit(
        self,
        X,
        y,
        sample_weight=None,
        incremental=False,
        coef_init=None,
        intercept_init=None,
        train=True,
        hooks=None,
        validation_data=None,
    ):
        """`validation_data`: (X_val, y_val, sample_weight_val) as given, or None."""
        hidden = self._check_fit_params(incremental, validation_data is not None)
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        # A call that fails leaves the estimator as it found it.
        backup = self._snapshot() if hasattr(self, "coefs_") else None
        try:
            self._prepare_and_train(
                X,
                y,
                sample_weight,
                incremental,
                hidden,
                first_pass,
                coef_init,
                intercept_init,
                train,
                hooks,
                validation_data,
            )
        except (ValueError, TypeError):
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

    def _prepare_network(
        self, y, layer_units, first_pass, dtype, coef_init, intercept_init
    ):
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

    def _prepare_and_train(
        self,
        X,
        y,
        sample_weight,
        incremental,
        hidden,
        first_pass,
        coef_init,
        intercept_init,
        train,
        hooks=None,
        validation_data=None,
    ):
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        weights = self._sample_weights(X, y, sample_weight, incremental)
        if not is_classifier(self) and self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "loss='poisson' requires non-negative targets y; got negative values."
            )
        given = None
        if validation_data is not None:
            given = self._validate_validation_data(*validation_data, n_outputs=y.shape[1])
        layer_units = [X.shape[1]] + hidden + [y.shape[1]]
        layout = self._prepare_network(
            y, layer_units, first_pass, X.dtype, coef_init, intercept_init
        )
        if not train:
            return

        training_set = TrainingSet.build(X, y, weights, self._params.dtype)
        spec = self._net_spec(layout)
        if hooks is not None:
            hooks.fit_begin()
        if self.solver in _STOCHASTIC_SOLVERS:
            self._train_stochastic(spec, training_set, incremental, hooks, given)
        else:
            self._train_lbfgs(FullBatchObjective(spec, training_set.data), hooks)
        self._check_finite_fit(X)
        if hooks is not None:
            hooks.fit_end()

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is "
                "going to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _stochastic_optimizer(self, layout, dtype, incremental):
        """The solver's state: kept by partial_fit, new for fit; configured with
        the current parameters for this call."""
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = OptimizerState(
                self.solver, layout.n_params, dtype, self.learning_rate_init
            )
        opt = self._optimizer
        opt.configure(
            self.learning_rate,
            self.learning_rate_init,
            self.power_t,
            momentum=float(self.momentum),
            nesterov=bool(self.nesterovs_momentum),
            beta_1=float(self.beta_1),
            beta_2=float(self.beta_2),
            epsilon=float(self.epsilon),
            rho=float(self.rho),
            weight_decay=float(self.weight_decay),
        )
        return opt

    def _validate_validation_data(self, X_val, y_val, sample_weight_val, n_outputs):
        """The _GivenValidation of X_val, y_val and sample_weight_val, validated
        as X, y and sample_weight are, against the X and y (`n_outputs`
        columns) of this call; errors name the argument at fault."""
        X_val = self._check_X_val(X_val)
        n_val = X_val.shape[0]
        y_val = check_array(
            y_val,
            accept_sparse="csr",
            ensure_2d=False,
            dtype=None,
            input_name="y_val",
            estimator=self,
        )
        if y_val.shape[0] != n_val:
            raise ValueError(
                f"X_val and y_val have different numbers of rows: {n_val} and "
                f"{y_val.shape[0]}."
            )
        Y, y_val = self._validation_targets(y_val, n_outputs)
        weights = None
        if sample_weight_val is not None:
            if isinstance(sample_weight_val, Real):
                weights = np.full(n_val, float(sample_weight_val))
            else:
                weights = check_array(
                    sample_weight_val,
                    ensure_2d=False,
                    dtype=np.float64,
                    input_name="sample_weight_val",
                    estimator=self,
                )
            if weights.shape != (n_val,):
                raise ValueError(
                    f"sample_weight_val must have one weight per row of X_val: got "
                    f"shape {weights.shape}, X_val has {n_val} rows."
                )
            if np.any(weights < 0):
                raise ValueError("sample_weight_val must not contain negative values.")
            if not np.any(weights > 0):
                raise ValueError(
                    "sample_weight_val must contain at least one positive value."
                )
        return _GivenValidation(X_val, Y, y_val, weights)

    def _check_X_val(self, X_val):
        """X_val validated as X is (sparse formats, dtype, finite values), with
        the features of X: their number and, when X had them, their names."""
        names = _get_feature_names(X_val)
        X_val = check_array(
            X_val,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            input_name="X_val",
            estimator=self,
        )
        fitted_names = self.__dict__.get("feature_names_in_")
        name = type(self).__name__
        if fitted_names is not None and names is not None:
            if not np.array_equal(names, fitted_names):
                raise ValueError(
                    "The feature names of X_val should match those of X, in the same "
                    f"order: X has {list(fitted_names)}, X_val {list(names)}."
                )
        elif fitted_names is not None:
            warnings.warn(
                f"X_val does not have valid feature names, but {name} was "
                "fitted with feature names",
                UserWarning,
                stacklevel=5,
            )
        elif names is not None:
            warnings.warn(
                f"X_val has feature names, but {name} was fitted without feature names",
                UserWarning,
                stacklevel=5,
            )
        if X_val.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X_val has {X_val.shape[1]} features, but {name} is expecting "
                f"{self.n_features_in_} features as input (those of X)."
            )
        return X_val

    def _validation_set(self, spec, training_set, given=None):
        """(training rows, ValidationSet): the rows scored after every epoch are
        the validation set `given` (a _GivenValidation; no row is held out, the
        training rows are None) or, without one, validation_fraction of the
        training rows, held out of them."""
        data = training_set.data
        if given is None:
            single_label = is_classifier(self) and self.n_outputs_ == 1
            stratify = training_set.y if single_label else None
            train_rows, val_rows = validation_split(
                data.n_rows, stratify, self._random_state, self.validation_fraction
            )
            X_val = training_set.X[val_rows]
            weighted = training_set.weighted
            # weights: ones when none were given
            val_data = _engine.Dataset(
                X_val, data.dtype, data.Y[val_rows], data.sample_weight[val_rows]
            )
        else:
            train_rows = None
            # in the network's dtype, as the engine reads it and as a scorer
            # gets it: the estimator's predict of it gives the same numbers
            X_val = given.X.astype(data.dtype, copy=False)
            weighted = given.sample_weight is not None
            val_data = _engine.Dataset(X_val, data.dtype, given.Y, given.sample_weight)
        val_spec = self._net_spec(spec.layout, dropout=False)
        # What evaluate computes besides the loss, as `scoring` says.
        rule = self._score_rule()
        if self.scoring is None:  # accuracy or R², from the engine's pass
            score = builtin_score(rule, val_data, weighted)
        elif isinstance(self.scoring, str) and self.scoring == "loss":
            score = NegativeLoss(rule, val_data)
        elif given is None:
            # a scorer's targets: the labels, and the weights the fit trains with
            score = self._scorer_score(
                val_spec,
                X_val,
                val_data,
                self._scorer_targets(training_set.y[val_rows]),
                val_data.sample_weight if weighted else None,
            )
        else:
            score = self._scorer_score(
                val_spec, X_val, val_data, given.y, given.sample_weight
            )
        self._best_params = np.require(self._best_params, requirements="W")
        validation = ValidationSet(
            val_spec, val_data, score, self._best_params, stops=bool(self.early_stopping)
        )
        return train_rows, validation

    def _scorer_score(self, spec, X_val, data, y_val, sample_weight):
        """The ScorerScore of `scoring` (a scorer name or a callable): the scorer
        called with the estimator's responses to X_val (the rows `data`), the
        targets `y_val` and `sample_weight`."""
        rule = self._score_rule()
        scorer = self._validation_scorer()
        specs = {None: spec}
        if is_classifier(self):
            specs["identity"] = self._net_spec(
                spec.layout, out_activation="identity", dropout=False
            )
        chunk = _prediction_chunk(spec.layout, data.n_rows, data.dtype)
        responses = EpochResponses(self, X_val, data, specs, chunk)
        return ScorerScore(self.scoring, scorer, responses, y_val, sample_weight, rule)

    def _validation_scorer(self):
        """check_scoring's scorer of `scoring` (a name or a callable), checked
        to find the responses it needs (predict_proba, decision_function)."""
        scorer = check_scoring(self, scoring=self.scoring)
        needs = getattr(scorer, "_response_method", None)  # scikit-learn's scorers
        if needs is not None:
            methods = [needs] if isinstance(needs, str) else list(needs)
            if not any(hasattr(self, m) for m in methods):
                given = f" with loss={self.loss!r}" if is_classifier(self) else ""
                raise ValueError(
                    f"scoring={self.scoring!r} needs {' or '.join(methods)}, which "
                    f"{type(self).__name__}{given} does not have."
                )
        return scorer

    def _progress(self):
        """The stopping rule's state as the fitted attributes hold it, at the
        start of a call (n_iter_ counts the epochs of the last call)."""
        return Progress(
            0,
            self.t_,
            self.best_loss_,
            self.best_validation_score_,
            self._no_improvement_count,
        )

    def _apply_progress(self, progress):
        self.n_iter_ = progress.n_iter
        self.t_ = progress.samples_seen
        self.best_loss_ = progress.best_loss
        self.best_validation_score_ = progress.best_validation_score
        self._no_improvement_count = progress.no_improvement_count

    def _train_stochastic(self, spec, training_set, incremental, hooks, given=None):
        """Up to max_iter epochs (one for partial_fit) of the stochastic solver,
        each applied to the fitted attributes as it ends; `given`: the
        _GivenValidation of the call, or None."""
        layout = spec.layout
        dtype = self._params.dtype
        validation = None
        if self.early_stopping or given is not None:
            train_rows, validation = self._validation_set(spec, training_set, given)
            if train_rows is not None:
                training_set = training_set._replace(rows=train_rows)
            # a given set is scored without early stopping too
            for name in ("validation_scores_", "validation_loss_curve_"):
                if getattr(self, name, None) is None:
                    setattr(self, name, [])
        optimizer = self._stochastic_optimizer(layout, dtype, incremental)
        n_hidden = layout.n_weight_layers - 1
        settings = EpochSettings(
            max_iter=int(self.max_iter), batch_size=self._batch_size(training_set.n_samples),
            shuffle=bool(self.shuffle), tol=float(self.tol),
            n_iter_no_change=(self.n_iter_no_change if self.n_iter_no_change == np.inf
                              else int(self.n_iter_no_change)),
            verbose=bool(self.verbose),
            incremental=incremental,
            # Dropout masks come from random_state too, one seed per epoch (drawn
            # only when dropout is on, so the default path consumes scikit-learn's
            # stream).
            dropout=any(r > 0 for r in self._dropout_rates(n_hidden)),
        )  # fmt: skip
        network = _engine.network(spec, self._params)
        for record in run_epochs(
            network,
            optimizer,
            training_set,
            settings,
            self._progress(),
            self._random_state,
            validation,
            hooks,
        ):
            if isinstance(record, Epoch):
                self._apply_progress(record.progress)
                self.loss_ = record.loss
                self.loss_curve_.append(record.loss)
                if validation is not None:
                    self.validation_loss_curve_.append(record.validation_loss)
                    self.validation_scores_.append(record.validation_score)
                    if record.best_params is not None:
                        self._best_params = record.best_params
            elif isinstance(record, Progress):
                self._apply_progress(record)
            elif isinstance(record, MaxIterReached):
                warnings.warn(record.message, ConvergenceWarning)

    def _train_lbfgs(self, objective, hooks):
        """scipy's L-BFGS-B from the current parameters; n_iter_ and loss_ are
        set also when the run is interrupted."""
        settings = LbfgsSettings(
            max_iter=int(self.max_iter),
            max_fun=int(self.max_fun),
            tol=float(self.tol),
            verbose=bool(self.verbose),
        )
        outcome = LbfgsOutcome()
        try:
            run_lbfgs(objective, self._params, settings, outcome, hooks)
        finally:
            self.n_iter_ = outcome.n_iter
            if outcome.loss is not None:
                self.loss_ = outcome.loss
            for message in outcome.warnings:
                warnings.warn(message, ConvergenceWarning, stacklevel=4)

    def _check_finite_fit(self, X):
        """The last step can overflow after the last loss was computed: check the
        weights, and the outputs on (up to 256 evenly spread) training rows."""
        n_samples = X.shape[0]
        probe = X
        if n_samples > 256:
            probe = X[np.linspace(0, n_samples - 1, 256).astype(np.intp)]
        if not (
            np.all(np.isfinite(self._params))
            and np.all(np.isfinite(self._forward_pass_fast(probe, check_input=False)))
        ):
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
        for name in ("loss_curve_", "validation_scores_", "validation_loss_curve_"):
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
        if (
            checked is None
            or len(checked) != len(current)
            or not all(map(operator.is_, current, checked))
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
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        coef_init=None,
        intercept_init=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Fit the model to data matrix X and target(s) y.

        Trains from a new random initialization (or from ``coef_init`` and
        ``intercept_init``, or, with ``warm_start=True``, from the previous
        solution) for at most ``max_iter`` epochs or iterations. Callbacks
        set with ``set_callbacks`` (scikit-learn >= 1.9) see one task per
        epoch, or per iteration with ``solver='lbfgs'``. If the call fails
        (a ValueError or TypeError, e.g. a diverging fit or bad input), the
        estimator is left as it was before the call.

        A validation set given as ``X_val`` and ``y_val`` (stochastic
        solvers only) is scored after every epoch, by ``scoring``, into
        ``validation_scores_`` and ``validation_loss_curve_``. With
        ``early_stopping=True`` it decides when training stops and which
        epoch's weights are kept, and no rows of X are held out
        (``validation_fraction`` is not used); without early stopping it is
        only recorded (the training loss decides when to stop).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. float32 input trains a float32 network; other
            dtypes are converted to float64.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers
            in regression; a label indicator matrix for multilabel
            classification).

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, non-negative with at least one positive; None
            gives every sample weight 1. With ``class_weight`` the two are
            multiplied.

        coef_init : list of array-like, default=None
            Weights to start from instead of the random initialization, one
            array per layer shaped like ``coefs_`` (fan_in, fan_out).

            Not in scikit-learn.

        intercept_init : list of array-like, default=None
            Biases to start from, one array per layer shaped like
            ``intercepts_``.

            Not in scikit-learn.

        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
default=None
            Validation input scored after every epoch, validated as X is
            (the same features and feature names) and converted to the
            network's dtype. Requires ``y_val`` and a stochastic solver. In
            a ``Pipeline``, the preceding steps transform it as they transform
            X with ``Pipeline(..., transform_input=["X_val"])`` and
            ``set_fit_request(X_val=True, y_val=True)`` (metadata routing
            enabled).

            Not in scikit-learn.

        y_val : array-like of shape (n_val,) or (n_val, n_outputs), \
default=None
            Targets of ``X_val``, of the same kind as y (classifiers: only
            classes found in y).

            Not in scikit-learn.

        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation rows in the validation loss and score
            (``class_weight`` weighs the training rows only); None gives
            every row weight 1.

            Not in scikit-learn.

        Returns
        -------
        self : object
            Returns a trained MLP model.
        """
        self._validate_params()
        validation_data = _validation_arguments(X_val, y_val, sample_weight_val)
        hooks = self._callback_hooks(X, y, sample_weight, incremental=False)
        return self._fit(
            X,
            y,
            sample_weight=sample_weight,
            incremental=False,
            coef_init=coef_init,
            intercept_init=intercept_init,
            hooks=hooks,
            validation_data=validation_data,
        )

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
    def _is_plain_X(self, X, finite, reset=False):
        """Whether X is the common case that passes every check validate_data
        makes, and needs none of its conversions: a 2-D float32/float64
        numpy.ndarray with rows and columns, of the fitted number of features
        for a model fitted without feature names (with `reset`, a first fit:
        any number), and, with `finite`, no NaN or infinity.  Anything else goes
        through validate_data, which converts it or raises and warns exactly as
        scikit-learn does."""
        return (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in _FLOAT_DTYPES
            and X.shape[0] > 0
            and X.shape[1] > 0
            and (
                reset
                or (
                    X.shape[1] == self.__dict__.get("n_features_in_")
                    and "feature_names_in_" not in self.__dict__
                )
            )
            and (not finite or bool(np.isfinite(X.sum())))
        )

    def _plain_training_X(self, X, reset):
        """_is_plain_X for training (finite), recording on a reset what
        validate_data records then."""
        if not self._is_plain_X(X, finite=True, reset=reset):
            return False
        if reset:
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
        data = _engine.Dataset(X, dtype)
        chunk = _prediction_chunk(layout, n, dtype)
        # a forward pass: a third of the work of a training pass
        network = _engine.network(spec, params)
        with _threads.session(n, n * row_flops(data, layout) / 3, "predict") as team:
            with team.call(n) as n_threads:
                finite = _engine.predict(network, data, out, chunk, n_threads, check_input)
        if not finite:
            # Raises scikit-learn's own error message for X.
            _assert_all_finite(
                data.values, input_name="X", estimator_name=type(self).__name__
            )
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
        full_batch = FullBatchObjective(self._net_spec(layout, dropout=False), rows.data)

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
        """Return the fitted network as scikit-learn's own estimator.

        The scikit-learn ``MLPClassifier`` / ``MLPRegressor`` gets copies of
        ``coefs_`` and ``intercepts_`` (in their dtype, float32 included),
        ``classes_`` and the label binarizer, ``n_features_in_``,
        ``feature_names_in_``, ``out_activation_``, ``n_outputs_``,
        ``n_layers_``, ``n_iter_``, ``t_``, the losses and the loss and score
        curves, so its ``predict`` and ``predict_proba`` give the same
        results. Use it to hand a model to code that requires
        scikit-learn's class (the ONNX converters build on it). The
        estimator itself is not modified.

        Not in scikit-learn.

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

        See Also
        --------
        sklearn.neural_network.MLPClassifier : Scikit-learn's classifier.
        sklearn.neural_network.MLPRegressor : Scikit-learn's regressor.
        register_onnx_converters : ONNX export, which relies on this method.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_iris
        >>> from fastmlp import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs",
        ...                     random_state=0).fit(X, y)
        >>> sk = clf.to_sklearn()
        >>> type(sk).__module__
        'sklearn.neural_network._multilayer_perceptron'
        >>> bool(np.array_equal(sk.predict(X), clf.predict(X)))
        True
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
            warnings.warn(
                InconsistentVersionWarning(type(self).__name__, saved, __version__)
            )
        # Pickled before `scoring` existed: the default, today's score.
        state.setdefault("scoring", None)
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
        if not all(
            type(a) is np.ndarray and a.flags.writeable and a.dtype in _FLOAT_DTYPES
            for a in arrays
        ):
            return
        try:
            layout = self._network_layout()
            flat = self._current_params(layout)  # a packed copy: there is no _params
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
    """Multi-layer Perceptron classifier.

    This model optimizes the log-loss function (or, with ``loss``, a hinge
    loss) using LBFGS or stochastic gradient descent. It is a drop-in
    replacement for ``sklearn.neural_network.MLPClassifier``: with
    scikit-learn's parameters it takes the same parameters, trains the same
    network (for the same ``random_state``) and exposes the same fitted
    attributes, while the training loop and the prediction run in compiled
    code. Parameters beyond scikit-learn's give more activations, solvers
    and losses, dropout, an L1 share of the penalty, class weights and
    weight initializations.

    Read more in the :ref:`User Guide <estimators>`.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element represents the number of neurons in the ith hidden
        layer. An int gives a single hidden layer; an empty tuple gives a
        network without hidden layers (a linear model followed by the output
        activation, e.g. a logistic regression).

    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', \
'elu', 'selu', 'softplus', 'gelu', 'silu', 'gaussian'} or list of str, \
default='relu'
        Activation function for the hidden layers. A single name applies to
        every hidden layer; a list or tuple gives one name per hidden layer,
        in order, and must have one entry for each of them.

        - 'identity', no-op activation, useful to implement linear
          bottleneck, returns f(x) = x.
        - 'logistic', the logistic sigmoid function,
          returns f(x) = 1 / (1 + exp(-x)).
        - 'tanh', the hyperbolic tan function, returns f(x) = tanh(x).
        - 'relu', the rectified linear unit function,
          returns f(x) = max(0, x).
        - 'leaky_relu', returns f(x) = x for x > 0, else 0.01 * x.
        - 'elu', the exponential linear unit, returns f(x) = x for x > 0,
          else exp(x) - 1.
        - 'selu', the scaled exponential linear unit, returns
          f(x) = scale * x for x > 0, else scale * alpha * (exp(x) - 1), with
          scale = 1.0507009873554805 and alpha = 1.6732632423543772.
        - 'softplus', returns f(x) = log(1 + exp(x)).
        - 'gelu', the Gaussian error linear unit (exact, not the tanh
          approximation), returns f(x) = x * Phi(x) with Phi the standard
          normal cumulative distribution function.
        - 'silu', the sigmoid linear unit (swish), returns
          f(x) = x / (1 + exp(-x)).
        - 'gaussian', returns f(x) = exp(-x ** 2).

        The options 'leaky_relu', 'elu', 'selu', 'softplus', 'gelu', 'silu'
        and 'gaussian', and a list of activations, one per hidden layer, are
        not in scikit-learn.

    solver : {'lbfgs', 'sgd', 'adam', 'adagrad', 'rmsprop', 'adadelta', \
'adamw'}, default='adam'
        The solver for weight optimization.

        - 'lbfgs' is an optimizer in the family of quasi-Newton methods
          (SciPy's L-BFGS-B over the full-batch objective).
        - 'sgd' refers to stochastic gradient descent, with momentum.
        - 'adam' refers to a stochastic gradient-based optimizer proposed by
          Kingma, Diederik, and Jimmy Ba.
        - 'adagrad' divides each parameter's step by the square root of the
          sum of its squared gradients so far (Duchi et al.):
          w -= learning_rate_init * g / (sqrt(sum g ** 2) + epsilon).
        - 'rmsprop' divides it by the square root of a running average
          s = rho * s + (1 - rho) * g ** 2 instead:
          w -= learning_rate_init * g / (sqrt(s) + epsilon).
        - 'adadelta' is Zeiler's method (running averages of the squared
          gradients and of the squared steps, decay ``rho``, ``epsilon``
          inside the square roots), its step multiplied by
          ``learning_rate_init``; ``learning_rate_init=1.0`` gives the
          original method.
        - 'adamw' is 'adam' with decoupled weight decay (Loshchilov and
          Hutter): before each step the weights (not the intercepts) are
          multiplied by (1 - learning_rate_init * weight_decay).

        Every solver but 'lbfgs' is stochastic: it works on mini-batches of
        ``batch_size`` samples, ``max_iter`` counts epochs, and
        ``partial_fit``, ``early_stopping`` and ``dropout`` are available.

        Note: The default solver 'adam' works pretty well on relatively large
        datasets (with thousands of training samples or more) in terms of
        both training time and validation score. For small datasets,
        however, 'lbfgs' can converge faster and perform better.

        The options 'adagrad', 'rmsprop', 'adadelta' and 'adamw' are not in
        scikit-learn.

    alpha : float, default=0.0001
        Strength of the regularization term, a penalty on the weights (not
        the intercepts) added to the loss: with ``l1_ratio=0`` (the default)
        it is scikit-learn's L2 term ``0.5 * alpha * ||W||^2``, and in
        general ``alpha * ((1 - l1_ratio) * 0.5 * ||W||^2 + l1_ratio *
        ||W||_1)``. The penalty is divided by the sum of the sample weights
        of the batch (the number of samples when no weights are given) when
        added to the loss.

    batch_size : int or 'auto', default='auto'
        Size of minibatches for stochastic optimizers. If the solver is
        'lbfgs', the model will not use minibatch. When set to "auto",
        ``batch_size=min(200, n_samples)``; larger values are clipped to
        n_samples, with a warning.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning rate schedule for weight updates.

        - 'constant' is a constant learning rate given by
          'learning_rate_init'.
        - 'invscaling' gradually decreases the learning rate after each
          epoch using an inverse scaling exponent of 'power_t':
          effective_learning_rate = learning_rate_init / pow(t + 1, power_t),
          with t the number of training samples seen (``t_``).
        - 'adaptive' keeps the learning rate constant to
          'learning_rate_init' as long as training loss keeps decreasing.
          Each time ``n_iter_no_change`` consecutive epochs fail to decrease
          training loss by at least tol, or fail to increase validation score
          by at least tol if 'early_stopping' is on, the current learning
          rate is divided by 5; training stops once it is at most 1e-6.

        Only used when ``solver='sgd'``.

    learning_rate_init : float, default=0.001
        The initial learning rate used. It controls the step-size in
        updating the weights. Used by every solver but 'lbfgs' (the step
        size of 'adam', 'adamw', 'adagrad' and 'rmsprop', the factor of the
        'adadelta' step, and of the 'adamw' weight decay).

    power_t : float, default=0.5
        The exponent for inverse scaling learning rate. It is used in
        updating effective learning rate when the learning_rate is set to
        'invscaling'. Only used when solver='sgd'.

    max_iter : int, default=200
        Maximum number of iterations. The solver iterates until convergence
        (determined by 'tol') or this number of iterations. For stochastic
        solvers (every solver but 'lbfgs'), note that this determines the
        number of epochs (how many times each data point will be used), not
        the number of gradient steps.

    shuffle : bool, default=True
        Whether to shuffle samples in each iteration. Only used by the
        stochastic solvers.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for weights and bias
        initialization, train-test split if early stopping is used, batch
        sampling with the stochastic solvers and the dropout masks. Pass an
        int for reproducible results across multiple function calls: the
        same int gives the same network as scikit-learn's estimator with the
        same parameters.

    tol : float, default=1e-4
        Tolerance for the optimization. When the loss or score is not
        improving by at least ``tol`` for ``n_iter_no_change`` consecutive
        iterations, unless ``learning_rate`` is set to 'adaptive',
        convergence is considered to be reached and training stops. With
        'lbfgs' it is the tolerance on the projected gradient (``gtol``).

    verbose : bool, default=False
        Whether to print progress messages to stdout (the loss of every
        epoch, or of every iteration with 'lbfgs').

    warm_start : bool, default=False
        When set to True, reuse the solution of the previous call to fit as
        initialization, otherwise, just erase the previous solution. The
        network's layer sizes must then stay the same.

    momentum : float, default=0.9
        Momentum for gradient descent update. Should be between 0 and 1.
        Only used when solver='sgd'.

    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum. Only used when solver='sgd' and
        momentum > 0.

    early_stopping : bool, default=False
        Whether to use early stopping to terminate training when validation
        score is not improving. If set to True, it will automatically set
        aside ``validation_fraction`` of training data as validation and
        terminate training when validation score (``scoring``, by default the
        accuracy) is not improving by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs; the weights of the best
        validation score are kept. The split is stratified, except in a
        multilabel setting. A validation set given to :meth:`fit` as
        ``X_val`` and ``y_val`` replaces the split: no rows are held out. If
        early stopping is False, then the training stops when the training
        loss does not improve by more than ``tol`` for ``n_iter_no_change``
        consecutive passes over the training set (a given validation set is
        then only scored). Only effective with the stochastic solvers; not
        available with ``partial_fit``.

    validation_fraction : float, default=0.1
        The proportion of training data to set aside as validation set for
        early stopping. Must be at least 0 and below 1, and above 0 when
        ``early_stopping=True`` without ``X_val``. Only used if
        early_stopping is True and :meth:`fit` is given no ``X_val``.

    scoring : str, callable or None, default=None
        The validation score of every epoch (``validation_scores_``), which
        early stopping watches; greater is better, as for scikit-learn's
        scorers.

        - None: the accuracy (``score``), computed in the compiled
          validation pass.
        - 'loss': the negated validation loss (the data loss of ``loss``,
          without the penalty), from the same pass.
        - str: any scorer name of scikit-learn
          (``sklearn.metrics.get_scorer_names()``), e.g. 'neg_log_loss',
          'roc_auc', 'balanced_accuracy' or 'f1_macro'.
        - callable: a scorer ``scorer(estimator, X, y)``, as made by
          ``sklearn.metrics.make_scorer``.

        Scorers run in Python after one prediction of the validation rows
        per epoch; their ``predict``, ``predict_proba`` and
        ``decision_function`` calls on those rows read it.

        Not in scikit-learn.

    beta_1 : float, default=0.9
        Exponential decay rate for estimates of first moment vector in adam,
        should be in [0, 1). Only used when solver='adam' or 'adamw'.

    beta_2 : float, default=0.999
        Exponential decay rate for estimates of second moment vector in adam,
        should be in [0, 1). Only used when solver='adam' or 'adamw'.

    epsilon : float, default=1e-8
        Value for numerical stability in adam. Used by the solvers 'adam',
        'adamw', 'adagrad', 'rmsprop' and 'adadelta'.

    n_iter_no_change : int or np.inf, default=10
        Maximum number of epochs to not meet ``tol`` improvement (``np.inf``
        never stops early). Only effective with the stochastic solvers.

    max_fun : int, default=15000
        Only used when solver='lbfgs'. Maximum number of loss function
        calls. The solver iterates until convergence (determined by 'tol'),
        number of iterations reaches max_iter, or this number of loss
        function calls. Note that number of loss function calls will be
        greater than or equal to the number of iterations.

    loss : {'log_loss', 'hinge', 'squared_hinge'}, default='log_loss'
        The loss function to use when training the weights, averaged over
        the samples (weighted by ``sample_weight`` and ``class_weight``).

        - 'log_loss', scikit-learn's loss: the cross-entropy of a softmax
          output (multiclass) or of a logistic output per label (binary,
          multilabel).
        - 'hinge', a margin loss on raw scores s (identity output): for
          multiclass targets the sum over the classes j other than the true
          class y of max(0, 1 + s_j - s_y); for binary and multilabel
          targets max(0, 1 - t * s) per label with t = +1 or -1.
        - 'squared_hinge', the same margins squared.

        With the hinge losses the network outputs margins, not
        probabilities: ``predict_proba`` and ``predict_log_proba`` are not
        available (use :meth:`decision_function`), and a class is predicted
        for a score above 0 (binary, multilabel) or for the largest score
        (multiclass).

        Not in scikit-learn.

    class_weight : dict, 'balanced' or None, default=None
        Weights associated with classes in the form
        ``{class_label: weight}``, multiplied into ``sample_weight``; classes
        not in the dict get weight 1. The "balanced" mode uses the values of
        y to automatically adjust weights inversely proportional to class
        frequencies in the input data as
        ``n_samples / (n_classes * np.bincount(y))``; for multilabel targets
        (where only "balanced" is supported) each label is balanced on its
        own and the weights are multiplied. "balanced" needs the whole
        training set and is not supported by ``partial_fit``. None gives
        every class weight 1.

        Not in scikit-learn.

    rho : float, default=0.9
        Decay rate of the running averages of 'rmsprop' (squared gradients)
        and 'adadelta' (squared gradients and squared steps), in [0, 1).
        Only used when solver='rmsprop' or 'adadelta'.

        Not in scikit-learn.

    weight_decay : float, default=0.01
        Decoupled weight decay of 'adamw': before each step the weights (not
        the intercepts) are multiplied by
        (1 - learning_rate_init * weight_decay). It acts besides the
        ``alpha`` penalty, which 'adamw' adds to the gradient as 'adam'
        does. Must be non-negative. Only used when solver='adamw'.

        Not in scikit-learn.

    l1_ratio : float, default=0.0
        Share of the L1 norm in the ``alpha`` penalty, in [0, 1]: the penalty
        is ``alpha * ((1 - l1_ratio) * 0.5 * ||W||^2 + l1_ratio * ||W||_1)``
        divided by the sum of the sample weights of the batch, on the
        weights only. 0 gives scikit-learn's L2 penalty, 1 a pure L1
        penalty (whose gradient is alpha * sign(w)). Used by every solver.

        Not in scikit-learn.

    dropout : float or list of float, default=0.0
        Dropout rate of the hidden layers, in [0, 1): during training each
        hidden unit's output is set to 0 with this probability, and the
        units kept are scaled by 1 / (1 - rate) (inverted dropout), so
        prediction uses the whole network unchanged. A float applies to
        every hidden layer; a list or tuple gives one rate per hidden layer.
        The masks are drawn from ``random_state``. Only the stochastic
        solvers train with dropout: a rate above 0 with ``solver='lbfgs'``
        raises a ValueError. Prediction, the early-stopping validation pass
        and :func:`~fastmlp.check_gradients` use no dropout.

        Not in scikit-learn.

    weight_init : {'glorot_uniform', 'glorot_normal', 'he_uniform', \
'he_normal', 'lecun_normal'}, default='glorot_uniform'
        Initialization of the weights, with fan_in and fan_out the sizes of
        the layers a weight matrix joins.

        - 'glorot_uniform', scikit-learn's scheme: weights and intercepts
          drawn from U(-b, b) with b = sqrt(6 / (fan_in + fan_out)), or
          sqrt(2 / (fan_in + fan_out)) when every hidden layer (or the
          ``activation`` string) is 'logistic'.
        - 'glorot_normal', weights drawn from N(0, s^2) with
          s = sqrt(2 / (fan_in + fan_out)).
        - 'he_uniform', weights drawn from U(-b, b) with b = sqrt(6 / fan_in).
        - 'he_normal', weights drawn from N(0, s^2) with s = sqrt(2 / fan_in).
        - 'lecun_normal', weights drawn from N(0, s^2) with
          s = sqrt(1 / fan_in).

        The schemes other than 'glorot_uniform' start the intercepts at 0.
        ``coef_init`` and ``intercept_init`` of :meth:`fit` replace the
        initialization.

        Not in scikit-learn.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels for each output.

    loss_ : float
        The current loss computed with the loss function: for the stochastic
        solvers the average over the last epoch's mini-batches (penalty
        included), for 'lbfgs' the full-batch objective at the solution.

    best_loss_ : float or None
        The minimum loss reached by the solver throughout fitting.
        If `early_stopping=True`, this attribute is set to `None`. Refer to
        the `best_validation_score_` fitted attribute instead.
        Only set by the stochastic solvers.

    loss_curve_ : list of shape (`n_iter_`,)
        The ith element in the list represents the loss at the ith
        iteration. Only set by the stochastic solvers.

    validation_scores_ : list of shape (`n_iter_`,) or None
        The score at each iteration on a held-out validation set, or on the
        validation set given to :meth:`fit` or :meth:`partial_fit`. The score
        reported is the one of ``scoring`` (by default the accuracy score).
        Only available if `early_stopping=True` or a validation set was
        given, otherwise the attribute is set to `None`; with warm starts and
        ``partial_fit`` it has one entry per epoch that was scored. Only set
        by the stochastic solvers.

    validation_loss_curve_ : list of shape (`n_iter_`,) or None
        The loss on the validation set at each iteration: the data loss of
        ``loss`` (weighted by the validation sample weights), without the
        penalty term and without dropout, so it can be below the training
        loss. Available when `validation_scores_` is, otherwise the attribute
        is set to `None`. Only set by the stochastic solvers.

        Not in scikit-learn.

    best_validation_score_ : float or None
        The best validation score (of ``scoring``, by default the accuracy
        score) that triggered the early stopping. Only available if
        `early_stopping=True`, otherwise the attribute is set to `None`. Only
        set by the stochastic solvers.

    t_ : int
        The number of training samples seen by the solver during fitting
        (0 with 'lbfgs'). It is the time step of the 'invscaling' learning
        rate schedule.

    coefs_ : list of shape (n_layers - 1,)
        The ith element in the list represents the weight matrix
        corresponding to layer i, of shape (fan_in, fan_out), in the dtype
        the model was trained in (float64, or float32 for float32 input).

    intercepts_ : list of shape (n_layers - 1,)
        The ith element in the list represents the bias vector corresponding
        to layer i + 1.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.

    n_iter_ : int
        The number of iterations the solver has run (epochs for the
        stochastic solvers).

    n_layers_ : int
        Number of layers, the input and output layers included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Name of the output activation function: 'softmax' (multiclass) or
        'logistic' (binary, multilabel) with ``loss='log_loss'``, 'identity'
        with the hinge losses.

    See Also
    --------
    MLPRegressor : Multi-layer Perceptron regressor.
    LossCurveDisplay : Plot of the training and validation curves.
    check_gradients : Numerical check of the gradient of the training objective.
    sklearn.neural_network.MLPClassifier : The scikit-learn estimator this one
        replaces (see :meth:`to_sklearn`).

    Notes
    -----
    MLPClassifier trains iteratively since at each time step the partial
    derivatives of the loss function with respect to the model parameters
    are computed to update the parameters.

    It can also have a regularization term added to the loss function that
    shrinks model parameters to prevent overfitting.

    This implementation works with data represented as dense numpy arrays or
    sparse scipy arrays of floating point values; float32 input trains and
    predicts with a float32 network.

    Deliberate differences from scikit-learn: ``partial_fit`` checks its
    parameters only when they changed since the last check, and a fit whose
    weights become non-finite raises a ValueError that says when it
    happened and what may help (the message starts with scikit-learn's).

    References
    ----------
    Hinton, Geoffrey E. "Connectionist learning procedures."
    Artificial intelligence 40.1 (1989): 185-234.

    Glorot, Xavier, and Yoshua Bengio.
    "Understanding the difficulty of training deep feedforward neural
    networks." International Conference on Artificial Intelligence and
    Statistics. 2010.

    He, Kaiming, et al (2015). "Delving deep into rectifiers: Surpassing
    human-level performance on imagenet classification." arXiv:1502.01852.

    Kingma, Diederik, and Jimmy Ba (2014). "Adam: A method for stochastic
    optimization." arXiv:1412.6980.

    Loshchilov, Ilya, and Frank Hutter (2019). "Decoupled weight decay
    regularization." International Conference on Learning Representations.

    Duchi, John, Elad Hazan, and Yoram Singer (2011). "Adaptive subgradient
    methods for online learning and stochastic optimization." Journal of
    Machine Learning Research 12: 2121-2159.

    Zeiler, Matthew D. (2012). "ADADELTA: an adaptive learning rate
    method." arXiv:1212.5701.

    Srivastava, Nitish, et al (2014). "Dropout: a simple way to prevent
    neural networks from overfitting." Journal of Machine Learning Research
    15: 1929-1958.

    Examples
    --------
    >>> from fastmlp import MLPClassifier
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.model_selection import train_test_split
    >>> X, y = make_classification(n_samples=100, random_state=1)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y,
    ...                                                     random_state=1)
    >>> clf = MLPClassifier(random_state=1, max_iter=300).fit(X_train, y_train)
    >>> clf.predict_proba(X_test[:1]).round(3)
    array([[0.038, 0.962]])
    >>> clf.predict(X_test[:5, :])
    array([1, 0, 1, 0, 1])
    >>> print(round(clf.score(X_test, y_test), 2))
    0.88

    The options beyond scikit-learn's: one activation per hidden layer,
    AdamW, dropout and an L1 share of the penalty.

    >>> clf = MLPClassifier(hidden_layer_sizes=(16, 8), activation=["gelu", "tanh"],
    ...                     solver="adamw", dropout=0.1, l1_ratio=0.5,
    ...                     random_state=1).fit(X_train, y_train)
    >>> [c.shape for c in clf.coefs_]
    [(20, 16), (16, 8), (8, 1)]
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
        scoring=None,
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
            scoring=scoring,
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
            bad = {
                k: v
                for k, v in self.class_weight.items()
                if not isinstance(v, (Real, np.floating, np.integer))
                or not np.isfinite(v)
                or v < 0
            }
            if bad:
                raise ValueError(
                    f"class_weight values must be finite non-negative numbers; got {bad}."
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
        if not (
            type(X) is np.ndarray
            and type(y) is np.ndarray
            and y.ndim == 1
            and y.shape[0] == X.shape[0]
            and y.dtype.kind in "iuU"
        ):
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
            if not (
                y.dtype == classes.dtype
                and len(classes) >= 2
                and self._label_binarizer.y_type_ in ("binary", "multiclass")
                and self._plain_training_X(X, reset)
            ):
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
        fit_labels = not hasattr(self, "classes_") or (
            not self.warm_start and not incremental
        )
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
        if (
            len(self.classes_) < 2
            and self._label_binarizer.y_type_ != "multilabel-indicator"
        ):
            raise ValueError(
                "The classifier needs samples of at least 2 classes in the data, but "
                f"the data contains only one class: {self.classes_[0]!r}."
            )
        y = self._label_binarizer.transform(y).astype(bool)
        return X, y

    def predict(self, X):
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes (a label indicator matrix for multilabel
            targets).
        """
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        return self._classes_of(self._forward_pass_fast(X, check_input=check_input))

    def _classes_of(self, y_pred):
        """The classes predicted from the network's outputs `y_pred`."""
        # Hinge losses output margins: the decision threshold is 0, not 0.5.
        threshold = 0.5 if self.loss == "log_loss" else 0.0
        # The label binarizer's inverse_transform, without its generic checks.
        y_type = self._label_binarizer.y_type_
        if y_type == "multiclass":
            return self.classes_[np.argmax(y_pred, axis=1)]
        if y_type == "binary":
            return self.classes_[(y_pred.ravel() > threshold).astype(np.intp)]
        return self._label_binarizer.inverse_transform(y_pred, threshold=threshold)

    def _probabilities(self, y_pred):
        """predict_proba's array from the network's outputs `y_pred`."""
        if self.n_outputs_ == 1:
            p = y_pred.ravel()
            return np.vstack([1 - p, p]).T
        return y_pred

    def _output_response(self, method, outputs):
        """What `method` ('predict', 'predict_proba', 'predict_log_proba',
        'decision_function') returns for rows whose network outputs are
        `outputs`: the output activations, or for 'decision_function' the raw
        scores (out_activation='identity')."""
        if method == "predict":
            return self._classes_of(outputs)
        if method == "decision_function":
            return outputs.ravel() if outputs.shape[1] == 1 else outputs
        proba = self._probabilities(outputs)
        return np.log(proba) if method == "predict_log_proba" else proba

    def _scorer_targets(self, Y):
        """The class labels (a scorer's y) of label indicators Y."""
        return self._label_binarizer.inverse_transform(Y)

    def _validation_targets(self, y_val, n_outputs):
        """(Y, y): y_val (checked by check_array) as the engine reads it (label
        indicators of `n_outputs` columns, as y's) and as a scorer reads it (the
        labels); its classes must be among classes_."""
        if sp.issparse(y_val):
            y_val = y_val.toarray()
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val, warn=True)
        multilabel = self._label_binarizer.y_type_ == "multilabel-indicator"
        if multilabel != (y_val.ndim == 2) or (multilabel and y_val.shape[1] != n_outputs):
            expected = (
                f"a label indicator matrix of {n_outputs} columns"
                if multilabel
                else "one class label per row"
            )
            raise ValueError(f"y_val must be {expected}, as y is; got shape {y_val.shape}.")
        classes = unique_labels(y_val)
        unknown = np.setdiff1d(classes, self.classes_)
        if len(unknown):
            raise ValueError(
                f"y_val has classes not in the classes of y: {unknown}; the classes "
                f"are {self.classes_}."
            )
        return self._label_binarizer.transform(y_val).astype(bool), y_val

    def decision_function(self, X):
        """Compute the raw scores of the output layer.

        The scores are the output layer's values before its activation
        (the logistic function or the softmax with ``loss='log_loss'``);
        with the hinge losses they are the margins the model was trained
        on, and the only scores available since ``predict_proba`` is not.

        Not in scikit-learn.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One score per class, in the order of ``classes_`` (per label for
            multilabel targets); a single column, raveled, for binary
            targets, where a positive score means ``classes_[1]``.

        See Also
        --------
        MLPClassifier.predict : Predicted classes.
        MLPClassifier.predict_proba : Class probabilities (``loss='log_loss'``).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from fastmlp import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier(hidden_layer_sizes=(8,), loss="hinge",
        ...                     solver="lbfgs", random_state=0).fit(X, y)
        >>> clf.decision_function(X[:2]).shape
        (2, 3)
        >>> clf.predict(X[:2])
        array([0, 0])
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
    def partial_fit(
        self,
        X,
        y,
        sample_weight=None,
        classes=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Update the model with a single iteration over the given data.

        Runs one epoch of the stochastic solver over (X, y), keeping the
        optimizer state (moments, learning rate) between calls. Only
        available for the stochastic solvers (not 'lbfgs'), and neither
        with ``early_stopping=True`` nor with ``class_weight='balanced'``.
        A validation set given as ``X_val`` and ``y_val`` is scored after the
        call, so that a loop of calls can watch its own progress and stop
        (keep a copy of ``coefs_`` and ``intercepts_`` at the best score).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit. Can be obtained via
            `np.unique(y_all)`, where y_all is the target vector of the
            entire dataset. This argument is required for the first call to
            partial_fit and can be omitted in the subsequent calls (when
            given again it must be the same). Note that y doesn't need to
            contain all labels in `classes`.

        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
default=None
            Validation input, scored once after this call's epoch into
            ``validation_scores_`` and ``validation_loss_curve_`` (by
            ``scoring``). Validated as in :meth:`fit`; requires ``y_val``.

            Not in scikit-learn.

        y_val : array-like of shape (n_val,) or (n_val, n_outputs), \
default=None
            Targets of ``X_val``.

            Not in scikit-learn.

        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation rows; None gives every row weight 1.

            Not in scikit-learn.

        Returns
        -------
        self : object
            Trained MLP model.

        See Also
        --------
        MLPClassifier.fit : Train for up to ``max_iter`` epochs at once.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_iris
        >>> from fastmlp import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
        >>> for start in range(0, 150, 50):
        ...     clf = clf.partial_fit(X[start:start + 50], y[start:start + 50],
        ...                           classes=np.unique(y))
        >>> clf.t_
        150
        """
        self._validate_params_if_changed()
        validation_data = _validation_arguments(X_val, y_val, sample_weight_val)
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
            return self._fit(
                X,
                y,
                sample_weight=sample_weight,
                incremental=True,
                hooks=hooks,
                validation_data=validation_data,
            )
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
            return self._fit(
                X,
                y,
                sample_weight=sample_weight,
                incremental=True,
                hooks=hooks,
                validation_data=validation_data,
            )
        except BaseException:
            if not hasattr(self, "coefs_"):  # nothing fitted: forget the classes
                self.__dict__.pop("classes_", None)
                self.__dict__.pop("_label_binarizer", None)
            raise

    @available_if(lambda est: est._check_proba())
    def predict_log_proba(self, X):
        """Return the log of probability estimates.

        Only available with ``loss='log_loss'``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            The predicted log-probability of the sample for each class
            in the model, where classes are ordered as they are in
            `self.classes_`. Equivalent to `log(predict_proba(X))`.
        """
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    @available_if(lambda est: est._check_proba())
    def predict_proba(self, X):
        """Probability estimates.

        Only available with ``loss='log_loss'``: the hinge losses train
        margins, not probabilities (use :meth:`decision_function`).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The predicted probability of the sample for each class in the
            model, where classes are ordered as they are in `self.classes_`
            (for multilabel targets, the probability of each label).
        """
        check_is_fitted(self)
        return self._probabilities(self._forward_pass_fast(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMultilayerPerceptron):
    """Multi-layer Perceptron regressor.

    This model optimizes the squared error (or, with ``loss``, the Poisson
    deviance, the absolute error or the Huber loss) using LBFGS or
    stochastic gradient descent. It is a drop-in replacement for
    ``sklearn.neural_network.MLPRegressor``: with scikit-learn's parameters
    it takes the same parameters, trains the same network (for the same
    ``random_state``) and exposes the same fitted attributes, while the
    training loop and the prediction run in compiled code. Parameters
    beyond scikit-learn's give more activations, solvers, losses and output
    activations, dropout, an L1 share of the penalty and weight
    initializations.

    Read more in the :ref:`User Guide <estimators>`.

    Parameters
    ----------
    loss : {'squared_error', 'poisson', 'absolute_error', 'huber'}, \
default='squared_error'
        The loss function to use when training the weights, averaged over
        the samples (weighted by ``sample_weight``) and summed over the
        outputs; with d = p - y the difference of prediction and target:

        - 'squared_error', half the squared error 0.5 * d ** 2.
        - 'poisson', half the Poisson deviance y * log(y / p) - y + p. It
          uses a log-link (``out_activation='exp'``) by default, needs
          positive predictions (another ``out_activation`` should be
          'softplus') and requires ``y >= 0``.
        - 'absolute_error', the absolute error abs(d).
        - 'huber', 0.5 * d ** 2 where abs(d) <= huber_delta, else
          huber_delta * (abs(d) - 0.5 * huber_delta): squared for small errors,
          linear (robust to outliers) for large ones.

        Note that the "squared_error" and "poisson" losses actually implement
        "half squared error" and "half Poisson deviance" to simplify the
        computation of the gradient, as in scikit-learn.

        The options 'absolute_error' and 'huber' are not in scikit-learn.

    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element represents the number of neurons in the ith hidden
        layer. An int gives a single hidden layer; an empty tuple gives a
        network without hidden layers (a linear model followed by the output
        activation, e.g. a logistic regression).

    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', \
'elu', 'selu', 'softplus', 'gelu', 'silu', 'gaussian'} or list of str, \
default='relu'
        Activation function for the hidden layers. A single name applies to
        every hidden layer; a list or tuple gives one name per hidden layer,
        in order, and must have one entry for each of them.

        - 'identity', no-op activation, useful to implement linear
          bottleneck, returns f(x) = x.
        - 'logistic', the logistic sigmoid function,
          returns f(x) = 1 / (1 + exp(-x)).
        - 'tanh', the hyperbolic tan function, returns f(x) = tanh(x).
        - 'relu', the rectified linear unit function,
          returns f(x) = max(0, x).
        - 'leaky_relu', returns f(x) = x for x > 0, else 0.01 * x.
        - 'elu', the exponential linear unit, returns f(x) = x for x > 0,
          else exp(x) - 1.
        - 'selu', the scaled exponential linear unit, returns
          f(x) = scale * x for x > 0, else scale * alpha * (exp(x) - 1), with
          scale = 1.0507009873554805 and alpha = 1.6732632423543772.
        - 'softplus', returns f(x) = log(1 + exp(x)).
        - 'gelu', the Gaussian error linear unit (exact, not the tanh
          approximation), returns f(x) = x * Phi(x) with Phi the standard
          normal cumulative distribution function.
        - 'silu', the sigmoid linear unit (swish), returns
          f(x) = x / (1 + exp(-x)).
        - 'gaussian', returns f(x) = exp(-x ** 2).

        The options 'leaky_relu', 'elu', 'selu', 'softplus', 'gelu', 'silu'
        and 'gaussian', and a list of activations, one per hidden layer, are
        not in scikit-learn.

    solver : {'lbfgs', 'sgd', 'adam', 'adagrad', 'rmsprop', 'adadelta', \
'adamw'}, default='adam'
        The solver for weight optimization.

        - 'lbfgs' is an optimizer in the family of quasi-Newton methods
          (SciPy's L-BFGS-B over the full-batch objective).
        - 'sgd' refers to stochastic gradient descent, with momentum.
        - 'adam' refers to a stochastic gradient-based optimizer proposed by
          Kingma, Diederik, and Jimmy Ba.
        - 'adagrad' divides each parameter's step by the square root of the
          sum of its squared gradients so far (Duchi et al.):
          w -= learning_rate_init * g / (sqrt(sum g ** 2) + epsilon).
        - 'rmsprop' divides it by the square root of a running average
          s = rho * s + (1 - rho) * g ** 2 instead:
          w -= learning_rate_init * g / (sqrt(s) + epsilon).
        - 'adadelta' is Zeiler's method (running averages of the squared
          gradients and of the squared steps, decay ``rho``, ``epsilon``
          inside the square roots), its step multiplied by
          ``learning_rate_init``; ``learning_rate_init=1.0`` gives the
          original method.
        - 'adamw' is 'adam' with decoupled weight decay (Loshchilov and
          Hutter): before each step the weights (not the intercepts) are
          multiplied by (1 - learning_rate_init * weight_decay).

        Every solver but 'lbfgs' is stochastic: it works on mini-batches of
        ``batch_size`` samples, ``max_iter`` counts epochs, and
        ``partial_fit``, ``early_stopping`` and ``dropout`` are available.

        Note: The default solver 'adam' works pretty well on relatively large
        datasets (with thousands of training samples or more) in terms of
        both training time and validation score. For small datasets,
        however, 'lbfgs' can converge faster and perform better.

        The options 'adagrad', 'rmsprop', 'adadelta' and 'adamw' are not in
        scikit-learn.

    alpha : float, default=0.0001
        Strength of the regularization term, a penalty on the weights (not
        the intercepts) added to the loss: with ``l1_ratio=0`` (the default)
        it is scikit-learn's L2 term ``0.5 * alpha * ||W||^2``, and in
        general ``alpha * ((1 - l1_ratio) * 0.5 * ||W||^2 + l1_ratio *
        ||W||_1)``. The penalty is divided by the sum of the sample weights
        of the batch (the number of samples when no weights are given) when
        added to the loss.

    batch_size : int or 'auto', default='auto'
        Size of minibatches for stochastic optimizers. If the solver is
        'lbfgs', the model will not use minibatch. When set to "auto",
        ``batch_size=min(200, n_samples)``; larger values are clipped to
        n_samples, with a warning.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning rate schedule for weight updates.

        - 'constant' is a constant learning rate given by
          'learning_rate_init'.
        - 'invscaling' gradually decreases the learning rate after each
          epoch using an inverse scaling exponent of 'power_t':
          effective_learning_rate = learning_rate_init / pow(t + 1, power_t),
          with t the number of training samples seen (``t_``).
        - 'adaptive' keeps the learning rate constant to
          'learning_rate_init' as long as training loss keeps decreasing.
          Each time ``n_iter_no_change`` consecutive epochs fail to decrease
          training loss by at least tol, or fail to increase validation score
          by at least tol if 'early_stopping' is on, the current learning
          rate is divided by 5; training stops once it is at most 1e-6.

        Only used when ``solver='sgd'``.

    learning_rate_init : float, default=0.001
        The initial learning rate used. It controls the step-size in
        updating the weights. Used by every solver but 'lbfgs' (the step
        size of 'adam', 'adamw', 'adagrad' and 'rmsprop', the factor of the
        'adadelta' step, and of the 'adamw' weight decay).

    power_t : float, default=0.5
        The exponent for inverse scaling learning rate. It is used in
        updating effective learning rate when the learning_rate is set to
        'invscaling'. Only used when solver='sgd'.

    max_iter : int, default=200
        Maximum number of iterations. The solver iterates until convergence
        (determined by 'tol') or this number of iterations. For stochastic
        solvers (every solver but 'lbfgs'), note that this determines the
        number of epochs (how many times each data point will be used), not
        the number of gradient steps.

    shuffle : bool, default=True
        Whether to shuffle samples in each iteration. Only used by the
        stochastic solvers.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for weights and bias
        initialization, train-test split if early stopping is used, batch
        sampling with the stochastic solvers and the dropout masks. Pass an
        int for reproducible results across multiple function calls: the
        same int gives the same network as scikit-learn's estimator with the
        same parameters.

    tol : float, default=1e-4
        Tolerance for the optimization. When the loss or score is not
        improving by at least ``tol`` for ``n_iter_no_change`` consecutive
        iterations, unless ``learning_rate`` is set to 'adaptive',
        convergence is considered to be reached and training stops. With
        'lbfgs' it is the tolerance on the projected gradient (``gtol``).

    verbose : bool, default=False
        Whether to print progress messages to stdout (the loss of every
        epoch, or of every iteration with 'lbfgs').

    warm_start : bool, default=False
        When set to True, reuse the solution of the previous call to fit as
        initialization, otherwise, just erase the previous solution. The
        network's layer sizes must then stay the same.

    momentum : float, default=0.9
        Momentum for gradient descent update. Should be between 0 and 1.
        Only used when solver='sgd'.

    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum. Only used when solver='sgd' and
        momentum > 0.

    early_stopping : bool, default=False
        Whether to use early stopping to terminate training when validation
        score is not improving. If set to True, it will automatically set
        aside ``validation_fraction`` of training data as validation and
        terminate training when validation score (``scoring``, by default the
        R^2) is not improving by at least ``tol`` for ``n_iter_no_change``
        consecutive epochs; the weights of the best validation score are
        kept. A validation set given to :meth:`fit` as ``X_val`` and
        ``y_val`` replaces the split: no rows are held out. If early stopping
        is False, then the training stops when the training loss does not
        improve by more than ``tol`` for ``n_iter_no_change`` consecutive
        passes over the training set (a given validation set is then only
        scored). Only effective with the stochastic solvers; not available
        with ``partial_fit``.

    validation_fraction : float, default=0.1
        The proportion of training data to set aside as validation set for
        early stopping. Must be at least 0 and below 1, and above 0 when
        ``early_stopping=True`` without ``X_val``. Only used if
        early_stopping is True and :meth:`fit` is given no ``X_val``.

    scoring : str, callable or None, default=None
        The validation score of every epoch (``validation_scores_``), which
        early stopping watches; greater is better, as for scikit-learn's
        scorers.

        - None: the coefficient of determination R^2 (``score``), computed
          in the compiled validation pass.
        - 'loss': the negated validation loss (the data loss of ``loss``,
          without the penalty), from the same pass.
        - str: any scorer name of scikit-learn
          (``sklearn.metrics.get_scorer_names()``), e.g.
          'neg_mean_absolute_error' or 'neg_mean_poisson_deviance'.
        - callable: a scorer ``scorer(estimator, X, y)``, as made by
          ``sklearn.metrics.make_scorer``.

        Scorers run in Python after one prediction of the validation rows
        per epoch; their ``predict`` calls on those rows read it.

        Not in scikit-learn.

    beta_1 : float, default=0.9
        Exponential decay rate for estimates of first moment vector in adam,
        should be in [0, 1). Only used when solver='adam' or 'adamw'.

    beta_2 : float, default=0.999
        Exponential decay rate for estimates of second moment vector in adam,
        should be in [0, 1). Only used when solver='adam' or 'adamw'.

    epsilon : float, default=1e-8
        Value for numerical stability in adam. Used by the solvers 'adam',
        'adamw', 'adagrad', 'rmsprop' and 'adadelta'.

    n_iter_no_change : int or np.inf, default=10
        Maximum number of epochs to not meet ``tol`` improvement (``np.inf``
        never stops early). Only effective with the stochastic solvers.

    max_fun : int, default=15000
        Only used when solver='lbfgs'. Maximum number of loss function
        calls. The solver iterates until convergence (determined by 'tol'),
        number of iterations reaches max_iter, or this number of loss
        function calls. Note that number of loss function calls will be
        greater than or equal to the number of iterations.

    out_activation : {'identity', 'logistic', 'tanh', 'exp', 'softplus'} \
or None, default=None
        Activation function of the output layer. None uses 'exp' with
        ``loss='poisson'`` and 'identity' otherwise, as scikit-learn does.
        'logistic' (outputs in (0, 1)), 'tanh' (in (-1, 1)), 'exp' and
        'softplus' (positive outputs) bound the predictions; the
        definitions are those of ``activation`` ('exp' returns
        f(x) = exp(x)). Models whose output activation scikit-learn lacks
        cannot be exported with :meth:`to_sklearn`.

        Not in scikit-learn.

    huber_delta : float, default=1.0
        Threshold of the 'huber' loss, above 0: errors of absolute value up
        to ``huber_delta`` are squared, larger ones count linearly. Only
        used when loss='huber'.

        Not in scikit-learn.

    rho : float, default=0.9
        Decay rate of the running averages of 'rmsprop' (squared gradients)
        and 'adadelta' (squared gradients and squared steps), in [0, 1).
        Only used when solver='rmsprop' or 'adadelta'.

        Not in scikit-learn.

    weight_decay : float, default=0.01
        Decoupled weight decay of 'adamw': before each step the weights (not
        the intercepts) are multiplied by
        (1 - learning_rate_init * weight_decay). It acts besides the
        ``alpha`` penalty, which 'adamw' adds to the gradient as 'adam'
        does. Must be non-negative. Only used when solver='adamw'.

        Not in scikit-learn.

    l1_ratio : float, default=0.0
        Share of the L1 norm in the ``alpha`` penalty, in [0, 1]: the penalty
        is ``alpha * ((1 - l1_ratio) * 0.5 * ||W||^2 + l1_ratio * ||W||_1)``
        divided by the sum of the sample weights of the batch, on the
        weights only. 0 gives scikit-learn's L2 penalty, 1 a pure L1
        penalty (whose gradient is alpha * sign(w)). Used by every solver.

        Not in scikit-learn.

    dropout : float or list of float, default=0.0
        Dropout rate of the hidden layers, in [0, 1): during training each
        hidden unit's output is set to 0 with this probability, and the
        units kept are scaled by 1 / (1 - rate) (inverted dropout), so
        prediction uses the whole network unchanged. A float applies to
        every hidden layer; a list or tuple gives one rate per hidden layer.
        The masks are drawn from ``random_state``. Only the stochastic
        solvers train with dropout: a rate above 0 with ``solver='lbfgs'``
        raises a ValueError. Prediction, the early-stopping validation pass
        and :func:`~fastmlp.check_gradients` use no dropout.

        Not in scikit-learn.

    weight_init : {'glorot_uniform', 'glorot_normal', 'he_uniform', \
'he_normal', 'lecun_normal'}, default='glorot_uniform'
        Initialization of the weights, with fan_in and fan_out the sizes of
        the layers a weight matrix joins.

        - 'glorot_uniform', scikit-learn's scheme: weights and intercepts
          drawn from U(-b, b) with b = sqrt(6 / (fan_in + fan_out)), or
          sqrt(2 / (fan_in + fan_out)) when every hidden layer (or the
          ``activation`` string) is 'logistic'.
        - 'glorot_normal', weights drawn from N(0, s^2) with
          s = sqrt(2 / (fan_in + fan_out)).
        - 'he_uniform', weights drawn from U(-b, b) with b = sqrt(6 / fan_in).
        - 'he_normal', weights drawn from N(0, s^2) with s = sqrt(2 / fan_in).
        - 'lecun_normal', weights drawn from N(0, s^2) with
          s = sqrt(1 / fan_in).

        The schemes other than 'glorot_uniform' start the intercepts at 0.
        ``coef_init`` and ``intercept_init`` of :meth:`fit` replace the
        initialization.

        Not in scikit-learn.

    Attributes
    ----------
    loss_ : float
        The current loss computed with the loss function: for the stochastic
        solvers the average over the last epoch's mini-batches (penalty
        included), for 'lbfgs' the full-batch objective at the solution.

    best_loss_ : float or None
        The minimum loss reached by the solver throughout fitting.
        If `early_stopping=True`, this attribute is set to `None`. Refer to
        the `best_validation_score_` fitted attribute instead.
        Only set by the stochastic solvers.

    loss_curve_ : list of shape (`n_iter_`,)
        The ith element in the list represents the loss at the ith
        iteration. Only set by the stochastic solvers.

    validation_scores_ : list of shape (`n_iter_`,) or None
        The score at each iteration on a held-out validation set, or on the
        validation set given to :meth:`fit` or :meth:`partial_fit`. The score
        reported is the one of ``scoring`` (by default the R2 score). Only
        available if `early_stopping=True` or a validation set was given,
        otherwise the attribute is set to `None`; with warm starts and
        ``partial_fit`` it has one entry per epoch that was scored. Only set
        by the stochastic solvers.

    validation_loss_curve_ : list of shape (`n_iter_`,) or None
        The loss on the validation set at each iteration: the data loss of
        ``loss`` (weighted by the validation sample weights), without the
        penalty term and without dropout, so it can be below the training
        loss. Available when `validation_scores_` is, otherwise the attribute
        is set to `None`. Only set by the stochastic solvers.

        Not in scikit-learn.

    best_validation_score_ : float or None
        The best validation score (of ``scoring``, by default the R2 score)
        that triggered the early stopping. Only available if
        `early_stopping=True`, otherwise the attribute is set to `None`. Only
        set by the stochastic solvers.

    t_ : int
        The number of training samples seen by the solver during fitting
        (0 with 'lbfgs'). It is the time step of the 'invscaling' learning
        rate schedule.

    coefs_ : list of shape (n_layers - 1,)
        The ith element in the list represents the weight matrix
        corresponding to layer i, of shape (fan_in, fan_out), in the dtype
        the model was trained in (float64, or float32 for float32 input).

    intercepts_ : list of shape (n_layers - 1,)
        The ith element in the list represents the bias vector corresponding
        to layer i + 1.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.

    n_iter_ : int
        The number of iterations the solver has run (epochs for the
        stochastic solvers).

    n_layers_ : int
        Number of layers, the input and output layers included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Name of the output activation function: ``out_activation`` when
        given, else 'exp' with ``loss='poisson'`` and 'identity' otherwise.

    See Also
    --------
    MLPClassifier : Multi-layer Perceptron classifier.
    LossCurveDisplay : Plot of the training and validation curves.
    check_gradients : Numerical check of the gradient of the training objective.
    sklearn.neural_network.MLPRegressor : The scikit-learn estimator this one
        replaces (see :meth:`to_sklearn`).

    Notes
    -----
    MLPRegressor trains iteratively since at each time step the partial
    derivatives of the loss function with respect to the model parameters
    are computed to update the parameters.

    It can also have a regularization term added to the loss function that
    shrinks model parameters to prevent overfitting.

    This implementation works with data represented as dense and sparse
    numpy arrays of floating point values; float32 input trains and
    predicts with a float32 network.

    Deliberate differences from scikit-learn: for several outputs with the
    squared error, ``loss_`` and ``loss_curve_`` report the objective
    actually minimised (the sum over the outputs, ``n_outputs_`` times
    scikit-learn's figure); ``partial_fit`` is only available for the
    stochastic solvers and checks its parameters only when they changed
    since the last check; a fit whose weights become non-finite raises a
    ValueError that says when it happened and what may help (the message
    starts with scikit-learn's).

    References
    ----------
    Hinton, Geoffrey E. "Connectionist learning procedures."
    Artificial intelligence 40.1 (1989): 185-234.

    Glorot, Xavier, and Yoshua Bengio.
    "Understanding the difficulty of training deep feedforward neural
    networks." International Conference on Artificial Intelligence and
    Statistics. 2010.

    He, Kaiming, et al (2015). "Delving deep into rectifiers: Surpassing
    human-level performance on imagenet classification." arXiv:1502.01852.

    Kingma, Diederik, and Jimmy Ba (2014). "Adam: A method for stochastic
    optimization." arXiv:1412.6980.

    Loshchilov, Ilya, and Frank Hutter (2019). "Decoupled weight decay
    regularization." International Conference on Learning Representations.

    Duchi, John, Elad Hazan, and Yoram Singer (2011). "Adaptive subgradient
    methods for online learning and stochastic optimization." Journal of
    Machine Learning Research 12: 2121-2159.

    Zeiler, Matthew D. (2012). "ADADELTA: an adaptive learning rate
    method." arXiv:1212.5701.

    Srivastava, Nitish, et al (2014). "Dropout: a simple way to prevent
    neural networks from overfitting." Journal of Machine Learning Research
    15: 1929-1958.

    Huber, Peter J. (1964). "Robust estimation of a location parameter."
    The Annals of Mathematical Statistics 35.1: 73-101.

    Examples
    --------
    >>> from fastmlp import MLPRegressor
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.model_selection import train_test_split
    >>> X, y = make_regression(n_samples=200, n_features=20, random_state=1)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y,
    ...                                                     random_state=1)
    >>> regr = MLPRegressor(random_state=1, max_iter=2000, tol=0.1)
    >>> regr.fit(X_train, y_train)
    MLPRegressor(max_iter=2000, random_state=1, tol=0.1)
    >>> regr.predict(X_test[:2]).round()
    array([  29., -291.])
    >>> print(round(regr.score(X_test, y_test), 2))
    0.98

    A loss robust to outliers, and a positive output:

    >>> regr = MLPRegressor(loss="huber", huber_delta=5.0, out_activation="softplus",
    ...                     hidden_layer_sizes=(16,), solver="lbfgs", max_iter=500,
    ...                     random_state=1).fit(X_train, abs(y_train))
    >>> bool((regr.predict(X_test) > 0).all())
    True
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
        scoring=None,
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
            scoring=scoring,
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
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values (a 1-D array for a single output).
        """
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        y_pred = self._forward_pass_fast(X, check_input=check_input)
        return self._output_response("predict", y_pred)

    def _output_response(self, method, outputs):
        """predict's array ('predict': the only `method`) for rows whose network
        outputs are `outputs`."""
        if outputs.shape[1] == 1:
            return outputs.ravel()
        return outputs

    def _scorer_targets(self, Y):
        """The targets a scorer reads for validated targets Y (n, n_outputs)."""
        return Y.ravel() if Y.shape[1] == 1 else Y

    def _validation_targets(self, y_val, n_outputs):
        """(Y, y): y_val (checked by check_array) as the engine reads it (2-D,
        `n_outputs` columns as y) and as a scorer reads it (numbers)."""
        if sp.issparse(y_val):
            raise ValueError("y_val must be dense for a regressor, as y is.")
        y_val = check_array(y_val, ensure_2d=False, dtype="numeric", input_name="y_val")
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val, warn=True)
        Y = y_val.reshape((y_val.shape[0], -1))
        if y_val.ndim > 2 or Y.shape[1] != n_outputs:
            raise ValueError(f"y_val has {Y.shape[1]} outputs per row, y has {n_outputs}.")
        if self.loss == "poisson" and np.any(Y < 0):
            raise ValueError(
                "loss='poisson' requires non-negative targets y_val; got negative values."
            )
        return Y, y_val

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight, r2_score)

    def _score_rule(self):
        """R², from the residuals (a key of _codes.SCORE_RULES)."""
        return "residuals"

    def _validate_input(self, X, y, incremental, reset):
        # plain X (see _plain_training_X) and finite float targets
        if (
            type(X) is np.ndarray
            and type(y) is np.ndarray
            and y.dtype.kind == "f"
            and y.shape[0] == X.shape[0]
            and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] > 1))
            and bool(np.isfinite(y.sum()))
            and self._plain_training_X(X, reset)
        ):
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
    def partial_fit(
        self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None
    ):
        """Update the model with a single iteration over the given data.

        Runs one epoch of the stochastic solver over (X, y), keeping the
        optimizer state (moments, learning rate) between calls. Only
        available for the stochastic solvers (not 'lbfgs'), and not with
        ``early_stopping=True``. A validation set given as ``X_val`` and
        ``y_val`` is scored after the call, so that a loop of calls can watch
        its own progress and stop (keep a copy of ``coefs_`` and
        ``intercepts_`` at the best score).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
default=None
            Validation input, scored once after this call's epoch into
            ``validation_scores_`` and ``validation_loss_curve_`` (by
            ``scoring``). Validated as in :meth:`fit`; requires ``y_val``.

            Not in scikit-learn.

        y_val : array-like of shape (n_val,) or (n_val, n_outputs), \
default=None
            Targets of ``X_val``.

            Not in scikit-learn.

        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation rows; None gives every row weight 1.

            Not in scikit-learn.

        Returns
        -------
        self : object
            Trained MLP model.

        See Also
        --------
        MLPRegressor.fit : Train for up to ``max_iter`` epochs at once.

        Examples
        --------
        >>> from sklearn.datasets import make_regression
        >>> from fastmlp import MLPRegressor
        >>> X, y = make_regression(n_samples=60, n_features=4, random_state=0)
        >>> regr = MLPRegressor(hidden_layer_sizes=(8,), random_state=0)
        >>> for start in range(0, 60, 20):
        ...     regr = regr.partial_fit(X[start:start + 20], y[start:start + 20])
        >>> regr.t_
        60
        """
        self._validate_params_if_changed()
        validation_data = _validation_arguments(X_val, y_val, sample_weight_val)
        hooks = self._callback_hooks(X, y, sample_weight, incremental=True)
        return self._fit(
            X,
            y,
            sample_weight=sample_weight,
            incremental=True,
            hooks=hooks,
            validation_data=validation_data,
        )

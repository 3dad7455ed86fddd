"""Plots in scikit-learn's Display style (matplotlib is imported only when plotting)."""

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted


def _import_pyplot(caller):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib. Install it with `pip install matplotlib` "
            "(or `pip install fastmlp[plot]`)."
        ) from exc
    return plt


class LossCurveDisplay:
    """Loss curve visualization of a multi-layer perceptron.

    Draws the training loss of every epoch and, when early stopping recorded
    them, the validation loss and the validation score. Create it with
    :meth:`from_estimator` from a fitted ``MLPClassifier`` or
    ``MLPRegressor`` (fastmlp's or scikit-learn's, fitted with a stochastic
    solver), or directly from the curves and call :meth:`plot`. The losses
    share the left axis; the validation score (accuracy for classifiers, R^2
    for regressors) has its own axis on the right. Plotting requires
    matplotlib (``pip install fastmlp[plot]``).

    .. versionadded:: 0.1

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss of every epoch (``loss_curve_``).
    validation_loss_curve : array-like of shape (n_epochs,), default=None
        Loss on the validation set of every epoch (``validation_loss_curve_``,
        recorded with ``early_stopping=True``). It is the data loss without
        the penalty term, so it can sit below the training loss.
    validation_scores : array-like of shape (n_epochs,), default=None
        Validation score of every epoch (``validation_scores_``).
    score_name : str, default="score"
        Name of the validation score, used in labels.
    estimator_name : str, default=None
        Name used in the title; None for no title.

    Attributes
    ----------
    loss_line_ : matplotlib.lines.Line2D
        The training loss line.
    validation_loss_line_ : matplotlib.lines.Line2D or None
        The validation loss line, None without a validation loss curve.
    validation_score_line_ : matplotlib.lines.Line2D or None
        The validation score line, None without validation scores.
    ax_ : matplotlib.axes.Axes
        Axes of the losses (x: epoch, y: loss).
    score_ax_ : matplotlib.axes.Axes or None
        Twin axes (sharing x) of the validation score, None without scores.
    figure_ : matplotlib.figure.Figure
        Figure containing the axes.

    See Also
    --------
    LossCurveDisplay.from_estimator : Plot the curves of a fitted estimator.
    MLPClassifier : Its ``loss_curve_``, ``validation_loss_curve_`` and
        ``validation_scores_`` are the curves drawn.
    MLPRegressor : Likewise for regression.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from fastmlp import LossCurveDisplay, MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(32,), early_stopping=True,
    ...                     random_state=0).fit(X / 16, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> [line.get_label() for line in display.ax_.get_lines()]
    ['Training loss', 'Validation loss']
    >>> display.validation_score_line_.get_label()
    'Validation accuracy'
    >>> plt.show()  # doctest: +SKIP

    The curves can also be given directly:

    >>> display = LossCurveDisplay(loss_curve=[0.9, 0.5, 0.4]).plot()
    >>> display.score_ax_ is None
    True
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_loss_curve=None,
        validation_scores=None,
        score_name="score",
        estimator_name=None,
    ):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.score_name = score_name
        self.estimator_name = estimator_name

    def plot(
        self,
        ax=None,
        *,
        name=None,
        loss_kwargs=None,
        validation_loss_kwargs=None,
        validation_score_kwargs=None,
    ):
        """Plot visualization.

        The training loss and, when given, the validation loss are drawn on
        ``ax`` against the epoch (1, 2, ...); the validation score on a twin
        axes with its own scale. A legend names the lines.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw the losses on; the validation score goes on a twin
            axes (``ax.twinx()``). None creates a new figure and axes.
        name : str, default=None
            Title of the plot; None uses ``estimator_name``.
        loss_kwargs : dict, default=None
            Keyword arguments of ``ax.plot`` for the training loss line.
        validation_loss_kwargs : dict, default=None
            Keyword arguments of ``ax.plot`` for the validation loss line.
        validation_score_kwargs : dict, default=None
            Keyword arguments of ``plot`` for the validation score line.

        Returns
        -------
        display : LossCurveDisplay
            The display, with the attributes of the drawn artists set.
        """
        plt = _import_pyplot(f"{type(self).__name__}.plot")
        if ax is None:
            _, ax = plt.subplots()

        loss = np.asarray(self.loss_curve, dtype=float)
        epochs = np.arange(1, loss.shape[0] + 1)
        self.loss_line_ = ax.plot(
            epochs, loss, **{"color": "C0", "label": "Training loss", **(loss_kwargs or {})}
        )[0]
        self.validation_loss_line_ = None
        if self.validation_loss_curve is not None:
            val_loss = np.asarray(self.validation_loss_curve, dtype=float)
            self.validation_loss_line_ = ax.plot(
                np.arange(1, val_loss.shape[0] + 1),
                val_loss,
                **{"color": "C1", "linestyle": "--", "label": "Validation loss",
                   **(validation_loss_kwargs or {})},
            )[0]  # fmt: skip
        ax.set_xlabel("Epoch")
        ax.set_ylabel("Loss")

        self.score_ax_ = None
        self.validation_score_line_ = None
        if self.validation_scores is not None:
            scores = np.asarray(self.validation_scores, dtype=float)
            self.score_ax_ = ax.twinx()
            self.validation_score_line_ = self.score_ax_.plot(
                np.arange(1, scores.shape[0] + 1),
                scores,
                **{"color": "C2", "linestyle": ":",
                   "label": f"Validation {self.score_name}",
                   **(validation_score_kwargs or {})},
            )[0]  # fmt: skip
            self.score_ax_.set_ylabel(f"Validation {self.score_name}")

        lines = [
            line
            for line in (
                self.loss_line_,
                self.validation_loss_line_,
                self.validation_score_line_,
            )
            if line is not None
        ]
        # The legend goes on the top-most axes so that no line is drawn over it; the
        # losses fall and the score rises, which usually leaves the right middle free.
        top = ax if self.score_ax_ is None else self.score_ax_
        top.legend(lines, [line.get_label() for line in lines],
                   loc="best" if self.score_ax_ is None else "center right")  # fmt: skip
        title = self.estimator_name if name is None else name
        if title:
            ax.set_title(title)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        ax=None,
        name=None,
        loss_kwargs=None,
        validation_loss_kwargs=None,
        validation_score_kwargs=None,
    ):
        """Plot the loss curves of a fitted multi-layer perceptron.

        Reads ``loss_curve_`` and, when ``early_stopping=True`` recorded
        them, ``validation_loss_curve_`` (fastmlp only) and
        ``validation_scores_``, then draws them with :meth:`plot`.

        Parameters
        ----------
        estimator : estimator instance
            A fitted ``MLPClassifier`` / ``MLPRegressor`` (fastmlp or
            scikit-learn) trained with a stochastic solver, or a ``Pipeline``
            ending with one. It must have ``loss_curve_``; the validation
            curves are drawn when ``early_stopping=True`` recorded them.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; None creates a new figure and axes.
        name : str, default=None
            Title of the plot; None uses the estimator's class name.
        loss_kwargs : dict, default=None
            Keyword arguments of ``ax.plot`` for the training loss line.
        validation_loss_kwargs : dict, default=None
            Keyword arguments of ``ax.plot`` for the validation loss line.
        validation_score_kwargs : dict, default=None
            Keyword arguments of ``plot`` for the validation score line.

        Returns
        -------
        display : LossCurveDisplay
            The drawn display.

        Raises
        ------
        ValueError
            If the estimator has no per-epoch loss curve (e.g. it was fitted
            with ``solver='lbfgs'``).
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.

        See Also
        --------
        LossCurveDisplay.plot : Plot from the curves themselves.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from fastmlp import LossCurveDisplay, MLPRegressor
        >>> X, y = load_diabetes(return_X_y=True)
        >>> regr = MLPRegressor(hidden_layer_sizes=(8,), learning_rate_init=0.1,
        ...                     random_state=0).fit(X, y / 100)
        >>> display = LossCurveDisplay.from_estimator(regr)
        >>> display.ax_.get_xlabel(), display.ax_.get_ylabel()
        ('Epoch', 'Loss')
        """
        if hasattr(estimator, "steps"):  # a Pipeline: its final step
            estimator = estimator.steps[-1][1]
        check_is_fitted(estimator)
        loss_curve = getattr(estimator, "loss_curve_", None)
        if loss_curve is None:
            raise ValueError(
                f"{type(estimator).__name__} has no loss_curve_: only the stochastic "
                "solvers record a loss per epoch (got solver="
                f"{getattr(estimator, 'solver', None)!r})."
            )
        display = cls(
            loss_curve=list(loss_curve),
            validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
            validation_scores=getattr(estimator, "validation_scores_", None),
            score_name="accuracy" if is_classifier(estimator) else "$R^2$",
            estimator_name=type(estimator).__name__,
        )
        return display.plot(
            ax=ax,
            name=name,
            loss_kwargs=loss_kwargs,
            validation_loss_kwargs=validation_loss_kwargs,
            validation_score_kwargs=validation_score_kwargs,
        )

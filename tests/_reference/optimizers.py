"""Textbook NumPy implementations of fastmlp's stochastic optimizers.

Written from the published update rules, independently of fastmlp's engine,
for the tests that train the NumPy network of ``network.py`` alongside
fastmlp (``test_optimizers.py``, ``test_reference_training.py``).
Every optimizer works on a list of parameter arrays (coefficient matrices
first, then intercept vectors) and takes the gradient of the objective at the
current parameters; state starts at zero.

References
----------
* SGD with momentum / Nesterov's momentum: as scikit-learn's
  ``neural_network/_stochastic_optimizers.py`` (Sutskever et al. 2013 form):
  ``v <- mu v - lr g``; plain step ``w += v``; Nesterov step
  ``w += mu v - lr g``.
* Adam (Kingma & Ba 2015, the "efficient" form of Sec. 2, used by
  scikit-learn): ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``,
  ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)``, ``w -= lr_t m / (sqrt(v) + eps)``.
* Adagrad (Duchi et al. 2011): ``G += g^2``; ``w -= lr g / (sqrt(G) + eps)``.
* RMSprop (Tieleman & Hinton 2012): ``v = rho v + (1 - rho) g^2``;
  ``w -= lr g / (sqrt(v) + eps)``.
* Adadelta (Zeiler 2012, Algorithm 1): ``E[g^2] = rho E[g^2] + (1 - rho) g^2``;
  ``dx = -sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g``;
  ``E[dx^2] = rho E[dx^2] + (1 - rho) dx^2``; ``w += lr * dx`` (as fastmlp's README
  documents it: the step is multiplied by learning_rate_init, 1.0 giving
  Zeiler's rule; the unscaled dx is accumulated).
* AdamW (Loshchilov & Hutter 2019, decoupled weight decay): first
  ``w -= lr * weight_decay * w`` on the coefficient matrices only, then the
  Adam step above (the gradient is the one taken at the weights before the
  decay).
"""

import numpy as np


class ReferenceOptimizer:
    """Base class: ``step(params, grads)`` updates ``params`` (a list of
    arrays) in place; ``is_coef[i]`` tells whether ``params[i]`` is a
    coefficient matrix (AdamW decays those only)."""

    def __init__(self, params, is_coef, learning_rate):
        self.lr = float(learning_rate)
        self.is_coef = list(is_coef)
        self.t = 0
        self.s1 = [np.zeros_like(p, dtype=np.float64) for p in params]
        self.s2 = [np.zeros_like(p, dtype=np.float64) for p in params]

    def step(self, params, grads):
        self.t += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            p[...] = self._update(i, p, np.asarray(g, dtype=np.float64))

    def _update(self, i, w, g):  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(ReferenceOptimizer):
    def __init__(self, params, is_coef, learning_rate, momentum=0.0, nesterov=False):
        super().__init__(params, is_coef, learning_rate)
        self.mu = float(momentum)
        self.nesterov = bool(nesterov)

    def _update(self, i, w, g):
        v = self.mu * self.s1[i] - self.lr * g
        self.s1[i] = v
        if self.nesterov:
            return w + (self.mu * v - self.lr * g)
        return w + v


class Adam(ReferenceOptimizer):
    def __init__(
        self, params, is_coef, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    ):
        super().__init__(params, is_coef, learning_rate)
        self.b1, self.b2, self.eps = float(beta_1), float(beta_2), float(epsilon)

    def _adam(self, i, w, g):
        self.s1[i] = self.b1 * self.s1[i] + (1 - self.b1) * g
        self.s2[i] = self.b2 * self.s2[i] + (1 - self.b2) * g * g
        lr_t = self.lr * np.sqrt(1 - self.b2**self.t) / (1 - self.b1**self.t)
        return w - lr_t * self.s1[i] / (np.sqrt(self.s2[i]) + self.eps)

    def _update(self, i, w, g):
        return self._adam(i, w, g)


class AdamW(Adam):
    def __init__(self, params, is_coef, learning_rate, weight_decay=0.01, **adam):
        super().__init__(params, is_coef, learning_rate, **adam)
        self.weight_decay = float(weight_decay)

    def _update(self, i, w, g):
        if self.is_coef[i]:
            w = w - self.lr * self.weight_decay * w
        return self._adam(i, w, g)


class Adagrad(ReferenceOptimizer):
    def __init__(self, params, is_coef, learning_rate, epsilon=1e-8):
        super().__init__(params, is_coef, learning_rate)
        self.eps = float(epsilon)

    def _update(self, i, w, g):
        self.s1[i] = self.s1[i] + g * g
        return w - self.lr * g / (np.sqrt(self.s1[i]) + self.eps)


class RMSprop(ReferenceOptimizer):
    def __init__(self, params, is_coef, learning_rate, rho=0.9, epsilon=1e-8):
        super().__init__(params, is_coef, learning_rate)
        self.rho, self.eps = float(rho), float(epsilon)

    def _update(self, i, w, g):
        self.s1[i] = self.rho * self.s1[i] + (1 - self.rho) * g * g
        return w - self.lr * g / (np.sqrt(self.s1[i]) + self.eps)


class Adadelta(ReferenceOptimizer):
    def __init__(self, params, is_coef, learning_rate, rho=0.9, epsilon=1e-8):
        super().__init__(params, is_coef, learning_rate)
        self.rho, self.eps = float(rho), float(epsilon)

    def _update(self, i, w, g):
        # s1: E[g^2], s2: E[dx^2]
        self.s1[i] = self.rho * self.s1[i] + (1 - self.rho) * g * g
        dx = -np.sqrt(self.s2[i] + self.eps) / np.sqrt(self.s1[i] + self.eps) * g
        self.s2[i] = self.rho * self.s2[i] + (1 - self.rho) * dx * dx
        return w + self.lr * dx


def make_reference_optimizer(solver, params, is_coef, est_params):
    """The reference optimizer for fastmlp's `solver`, configured from the
    estimator's parameters (a dict as returned by ``get_params``)."""
    lr = est_params["learning_rate_init"]
    if solver == "sgd":
        return SGD(
            params,
            is_coef,
            lr,
            est_params["momentum"],
            est_params["nesterovs_momentum"] and est_params["momentum"] > 0,
        )
    adam = dict(
        beta_1=est_params["beta_1"],
        beta_2=est_params["beta_2"],
        epsilon=est_params["epsilon"],
    )
    if solver == "adam":
        return Adam(params, is_coef, lr, **adam)
    if solver == "adamw":
        return AdamW(params, is_coef, lr, weight_decay=est_params["weight_decay"], **adam)
    if solver == "adagrad":
        return Adagrad(params, is_coef, lr, epsilon=est_params["epsilon"])
    if solver == "rmsprop":
        return RMSprop(
            params, is_coef, lr, rho=est_params["rho"], epsilon=est_params["epsilon"]
        )
    if solver == "adadelta":
        return Adadelta(
            params, is_coef, lr, rho=est_params["rho"], epsilon=est_params["epsilon"]
        )
    raise ValueError(solver)

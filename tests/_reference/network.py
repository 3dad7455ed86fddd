"""A plain NumPy multi-layer perceptron: the reference fastmlp's tests compare with.

Written from the textbook definitions, independently of fastmlp's engine: the
forward pass, the objective and its back-propagation (with inverted dropout),
scikit-learn's initialisation and target encoding, and scikit-learn's loop of
shuffled mini-batches.  The optimizers' update rules live next door, in
``optimizers.py``.

The objective of a batch B with sample weights s_i, S = sum_{i in B} s_i:

    J = sum_i s_i loss_i / S
        + alpha * ((1 - l1_ratio) * 0.5 * ||W||^2 + l1_ratio * ||W||_1) / S

(scikit-learn's L2 term 0.5 * alpha * ||W||^2 / S, extended to the elastic
net), intercepts not penalised; the gradient of ||W||_1 is taken as sign(W)
(0 at 0).  loss_i is summed over the outputs: squared_error 0.5 (y - p)^2,
absolute_error |y - p|, huber 0.5 r^2 if |r| <= delta else
delta (|r| - 0.5 delta), poisson y log(y / p) - y + p (scikit-learn's half
deviance), log loss (probabilities clipped to [eps, 1 - eps] as scikit-learn
does), multiclass hinge sum_{j != y} max(0, s_j - s_y + 1) (squared: each term
squared), binary / per-label hinge max(0, 1 - t s) with t in {-1, +1} (multilabel
targets: summed over the labels, like the multilabel log loss).

Inverted dropout (Srivastava et al. 2014, JMLR 15, with the 1 / (1 - rate)
scaling done during training so prediction uses the weights as they are):
hidden layer l's output h becomes h * m, m = 0 with probability rate_l and
1 / (1 - rate_l) otherwise, independently for every row and unit.  The next
layer, that layer's weight gradient and back-propagation all see the same m:
the delta of layer l's pre-activation z is (delta_{l+1} W_{l+1}^T) * m * f'(z).

Mini-batch training, as scikit-learn's ``BaseMultilayerPerceptron.
_fit_stochastic`` does it: the random state is the one left by the
initialisation; every epoch the sample order is shuffled with
``sklearn.utils.shuffle(order, random_state=rs)`` (the previous epoch's order,
permuted again); batches are consecutive slices of ``batch_size`` rows, the
last one short; each batch takes one optimizer step with the gradient of its
own objective J_b, evaluated at the weights before the step, and the epoch's
loss is sum_b J_b |B_b| / n.  With dropout, the masks of each batch are those
of fastmlp's random stream (``stream_dropout_masks``).
"""

from itertools import pairwise

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, ndtr, softmax, xlogy
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils import shuffle as sklearn_shuffle

SELU_LAMBDA = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772
EPS64 = np.finfo(np.float64).eps


# ---------------------------------------------------------------------------
# Activations and losses
# ---------------------------------------------------------------------------
def activation(name, z):
    if name == "identity":
        return z.copy()
    if name == "logistic":
        return expit(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if name == "elu":
        return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))
    if name == "selu":
        return SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0.0)))
    if name == "softplus":
        return np.logaddexp(0.0, z)
    if name == "gelu":
        return z * ndtr(z)  # exact GELU: z * Phi(z)
    if name == "silu":
        return z * expit(z)
    if name == "gaussian":
        return np.exp(-z * z)
    if name == "exp":
        return np.exp(z)
    if name == "softmax":
        return softmax(z, axis=1)
    raise ValueError(name)


def activation_derivative(name, z):
    if name == "identity":
        return np.ones_like(z)
    if name == "logistic":
        s = expit(z)
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, 0.01)
    if name == "elu":
        return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0)))
    if name == "selu":
        return SELU_LAMBDA * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0.0)))
    if name == "softplus":
        return expit(z)
    if name == "gelu":
        return ndtr(z) + z * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
    if name == "silu":
        s = expit(z)
        return s * (1 + z * (1 - s))
    if name == "gaussian":
        return -2 * z * np.exp(-z * z)
    if name == "exp":
        return np.exp(z)
    raise ValueError(name)


def loss_and_delta(loss, out_act, z, p, Y, huber_delta=1.0):
    """Per-sample loss (n,) and its derivative wrt the output pre-activation.

    `loss` is one of log_loss (softmax or logistic units, by out_act),
    squared_error, absolute_error, huber, poisson, hinge_mc, squared_hinge_mc
    (multiclass, Y one-hot), hinge_bin, squared_hinge_bin (binary / per label,
    Y in {0, 1})."""
    n = Y.shape[0]
    if loss == "log_loss":
        pc = np.clip(p, EPS64, 1 - EPS64)
        if out_act == "softmax":
            return -xlogy(Y, pc).sum(1), p - Y
        return -(xlogy(Y, pc) + xlogy(1 - Y, 1 - pc)).sum(1), p - Y
    if loss in ("hinge_mc", "squared_hinge_mc"):
        c = Y.argmax(1)
        rows = np.arange(n)
        m = z - z[rows, c][:, None] + 1.0
        active = m > 0
        active[rows, c] = False
        if loss == "hinge_mc":
            per = np.where(active, m, 0.0)
            dz = active.astype(float)
        else:
            per = np.where(active, m * m, 0.0)
            dz = np.where(active, 2 * m, 0.0)
        dz[rows, c] = -dz.sum(1)
        return per.sum(1), dz
    if loss in ("hinge_bin", "squared_hinge_bin"):
        t = 2.0 * Y - 1.0
        m = 1.0 - t * z
        active = m > 0
        if loss == "hinge_bin":
            return np.where(active, m, 0.0).sum(1), np.where(active, -t, 0.0)
        return np.where(active, m * m, 0.0).sum(1), np.where(active, -2 * t * m, 0.0)
    r = p - Y
    if loss == "squared_error":
        per, dp = 0.5 * r * r, r
    elif loss == "absolute_error":
        per, dp = np.abs(r), np.sign(r)
    elif loss == "huber":
        quad = np.abs(r) <= huber_delta
        per = np.where(quad, 0.5 * r * r, huber_delta * (np.abs(r) - 0.5 * huber_delta))
        dp = np.where(quad, r, huber_delta * np.sign(r))
    elif loss == "poisson":
        per, dp = xlogy(Y, Y / p) - Y + p, 1.0 - Y / p
    else:
        raise ValueError(loss)
    return per.sum(1), dp * activation_derivative(out_act, z)


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------
class NumpyMLP:
    """A plain NumPy MLP with the objective of the module docstring.

    ``masks`` (forward, loss_grad): None, or one entry per hidden layer, each
    None (no dropout there) or an array broadcastable to that layer's output
    (n, width) holding the inverted-dropout multipliers 0 or 1 / (1 - rate).
    """

    def __init__(
        self,
        coefs,
        intercepts,
        hidden_acts,
        out_act,
        loss,
        alpha=0.0,
        l1_ratio=0.0,
        huber_delta=1.0,
    ):
        self.coefs = [np.array(c, dtype=np.float64) for c in coefs]
        self.intercepts = [np.array(b, dtype=np.float64) for b in intercepts]
        self.hidden_acts = list(hidden_acts)
        self.out_act = out_act
        self.loss = loss
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.huber_delta = huber_delta

    @property
    def params(self):
        """The parameter arrays themselves (coefficients, then intercepts):
        an optimizer stepping them in place trains this network."""
        return self.coefs + self.intercepts

    @property
    def is_coef(self):
        return [True] * len(self.coefs) + [False] * len(self.intercepts)

    def forward(self, X, masks=None):
        """(pre-activations, activations); a hidden layer's activations are
        after its dropout mask, as the next layer sees them."""
        a = np.asarray(X, dtype=np.float64)
        zs, acts = [], [a]
        last = len(self.coefs) - 1
        for i, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            z = a @ W + b
            a = activation(self.out_act if i == last else self.hidden_acts[i], z)
            if i < last and masks is not None and masks[i] is not None:
                a = a * masks[i]
            zs.append(z)
            acts.append(a)
        return zs, acts

    def predict(self, X):
        return self.forward(X)[1][-1]

    def penalty(self):
        sq = sum(float(np.sum(W * W)) for W in self.coefs)
        l1 = sum(float(np.sum(np.abs(W))) for W in self.coefs)
        return self.alpha * ((1 - self.l1_ratio) * 0.5 * sq + self.l1_ratio * l1)

    def penalty_gradient(self, W):
        """d penalty / dW for one coefficient matrix (sign(0) = 0)."""
        return self.alpha * ((1 - self.l1_ratio) * W + self.l1_ratio * np.sign(W))

    def objective(self, X, Y, sw=None, masks=None):
        """(objective, weighted mean data loss)."""
        return self.loss_grad(X, Y, sw, masks)[:2]

    def loss_grad(self, X, Y, sw=None, masks=None):
        """(objective, data loss, coef grads, intercept grads)."""
        Y = np.asarray(Y, dtype=np.float64)
        if Y.ndim == 1:
            Y = Y[:, None]
        sw = np.ones(Y.shape[0]) if sw is None else np.asarray(sw, dtype=np.float64)
        S = sw.sum()
        zs, acts = self.forward(X, masks)
        per, dz = loss_and_delta(
            self.loss, self.out_act, zs[-1], acts[-1], Y, self.huber_delta
        )
        data = float(np.sum(sw * per) / S)
        value = data + self.penalty() / S
        delta = dz * (sw / S)[:, None]
        cg = [None] * len(self.coefs)
        ig = [None] * len(self.coefs)
        for i in range(len(self.coefs) - 1, -1, -1):
            W = self.coefs[i]
            cg[i] = acts[i].T @ delta + self.penalty_gradient(W) / S
            ig[i] = delta.sum(0)
            if i > 0:
                delta = delta @ W.T
                if masks is not None and masks[i - 1] is not None:
                    delta = delta * masks[i - 1]
                delta = delta * activation_derivative(self.hidden_acts[i - 1], zs[i - 1])
        return value, data, cg, ig


def inverted_dropout_mask(rng, shape, rate):
    """Multipliers 0 (probability `rate`) or 1 / (1 - rate), drawn with NumPy."""
    return np.where(rng.uniform(size=shape) < rate, 0.0, 1.0 / (1.0 - rate))


# fastmlp's dropout stream (csrc/elementwise.h, fastmlp/_stochastic.py), written
# out: every epoch draws seed = random_state.randint(0, 2**62) after its shuffle;
# from that state splitmix64 (Steele, Lea and Flood 2014) gives uniform draws
# u = (z >> 11) * 2**-53, unit dropped when u < rate.  A batch draws after the
# rows of the epoch's earlier batches (per row, the widths of the hidden layers
# with a rate above 0), layer after layer, row after row, unit after unit.
SPLITMIX64_STEP = np.uint64(0x9E3779B97F4A7C15)


def splitmix64(state, start, count):
    """Draws start + 1 .. start + count of splitmix64 from `state` (uint64)."""
    k = np.arange(start + 1, start + count + 1, dtype=np.uint64)
    z = np.uint64(state) + k * SPLITMIX64_STEP  # uint64 arrays wrap modulo 2**64
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def stream_dropout_masks(seed, rows_before, batch_rows, widths, rates):
    """The inverted-dropout multipliers of one batch of `batch_rows` rows after
    `rows_before` rows of the epoch whose stream starts at `seed`: one entry per
    hidden layer (`widths` units, dropout `rates`), None for a rate of 0, else
    (batch_rows, width) of 0 and 1 / (1 - rate)."""
    per_row = sum(w for w, r in zip(widths, rates) if r > 0)
    start = rows_before * per_row
    masks = []
    for width, rate in zip(widths, rates):
        if rate == 0:
            masks.append(None)
            continue
        z = splitmix64(seed, start, batch_rows * width)
        u = (z >> np.uint64(11)).astype(np.float64) * 2.0**-53
        masks.append(np.where(u < rate, 0.0, 1.0 / (1.0 - rate)).reshape(batch_rows, width))
        start += batch_rows * width
    return masks


# ---------------------------------------------------------------------------
# Mini-batch training
# ---------------------------------------------------------------------------
def minibatch_epochs(n_samples, batch_size, random_state, n_epochs, shuffle=True):
    """For each epoch, the index arrays of its mini-batches, in order.

    `random_state` is consumed as scikit-learn's ``_fit_stochastic`` consumes
    it: one ``sklearn.utils.shuffle`` of the running order per epoch."""
    rs = check_random_state(random_state)
    order = np.arange(n_samples)
    for _ in range(n_epochs):
        if shuffle:
            order = sklearn_shuffle(order, random_state=rs)
        yield [
            order[start : start + batch_size] for start in range(0, n_samples, batch_size)
        ]


def train_minibatches(
    net,
    optimizer,
    X,
    Y,
    sw,
    batch_size,
    n_epochs,
    random_state,
    shuffle=True,
    dropout=None,
):
    """Train `net` in place; `optimizer` (from ``_reference.optimizers``) must
    have been built on ``net.params``.  Returns the loss of every epoch.

    `dropout`: None, or one rate per hidden layer, the masks drawn from
    fastmlp's stream (stream_dropout_masks) with a seed per epoch drawn from
    `random_state` after the epoch's shuffle."""
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    Y = Y[:, None] if Y.ndim == 1 else Y
    n = X.shape[0]
    sw = np.ones(n) if sw is None else np.asarray(sw, dtype=np.float64)
    rs = check_random_state(random_state)
    widths = [W.shape[1] for W in net.coefs[:-1]]
    curve = []
    for batches in minibatch_epochs(n, batch_size, rs, n_epochs, shuffle):
        seed = None if dropout is None else rs.randint(0, 2**62, dtype=np.int64)
        total = 0.0
        rows_before = 0
        for idx in batches:
            assert sw[idx].sum() > 0, "the reference needs a positive weight in every batch"
            masks = (
                None
                if seed is None
                else stream_dropout_masks(seed, rows_before, len(idx), widths, dropout)
            )
            rows_before += len(idx)
            value, _, cg, ig = net.loss_grad(X[idx], Y[idx], sw[idx], masks)
            optimizer.step(net.params, cg + ig)
            total += value * len(idx)
        curve.append(total / n)
    return curve


# ---------------------------------------------------------------------------
# scikit-learn's conventions, written out
# ---------------------------------------------------------------------------
def sklearn_glorot_init(units, random_state, activation):
    """scikit-learn's MLP initialisation, written out: Glorot uniform with
    bound sqrt(factor / (fan_in + fan_out)), factor 2 for logistic, else 6;
    drawn in the order W0, b0, W1, b1, ... from check_random_state.
    Returns (coefs, intercepts, the random state after the draws)."""
    rs = check_random_state(random_state)
    factor = 2.0 if activation == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in pairwise(units):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(rs.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(rs.uniform(-bound, bound, fan_out))
    return coefs, intercepts, rs


def encode_classes(y):
    """scikit-learn's target encoding for MLPClassifier (LabelBinarizer)."""
    lb = LabelBinarizer().fit(y)
    return lb.transform(y).astype(np.float64), lb


def balanced_class_weights(y):
    """Per-sample weights of class_weight='balanced' (King & Zeng 2001, as
    scikit-learn documents it): n_samples / (n_classes * count of the class)."""
    classes, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    return (len(y) / (len(classes) * counts))[codes]


# ---------------------------------------------------------------------------
# Comparing parameter vectors
# ---------------------------------------------------------------------------
def pack(coefs, intercepts):
    """Flat vector in scikit-learn's packing order (all coefs, then intercepts)."""
    return np.concatenate([np.ravel(c) for c in coefs] + [np.ravel(b) for b in intercepts])


def rel_err(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def central_differences(fun, arrays, eps=1e-6):
    """Central-difference gradient of the scalar fun() with respect to every
    element of `arrays`, flat in their order (a list of coefficient matrices
    then intercept vectors gives pack's order), float64.

    Each element is moved to w + eps and w - eps in place, and put back
    exactly; the step divided by is the difference of the two values actually
    stored (in a float32 array, rounded).  fun() must read the arrays
    themselves, not copies."""
    out = []
    for arr in arrays:
        for idx in np.ndindex(arr.shape):
            w = arr[idx].copy()
            arr[idx] = w + eps
            w_plus, plus = float(arr[idx]), float(fun())
            arr[idx] = w - eps
            w_minus, minus = float(arr[idx]), float(fun())
            arr[idx] = w
            out.append((plus - minus) / (w_plus - w_minus))
    return np.array(out)


# ---------------------------------------------------------------------------
# A fitted estimator's outputs, from its coefs_ and intercepts_
# ---------------------------------------------------------------------------
def estimator_forward(est, X):
    """Output-layer activations of a fitted estimator for the rows of X (dense
    or sparse), in float64, one layer at a time over all rows."""
    a = X.toarray() if sp.issparse(X) else np.asarray(X)
    hidden = est.activation
    if isinstance(hidden, str):
        hidden = [hidden] * (len(est.coefs_) - 1)
    net = NumpyMLP(est.coefs_, est.intercepts_, hidden, est.out_activation_, loss=None)
    return net.predict(a)


def estimator_predict_proba(clf, X):
    """What a classifier's predict_proba returns, from estimator_forward: two
    columns (1 - p, p) for a single logistic unit."""
    p = estimator_forward(clf, X)
    if p.shape[1] == 1:
        p = np.hstack([1.0 - p, p])
    return p

"""Network layout: layer widths and the flat parameter buffer.

All coefficient matrices come first, then all intercept vectors (the order
scikit-learn's L-BFGS path packs them in), so the coefficient block, the only
part the L2 term touches, is one contiguous prefix of the buffer.  `coefs_` and
`intercepts_` of an estimator are views into that buffer.
"""

import numpy as np


class Layout:
    """Offsets of every layer's coefficients and intercepts in the flat buffer.

    Parameters
    ----------
    units : sequence of int
        Layer widths, input layer first, output layer last.
    """

    def __init__(self, units):
        self.units = np.asarray(units, dtype=np.intp)
        fan_in, fan_out = self.units[:-1], self.units[1:]
        coef_sizes = fan_in * fan_out
        self.coef_off = np.concatenate(([0], np.cumsum(coef_sizes)[:-1])).astype(np.intp)
        self.n_coef = int(coef_sizes.sum())
        self.icpt_off = (
            self.n_coef + np.concatenate(([0], np.cumsum(fan_out)[:-1]))
        ).astype(np.intp)
        self.n_params = self.n_coef + int(fan_out.sum())
        # What full-batch chunking and team sizing read on every call.
        self.width = max(int(fan_out.sum()), 1)  # activations per row
        self.dense_row_flops = 6.0 * float(np.dot(fan_in.astype(np.float64), fan_out))

    @property
    def n_weight_layers(self):
        return len(self.units) - 1

    def coef_shape(self, i):
        return (int(self.units[i]), int(self.units[i + 1]))

    def views(self, flat):
        """coefs_ and intercepts_ as lists of views into `flat`."""
        coefs, intercepts = [], []
        for i in range(self.n_weight_layers):
            shape = self.coef_shape(i)
            start = self.coef_off[i]
            coefs.append(flat[start : start + shape[0] * shape[1]].reshape(shape))
            start = self.icpt_off[i]
            intercepts.append(flat[start : start + shape[1]])
        return coefs, intercepts

    def is_view_of(self, coefs, intercepts, flat):
        """Whether `coefs`/`intercepts` are still exactly the views of `flat`."""
        if len(coefs) != self.n_weight_layers or len(intercepts) != self.n_weight_layers:
            return False
        base, item = flat.ctypes.data, flat.itemsize
        for i in range(self.n_weight_layers):
            c, b = coefs[i], intercepts[i]
            if not (
                isinstance(c, np.ndarray)
                and isinstance(b, np.ndarray)
                and c.base is flat
                and b.base is flat
                and c.shape == self.coef_shape(i)
                and b.shape == (self.coef_shape(i)[1],)
                and c.ctypes.data == base + item * int(self.coef_off[i])
                and b.ctypes.data == base + item * int(self.icpt_off[i])
                and c.flags.c_contiguous
            ):
                return False
        return True

    def pack(self, coefs, intercepts, dtype):
        """A new flat buffer holding copies of the given arrays."""
        if len(coefs) != self.n_weight_layers or len(intercepts) != self.n_weight_layers:
            raise ValueError(
                f"Expected {self.n_weight_layers} coefficient matrices and intercept "
                f"vectors, got {len(coefs)} and {len(intercepts)}."
            )
        flat = np.empty(self.n_params, dtype=dtype)
        views_c, views_b = self.views(flat)
        for i in range(self.n_weight_layers):
            c = np.asarray(coefs[i])
            b = np.asarray(intercepts[i])
            if c.shape != views_c[i].shape or b.shape != views_b[i].shape:
                raise ValueError(
                    f"coefs_[{i}] / intercepts_[{i}] have shapes {c.shape} / {b.shape}; "
                    f"the network needs {views_c[i].shape} / {views_b[i].shape}."
                )
            views_c[i][...] = c
            views_b[i][...] = b
        return flat

    def initial_params(self, weight_init, logistic, random_state, dtype):
        """A new flat buffer of random initial weights (biases 0 except with
        glorot_uniform).

        glorot_uniform is scikit-learn's scheme: weights and biases drawn in
        float64 in the order W0, b0, W1, b1, ..., from U(-b, b) with
        b = sqrt(f / (fan_in + fan_out)), f = 2 for a `logistic` network, else 6.
        The other schemes draw the weights only, from N(0, s) or U(-b, b):
        glorot_normal s = sqrt(2 / (fan_in + fan_out)), he_uniform
        b = sqrt(6 / fan_in), he_normal s = sqrt(2 / fan_in), lecun_normal
        s = sqrt(1 / fan_in).
        """
        rs = random_state
        flat = np.zeros(self.n_params, dtype=dtype)
        coefs, intercepts = self.views(flat)
        for i in range(self.n_weight_layers):
            fan_in, fan_out = self.coef_shape(i)
            if weight_init == "glorot_uniform":
                bound = np.sqrt((2.0 if logistic else 6.0) / (fan_in + fan_out))
                coefs[i][...] = rs.uniform(-bound, bound, (fan_in, fan_out))
                intercepts[i][...] = rs.uniform(-bound, bound, fan_out)
            elif weight_init == "glorot_normal":
                coefs[i][...] = rs.normal(
                    0, np.sqrt(2.0 / (fan_in + fan_out)), (fan_in, fan_out)
                )
            elif weight_init == "he_uniform":
                bound = np.sqrt(6.0 / fan_in)
                coefs[i][...] = rs.uniform(-bound, bound, (fan_in, fan_out))
            elif weight_init == "he_normal":
                coefs[i][...] = rs.normal(0, np.sqrt(2.0 / fan_in), (fan_in, fan_out))
            else:  # lecun_normal
                coefs[i][...] = rs.normal(0, np.sqrt(1.0 / fan_in), (fan_in, fan_out))
        return flat


class BoundParams:
    """A flat buffer and the coefs_ / intercepts_ lists of its views, as handed
    to an estimator, with what predictions reuse (the compiled network
    descriptions in `specs`, each built once: FASTMLP_KERNELS is read then,
    not on every prediction).

    `holds` tells in a few identity checks whether an estimator still has
    exactly these lists and arrays: a user may replace either (edits in place
    reach the buffer through the views).
    """

    def __init__(self, layout, flat):
        self.layout = layout
        self.flat = flat
        self.coefs, self.intercepts = layout.views(flat)
        self._arrays = (*self.coefs, *self.intercepts)
        self._shapes = tuple(a.shape for a in self._arrays)
        self.specs = {}

    def holds(self, coefs, intercepts):
        if coefs is not self.coefs or intercepts is not self.intercepts:
            return False
        arrays = self._arrays
        if len(coefs) + len(intercepts) != len(arrays):
            return False
        for mine, theirs in zip(arrays, (*coefs, *intercepts)):
            if mine is not theirs:
                return False
        return all(a.shape == shape for a, shape in zip(arrays, self._shapes))

"""The NumPy reference network itself (``tests/_reference/network.py``), which
the other tests compare fastmlp with: its back-propagation equals central
differences of its own objective, for every loss family (with the elastic-net
penalty, on a kinked activation away from its kink), and its masked
back-propagation equals central differences of its masked objective with the
inverted-dropout masks held fixed.  Nothing here runs fastmlp's engine: the
expected numbers are finite differences of the reference's own objective.
"""

from itertools import pairwise

import numpy as np
from _cases import (
    ALL_CASES,
    F_GC,
    REG_CASES,
    distance_to_kinks,
    make_case_data,
    reference_for,
)
from _reference.network import (
    NumpyMLP,
    central_differences,
    inverted_dropout_mask,
    pack,
    rel_err,
)


def test_numpy_reference_gradient_is_right():
    # Sanity of the reference itself: back-propagation == finite differences
    # of the NumPy objective, for every loss family.
    for case in [ALL_CASES[i] for i in (0, 1, 2, 4, 7, 10)] + [
        REG_CASES[i] for i in (3, 8, 17, 19)
    ]:
        X, y, sw = make_case_data(case, 21)
        rng = np.random.RandomState(4)
        units = [F_GC, 4, 3, {"multiclass": 3, "multilabel": 3}.get(case[1], 1)]
        for _ in range(100):
            coefs = [rng.normal(scale=0.7, size=(a, b)) for a, b in pairwise(units)]
            intercepts = [rng.normal(scale=0.7, size=b) for b in units[1:]]
            ref, Y = reference_for(case, y, coefs, intercepts, "selu", 0.4, 0.5)
            if distance_to_kinks(ref, X, Y) > 2e-3:
                break

        _, _, cg, ig = ref.loss_grad(X, Y, sw)
        numeric = central_differences(
            lambda: ref.objective(X, Y, sw)[0], ref.params, eps=1e-6
        )
        assert rel_err(pack(cg, ig), numeric) < 1e-7, case


def test_reference_masked_backprop_is_right():
    # Sanity of the reference itself: its masked back-propagation equals
    # central differences of its masked objective (masks held fixed).
    rng = np.random.RandomState(7)
    X, y = rng.normal(size=(9, 3)), rng.normal(size=9)
    units = [3, 5, 4, 1]
    coefs = [rng.normal(scale=0.7, size=(a, b)) for a, b in pairwise(units)]
    intercepts = [rng.normal(scale=0.7, size=b) for b in units[1:]]
    masks = [
        inverted_dropout_mask(rng, (9, 5), 0.5),
        inverted_dropout_mask(rng, (9, 4), 0.25),
    ]
    ref = NumpyMLP(
        coefs, intercepts, ["tanh", "softplus"], "identity", "huber", 0.3, 0.0, 0.4
    )
    _, _, cg, ig = ref.loss_grad(X, y, masks=masks)
    numeric = central_differences(lambda: ref.objective(X, y, masks=masks)[0], ref.params)
    assert rel_err(pack(cg, ig), numeric) < 1e-7
    # Dropped units' incoming weights get no gradient.
    dropped_everywhere = np.all(masks[0] == 0, axis=0)
    assert np.all(cg[0][:, dropped_everywhere] == 0)

"""The figure of a multi-layer perceptron in the user guide, drawn by matplotlib when
the site is built (``.. plot::`` in user_guide/estimators.rst).

Inputs on the left, two hidden layers, the outputs on the right; every unit of a
layer feeds every unit of the next through a weight of ``coefs_[l]``, and a constant
"+1" unit under each layer feeds the next through its bias, ``intercepts_[l]``.
"""

import matplotlib.pyplot as plt
from matplotlib.patches import Circle

# Per layer: the units' labels (None: the vertical dots standing for the others),
# the column's title, and the bias unit's label (None for the output layer).
LAYERS = [
    (["$x_1$", "$x_2$", "$x_3$", None, "$x_d$"], "input\n$a_0 = x$", "$+1$"),
    (["", "", "", "", None, ""], "hidden layer 1\n$a_1 = f(a_0 W_1 + b_1)$", "$+1$"),
    (["", "", "", None, ""], "hidden layer 2\n$a_2 = f(a_1 W_2 + b_2)$", "$+1$"),
    (["$p_1$", "$p_2$", "$p_3$"], "output\n$p = g(a_2 W_3 + b_3)$", None),
]
RADIUS = 0.28
X_STEP = 3.2
Y_STEP = 0.95
COLORS = ["#cfe2f3", "#d9ead3", "#d9ead3", "#fce5cd"]


def _column(units):
    """y of each unit of a layer, centred on 0, top to bottom."""
    n = len(units)
    return [(n - 1) / 2 * Y_STEP - i * Y_STEP for i in range(n)]


def draw():
    """Draw the network on a new figure and return it."""
    fig, ax = plt.subplots(figsize=(6.8, 4.6))
    ys = [_column(units) for units, _, _ in LAYERS]
    top = max(max(column) for column in ys)
    bias_y = min(min(column) for column in ys) - 1.2 * Y_STEP
    for layer, ((units, title, bias), column) in enumerate(zip(LAYERS, ys)):
        x = layer * X_STEP
        nxt = layer + 1
        if nxt < len(LAYERS):
            x_next = nxt * X_STEP
            targets = [
                (x_next, y) for unit, y in zip(LAYERS[nxt][0], ys[nxt]) if unit is not None
            ]
            # Weights: every unit to every unit of the next layer.
            for unit, y in zip(units, column):
                if unit is None:
                    continue
                for tx, ty in targets:
                    ax.plot(
                        [x + RADIUS, tx - RADIUS], [y, ty], color="0.65", lw=0.7, zorder=1
                    )
            # Biases: the +1 unit to every unit of the next layer.
            for tx, ty in targets:
                ax.plot(
                    [x + RADIUS, tx - RADIUS],
                    [bias_y, ty],
                    color="#e69138",
                    lw=0.8,
                    ls="--",
                    zorder=1,
                )
            ax.text(
                (x + x_next) / 2,
                top + 0.55,
                f"$W_{nxt}$ = coefs_[{layer}]",
                ha="center",
                va="bottom",
                fontsize=10,
            )
            ax.text(
                (x + x_next) / 2,
                bias_y - 0.55,
                f"$b_{nxt}$ = intercepts_[{layer}]",
                ha="center",
                va="top",
                fontsize=10,
                color="#b45f06",
            )
        for unit, y in zip(units, column):
            if unit is None:
                ax.text(x, y, r"$\vdots$", ha="center", va="center", fontsize=16)
                continue
            ax.add_patch(
                Circle(
                    (x, y), RADIUS, facecolor=COLORS[layer], edgecolor="0.2", lw=1, zorder=2
                )
            )
            ax.text(x, y, unit, ha="center", va="center", fontsize=11, zorder=3)
        if bias is not None:
            ax.add_patch(
                Circle(
                    (x, bias_y),
                    RADIUS,
                    facecolor="white",
                    edgecolor="#e69138",
                    lw=1.2,
                    zorder=2,
                )
            )
            ax.text(x, bias_y, bias, ha="center", va="center", fontsize=9, zorder=3)
        ax.text(x, top + 1.35, title, ha="center", va="bottom", fontsize=10)
    ax.set_xlim(-1.2, (len(LAYERS) - 1) * X_STEP + 1.2)
    ax.set_ylim(bias_y - 1.0, top + 2.4)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    return fig

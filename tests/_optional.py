"""Optional test dependencies: import them or skip the test (module)."""

import importlib
import sys

import pytest


def import_or_skip(name):
    """Import ``name`` or skip: absent, or present but not importable (e.g. a dask-ml
    too old for this scikit-learn), on every pytest version."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        # Forget the half-imported package, so that a later import fails the same way.
        top = name.split(".")[0]
        for module in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
            del sys.modules[module]
        pytest.skip(f"{name} is not usable: {exc}", allow_module_level=True)

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: marks tests as slow (deselect with '-m \"not slow\"')"
    )
    config.addinivalue_line(
        "markers",
        "dask: runs on a local Dask cluster (tests/test_dask.py); skipped without "
        "dask/distributed; deselect with '-m \"not dask\"'",
    )
    # The tests train for a few epochs or iterations on purpose, so their fits
    # stop at max_iter: scikit-learn's ConvergenceWarning is not shown, in every
    # test.  A test about the warning records it itself (pytest.warns, or
    # warnings.catch_warnings(record=True) with simplefilter("always")), which
    # takes precedence over this filter.
    config.addinivalue_line(
        "filterwarnings", "ignore::sklearn.exceptions.ConvergenceWarning"
    )


@pytest.fixture
def team(monkeypatch):
    """team(n): from then on in the test, every fit and prediction runs on a team
    of n threads (fastmlp._threads.team_size replaced), whatever its size."""
    from fastmlp import _threads

    def use(n):
        monkeypatch.setattr(_threads, "team_size", lambda rows, flops: n)

    return use

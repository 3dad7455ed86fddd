def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: marks tests as slow (deselect with '-m \"not slow\"')"
    )
    config.addinivalue_line(
        "markers",
        "dask: runs on a local Dask cluster (tests/test_dask.py); skipped without "
        "dask/distributed; deselect with '-m \"not dask\"'",
    )

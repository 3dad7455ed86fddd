"""asv benchmark suite of fastmlp (see common.py for what it measures and how to run it).

compare.py (fastmlp vs scikit-learn vs PyTorch, one report), kernels.py (the own
small-GEMM kernels against OpenBLAS per shape, and the per-batch cost of a training
step) and small_net.py are stand-alone scripts that live beside the suite; asv imports them but finds no
benchmarks in them.
"""

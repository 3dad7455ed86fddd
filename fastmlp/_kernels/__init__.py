"""Compiled kernels of fastmlp (private)."""

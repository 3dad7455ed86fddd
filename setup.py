"""Build of fastmlp's compiled kernels.

Set FASTMLP_DEBUG_BUILD=1 at build time to compile with bounds checking and
without optimisation (used by the CI's memory-safety job).
"""
import os

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("FASTMLP_DEBUG_BUILD", "") not in ("", "0")

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": DEBUG,
    "nonecheck": DEBUG,
}
# -fno-math-errno lets sqrt and exp-free loops vectorise; it changes no result.
# No FMA contraction: the loops compiled for wider instruction sets
# (csrc/optim.h) then round exactly like the baseline build.
compile_args = ["-O0", "-g"] if DEBUG else ["-O3", "-fno-math-errno"]
compile_args.append("-ffp-contract=off")
# The engine runs a training epoch or a prediction on a team of threads.
link_args = ["-pthread"]

extensions = [
    Extension(
        f"fastmlp._kernels.{name}",
        [f"fastmlp/_kernels/{name}.pyx"],
        include_dirs=["csrc"],
        extra_compile_args=compile_args,
        extra_link_args=link_args,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    for name in ("_blas", "_codes", "_gemm", "_net", "_optim", "_engine")
]

setup(ext_modules=cythonize(extensions, compiler_directives=directives))

"""Build of fastmlp's compiled kernels.

Set FASTMLP_DEBUG_BUILD=1 at build time to compile with bounds checking and
without optimisation (used by the CI's memory-safety job).
"""

import os

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

DEBUG = os.environ.get("FASTMLP_DEBUG_BUILD", "") not in ("", "0")

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": DEBUG,
    "nonecheck": DEBUG,
}
# The same numbers from every compiler.  No FMA contraction: the loops compiled
# for wider instruction sets (csrc/optim.h) then round exactly like the baseline
# build (MSVC's /fp:precise contracts nothing unless /fp:contract is given).
# -fno-math-errno lets sqrt and exp-free loops vectorise and changes no result
# (MSVC has no such switch).  GCC and clang take the same flags.
GNU_ARGS = (["-O0", "-g"] if DEBUG else ["-O3", "-fno-math-errno"]) + ["-ffp-contract=off"]
MSVC_ARGS = (["/Od", "/Zi"] if DEBUG else ["/O2"]) + ["/fp:precise"]


class BuildExt(build_ext):
    def build_extensions(self):
        if self.compiler.compiler_type == "msvc":
            for ext in self.extensions:
                ext.extra_compile_args = MSVC_ARGS
                ext.define_macros.append(("restrict", "__restrict"))  # C99 keyword
        super().build_extensions()


extensions = [
    Extension(
        f"fastmlp._kernels.{name}",
        [f"fastmlp/_kernels/{name}.pyx"],
        include_dirs=["csrc"],
        extra_compile_args=GNU_ARGS,
        # The engine runs a training epoch or a prediction on a team of threads:
        # POSIX threads, or Windows threads and WaitOnAddress (csrc/platform.h).
        extra_link_args=["-pthread"] if os.name == "posix" else [],
        libraries=["synchronization"] if os.name == "nt" else [],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    for name in ("_blas", "_codes", "_gemm", "_net", "_optim", "_engine")
]

setup(
    ext_modules=cythonize(extensions, compiler_directives=directives),
    cmdclass={"build_ext": BuildExt},
)

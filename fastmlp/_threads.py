"""How many threads the engine uses, and BLAS kept single-threaded meanwhile.

A mini-batch of an MLP is a handful of small GEMMs; BLAS's own threading splits
each of them and synchronises its threads several times per batch, and leaves
everything between the GEMMs (gather, activations, optimizer step) on one core.
The engine instead runs a team of threads over the whole epoch: each thread
takes a block of the batch's rows, then a block of the gradient and of the
optimizer step, calling single-threaded BLAS on its blocks (see
_kernels/_engine.pyx, _epoch_worker).  Prediction splits the rows into chunks
the same way.

The team is as large as BLAS may be (what threadpoolctl.threadpool_limits sets,
so a limit the user puts on BLAS limits fastmlp too) and the CPUs this process
may run on allow, and no larger than the work per batch makes worthwhile.  For
a fit or prediction that wants a team, BLAS is held at one thread from start to
end (session); the user's setting comes back when the last such call of the
process has finished.  While calls run in several Python threads at once, each
gets one thread.
"""

import ctypes
import itertools
import os
import threading
from contextlib import contextmanager, nullcontext

from threadpoolctl import ThreadpoolController

from ._kernels import _engine

# Below these, a thread's share of a batch is too small for the two barriers per
# batch to pay off (a few microseconds each), and the batch is run by one thread.
MIN_ROWS_PER_THREAD = 16
MIN_FLOPS_PER_THREAD = 1.5e6


def _thread_setter(lib):
    """A function setting the thread count of the BLAS library `lib` (a
    threadpoolctl controller) from whichever Python thread calls it.

    For an OpenBLAS with its own (pthreads) thread pool, threadpoolctl >= 3.8
    lets only the first Python thread that set a limit change it and silently
    ignores the others; a fit in a worker thread (a Dask or joblib thread,
    after anything in the main thread had set a limit) would then run its team
    beside multi-threaded BLAS, and a fit in a long-lived worker thread would
    take that role from the main thread.  So such an OpenBLAS is set through
    its own openblas_set_num_threads, leaving threadpoolctl's state alone."""
    if getattr(lib, "internal_api", None) == "openblas" and lib.threading_layer != "openmp":
        try:
            dynlib = ctypes.CDLL(lib.filepath, mode=getattr(os, "RTLD_NOLOAD", 0))
        except OSError:
            dynlib = None
        for prefix, suffix in itertools.product(("", "scipy_"), ("", "64_", "_64")):
            func = getattr(dynlib, f"{prefix}openblas_set_num_threads{suffix}", None)
            if func is not None:
                func.argtypes, func.restype = [ctypes.c_int], None
                return func
    return lib.set_num_threads


class _BlasThreads:
    """Reads and holds the thread count of the BLAS libraries in the process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._libraries = None
        self._holders = 0
        self._saved = None

    def _controllers(self):
        """[(threadpoolctl controller, thread-count setter)] of the BLAS libraries,
        found once: scanning the loaded libraries takes milliseconds."""
        if self._libraries is None:
            found = ThreadpoolController().select(user_api="blas").lib_controllers
            self._libraries = [(lib, _thread_setter(lib)) for lib in found]
        return self._libraries

    def allowed(self):
        """The number of threads BLAS may use (the user's setting, also while a
        team holds BLAS at one thread)."""
        with self._lock:
            if self._saved is not None:
                counts = [n for _, n in self._saved]
            else:
                counts = [lib.get_num_threads() for lib, _ in self._controllers()]
        counts = [n for n in counts if n]
        return min(counts) if counts else 1

    @contextmanager
    def single(self):
        """BLAS at one thread for the duration; nested and concurrent holders
        share one hold, released by the last."""
        with self._lock:
            if self._holders == 0:
                self._saved = [(setter, lib.get_num_threads())
                               for lib, setter in self._controllers()]
                for setter, _ in self._saved:
                    setter(1)
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    for setter, n in self._saved:
                        if n:
                            setter(n)
                    self._saved = None


blas = _BlasThreads()


def _cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def team_size(rows, flops):
    """Threads for work in units of `rows` rows costing `flops` (a mini-batch,
    or a chunk of rows to predict)."""
    n = min(rows // MIN_ROWS_PER_THREAD, int(flops // MIN_FLOPS_PER_THREAD))
    if n < 2:
        return 1  # too small for a team: no need to ask BLAS (microseconds a call)
    return max(1, min(n, blas.allowed(), _cpus()))


def hold(n_threads):
    """BLAS held at one thread while a team of `n_threads` > 1 runs."""
    return blas.single() if n_threads > 1 else nullcontext()


# Python threads running a fit or a prediction right now (ident -> nesting depth).
_active = {}
_active_lock = threading.Lock()


def _one_thread():
    return 1


@contextmanager
def session(rows, flops):
    """One fit or prediction in the calling Python thread, of work in units of
    `rows` rows costing `flops` (a mini-batch, or the rows to predict).

    Yields a function giving the number of threads for the next call into the
    engine: team_size(rows, flops), or 1 while another Python thread is in a
    session too (fits in parallel threads share the CPUs instead of each
    spinning a full team; a team already running finishes its epoch on one
    thread, _engine.set_crowded).  BLAS is held at one thread for the whole
    session when a team is wanted, so a session cut down to one thread does
    not turn to threaded BLAS either.  Work too small for a team runs on the
    calling thread with none of this bookkeeping (it would cost more than the
    work: a prediction of a few rows takes tens of microseconds)."""
    wanted = team_size(rows, flops)
    if wanted == 1:
        yield _one_thread
        return
    ident = threading.get_ident()
    with _active_lock:
        _active[ident] = _active.get(ident, 0) + 1
        _engine.set_crowded(len(_active) > 1)

    def threads_now():
        with _active_lock:
            alone = len(_active) == 1
        return wanted if alone else 1

    try:
        with hold(wanted):
            yield threads_now
    finally:
        with _active_lock:
            _active[ident] -= 1
            if _active[ident] == 0:
                del _active[ident]
            _engine.set_crowded(len(_active) > 1)

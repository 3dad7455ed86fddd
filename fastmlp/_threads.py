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

import os
import threading
from contextlib import contextmanager, nullcontext

from threadpoolctl import ThreadpoolController

from ._kernels import _engine

# Below these, a thread's share of a batch is too small for the two barriers per
# batch to pay off (a few microseconds each), and the batch is run by one thread.
MIN_ROWS_PER_THREAD = 16
MIN_FLOPS_PER_THREAD = 1.5e6


class _BlasThreads:
    """Reads and holds the thread count of the BLAS libraries in the process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._libraries = None
        self._holders = 0
        self._saved = None

    def _controllers(self):
        # Found once: scanning the loaded libraries takes milliseconds.
        if self._libraries is None:
            self._libraries = ThreadpoolController().select(user_api="blas").lib_controllers
        return self._libraries

    def allowed(self):
        """The number of threads BLAS may use (the user's setting, also while a
        team holds BLAS at one thread)."""
        with self._lock:
            if self._saved is not None:
                counts = [n for _, n in self._saved]
            else:
                counts = [lib.get_num_threads() for lib in self._controllers()]
        counts = [n for n in counts if n]
        return min(counts) if counts else 1

    @contextmanager
    def single(self):
        """BLAS at one thread for the duration; nested and concurrent holders
        share one hold, released by the last."""
        with self._lock:
            if self._holders == 0:
                self._saved = [(lib, lib.get_num_threads()) for lib in self._controllers()]
                for lib, _ in self._saved:
                    lib.set_num_threads(1)
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    for lib, n in self._saved:
                        if n:
                            lib.set_num_threads(n)
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
    n = min(blas.allowed(), _cpus())
    n = min(n, rows // MIN_ROWS_PER_THREAD, int(flops // MIN_FLOPS_PER_THREAD))
    return max(1, n)


def hold(n_threads):
    """BLAS held at one thread while a team of `n_threads` > 1 runs."""
    return blas.single() if n_threads > 1 else nullcontext()


# Python threads running a fit or a prediction right now (ident -> nesting depth).
_active = {}
_active_lock = threading.Lock()


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
    not turn to threaded BLAS either."""
    wanted = team_size(rows, flops)
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

"""How many threads the engine uses, and BLAS kept single-threaded meanwhile.

A mini-batch of an MLP is a handful of small GEMMs; BLAS's own threading splits
each of them and synchronises its threads several times per batch, and leaves
everything between the GEMMs (gather, activations, optimizer step) on one core.
The engine instead runs a team of threads over the whole epoch: each thread
takes a block of the batch's rows, then a block of the gradient and of the
optimizer step, calling single-threaded BLAS on its blocks (see
_kernels/_engine.pyx, _epoch_worker).  Prediction splits the rows into chunks
the same way.  Results are the same, bit for bit, at any team size.

The team is at most as large as BLAS may be (what threadpoolctl.threadpool_limits
sets, so a limit the user puts on BLAS limits fastmlp too) and the CPUs this
process may run on allow, and no larger than the work per batch makes
worthwhile (team_size).  Whether that team or one thread runs a call is
measured (TeamChoice): a team meets at barriers several times per batch, and
when another process takes one of its CPUs (or the host lends a virtual CPU
only part of the time) the others wait at every barrier, so the team can be
much slower than one thread.  For a fit or prediction that wants a team, BLAS
is held at one thread from start to end (session); the user's setting comes
back when the last such call of the process has finished.  While calls run in
several Python threads at once, each gets one thread.
"""

import ctypes
import itertools
import math
import os
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager, nullcontext

from threadpoolctl import ThreadpoolController

from ._kernels import _engine

# Below these, a thread's share of a batch is too small for the two barriers per
# batch to pay off (a few microseconds each), and the batch is run by one thread.
MIN_ROWS_PER_THREAD = 16
MIN_FLOPS_PER_THREAD = 1.5e6

# A team call during which the process used less CPU time than this share of
# (threads x wall time) was kept waiting: one of its threads did not run.
BUSY_SHARE = 0.8
# After a comparison of the team with one thread, the option not chosen is
# tried again once the calls of its kind have taken RECHECK_CALLS times the
# duration of the call that compared; twice as long after each comparison that
# keeps the choice, but at least after every MAX_RECHECK_SECONDS of calls
# (unless RECHECK_CALLS times the check takes longer).  A check thus costs at
# most 1/RECHECK_CALLS of the time of the calls since the last one.
RECHECK_CALLS = 10
MAX_RECHECK_SECONDS = 2.0
# Works whose times per row a TeamChoice keeps (the most recent).
MAX_WORKS = 32


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
                self._saved = [
                    (setter, lib.get_num_threads()) for lib, setter in self._controllers()
                ]
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
    """The largest team for work in units of `rows` rows costing `flops` (a
    mini-batch, or the rows of a full-batch pass or of a prediction): whether
    it or one thread runs a call is then measured (see session)."""
    n = min(rows // MIN_ROWS_PER_THREAD, int(flops // MIN_FLOPS_PER_THREAD))
    if n < 2:
        return 1  # too small for a team: no need to ask BLAS (microseconds a call)
    return max(1, min(n, blas.allowed(), _cpus()))


_own_team_size = team_size


def hold(n_threads):
    """BLAS held at one thread while a team of `n_threads` > 1 runs."""
    return blas.single() if n_threads > 1 else nullcontext()


class TeamChoice:
    """Whether the team or one thread runs the next call of one kind (epochs,
    full-batch passes, predictions), from what the calls of this process
    measured.  The choice is kept from one fit or prediction to the next (the
    load of the machine is not a property of one fit); times per row are
    compared only between calls of the same `work` (a key: the same network,
    data and batch, whose calls cost the same per row).

    A call reports its wall time and the CPU time the process used meanwhile
    (record):
      - a team whose threads had their CPUs (CPU time at least BUSY_SHARE x
        threads x wall time) is chosen: where team_size offers a team, it is
        faster than one thread on free CPUs, and one thread is not tried;
      - a team that was kept waiting has one thread tried on the next call
        (a check), unless a check is already due later;
      - a check (a call of the option not chosen) is compared, per row, with
        the last call of the chosen option of the same work, and the faster
        becomes the choice; the other is checked again later (RECHECK_CALLS,
        MAX_RECHECK_SECONDS), as the load changes during a fit.
    The schedule of the checks counts the seconds spent in the calls
    (`elapsed`), not the time between them.  Times are given, not read, so the
    rule can be followed call by call with any times."""

    def __init__(self):
        self.alone = False  # one thread was faster at the last comparison
        self.elapsed = 0.0  # seconds of the calls recorded
        self.check_at = math.inf  # `elapsed` when the option not chosen is tried
        self.spacing = 0.0  # seconds of calls from one check to the next
        self._rates = OrderedDict()  # work -> {"one"/"team": seconds per row}

    def threads(self, team):
        """Threads for the next call, which may run on `team` threads: `team`
        or 1."""
        if team <= 1:
            return 1
        alone = self.alone != (self.elapsed >= self.check_at)
        return 1 if alone else team

    def record(self, work, n_threads, seconds, cpu_seconds, rows):
        """A call of `work` on `n_threads` threads took `seconds` (wall) for
        `rows` rows, the process using `cpu_seconds` of CPU time meanwhile."""
        self.elapsed += seconds
        now = self.elapsed
        rates = self._rates.pop(work, {})
        self._rates[work] = rates
        if len(self._rates) > MAX_WORKS:
            self._rates.popitem(last=False)
        rates["team" if n_threads > 1 else "one"] = seconds / max(rows, 1)
        if n_threads > 1 and cpu_seconds >= BUSY_SHARE * n_threads * seconds:
            self.alone, self.check_at, self.spacing = False, math.inf, 0.0
            return
        if (n_threads == 1) == self.alone:  # the chosen option
            if n_threads > 1 and self.check_at == math.inf:
                self.check_at = now  # kept waiting: one thread next
            return
        # A check.  Without a time of the chosen option for this work there is
        # nothing to compare with: the choice stands until the next check.
        alone = self.alone
        if len(rates) == 2:
            alone = rates["one"] < rates["team"]
        # At least RECHECK_CALLS times this check's own time until the next.
        first = RECHECK_CALLS * seconds
        if alone == self.alone and self.spacing > 0:
            self.spacing = min(
                max(2 * self.spacing, first), max(MAX_RECHECK_SECONDS, first)
            )
        else:
            self.spacing = first
        self.alone = alone
        self.check_at = now + self.spacing


# One TeamChoice per kind of call, for the whole process.
_choices = {}
_choices_lock = threading.Lock()
# The clocks a call is measured with (wall time, CPU time of the process).
_clock = time.perf_counter
_cpu_clock = time.process_time

# Python threads running a fit or a prediction right now (ident -> nesting depth).
_active = {}
_active_lock = threading.Lock()


def _alone():
    with _active_lock:
        return len(_active) == 1


class _OneThread:
    """The team of work too small for more than one thread."""

    _call = nullcontext(1)

    def threads(self):
        return 1

    def call(self, rows):
        return self._call


_ONE_THREAD = _OneThread()


class Team:
    """The threads of the engine calls of one session (see session)."""

    def __init__(self, size, choice, work):
        self.size = size  # the largest team
        self._choice = choice  # TeamChoice, or None: always `size`
        self._work = work

    def threads(self):
        """Threads for a call that is not measured (an epoch's validation
        pass): the current choice, or 1 while another Python thread is in a
        session too."""
        if not _alone():
            return 1
        if self._choice is None:
            return self.size
        with _choices_lock:
            return 1 if self._choice.alone else self.size

    def call(self, rows):
        """Around one engine call over `rows` rows: `with team.call(rows) as
        n_threads:` gives its number of threads, and reports its times to the
        choice when it returns (not when it raises)."""
        return _Call(self, rows)


class _Call:
    """One measured engine call of a Team (see Team.call)."""

    __slots__ = ("_team", "_rows", "_n_threads", "_start", "_cpu_start")

    def __init__(self, team, rows):
        self._team = team
        self._rows = rows

    def __enter__(self):
        team = self._team
        if team._choice is None or not _alone():
            self._n_threads = team.threads()
            self._start = None
            return self._n_threads
        with _choices_lock:
            self._n_threads = team._choice.threads(team.size)
        self._start, self._cpu_start = _clock(), _cpu_clock()
        return self._n_threads

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is not None or self._start is None:
            return
        end, cpu = _clock(), _cpu_clock() - self._cpu_start
        if _alone():  # another session started meanwhile: not a fair time
            team = self._team
            with _choices_lock:
                team._choice.record(
                    team._work, self._n_threads, end - self._start, cpu, self._rows
                )


@contextmanager
def session(rows, flops, kind):
    """One fit or prediction in the calling Python thread, of work in units of
    `rows` rows costing `flops` (a mini-batch, or the rows of a full-batch pass
    or of a prediction), whose engine calls are of one `kind` ("epoch",
    "full-batch", "predict").

    Yields a Team: `with team.call(rows) as n_threads:` around each engine call
    gives the number of threads for it (1, or team_size(rows, flops) as
    TeamChoice decides; 1 while another Python thread is in a session too, so
    that fits in parallel threads share the CPUs instead of each spinning a
    full team -- a team already running finishes its epoch on one thread,
    _engine.set_crowded).  A team_size replaced by another function (tests,
    benchmarks) gives its sizes as they are, unmeasured.  BLAS is held at one
    thread for the whole session when a team is wanted, so a call on one
    thread does not turn to threaded BLAS either.  Work too small for a team
    runs on the calling thread with none of this bookkeeping (it would cost
    more than the work: a prediction of a few rows takes tens of
    microseconds)."""
    wanted = team_size(rows, flops)
    if wanted == 1:
        yield _ONE_THREAD
        return
    choice = None
    if team_size is _own_team_size:
        with _choices_lock:
            choice = _choices.setdefault(kind, TeamChoice())
    ident = threading.get_ident()
    with _active_lock:
        _active[ident] = _active.get(ident, 0) + 1
        _engine.set_crowded(len(_active) > 1)
    try:
        with hold(wanted):
            yield Team(wanted, choice, (kind, rows, flops))
    finally:
        with _active_lock:
            _active[ident] -= 1
            if _active[ident] == 0:
                del _active[ident]
            _engine.set_crowded(len(_active) > 1)

"""asv benchmark of a fit while other processes keep the CPUs busy: scikit-learn's
digits (X / 16, 1797 x 64), MLPClassifier((64, 32)), adam's defaults, 40 epochs
(common.digits_params), BLAS allowed two threads so that fastmlp may use its
team of threads.

    asv run --python=same --quick -b BusyMachine

BusyMachine (busy, threads)
    time_fit_40_epochs   `busy` processes (0, 1, 2; each a Python `while True:
                         pass`, started in setup, stopped in teardown) spin on the
                         CPUs during the fit; threads "chosen": fastmlp picks the
                         team or one thread as it measures, "1": BLAS limited to one
                         thread (so no team). The chosen row should stay within
                         10% of the one-thread row when the machine is busy, and
                         below it when it is not.

`python benchmarks/compare.py --busy 0,1,2` measures every configuration this way,
with the forced team and scikit-learn beside.
"""

import subprocess
import sys

from fastmlp import MLPClassifier

from .common import LONG_EPOCHS, bench_context, digits_data, digits_params


class BusyMachine:
    params = [[0, 1, 2], ["chosen", "1"]]
    param_names = ["busy", "threads"]
    timeout = 300

    def setup(self, busy, threads):
        self.X, self.y = digits_data("float64")
        self._context = bench_context(threads=1 if threads == "1" else 2)
        MLPClassifier(**digits_params(1)).fit(self.X, self.y)  # warm-up
        self._spinners = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(busy)
        ]

    def teardown(self, busy, threads):
        for proc in self._spinners:
            proc.kill()
        for proc in self._spinners:
            proc.wait()
        self._context.close()

    def time_fit_40_epochs(self, busy, threads):
        MLPClassifier(**digits_params(LONG_EPOCHS)).fit(self.X, self.y)

"""Mutation check: does the test suite catch real mistakes?

Each mutant below is a small deliberate bug (one or a few exact text
replacements in the source). For every mutant this script copies the
repository's tracked files into a scratch directory, applies the mutant,
rebuilds the compiled engine when a compiled source changed, and runs pytest
against the mutated copy: first the test files most likely to catch it, then,
if it survived them, the rest of the suite. It prints which tests caught each
mutant. Run by hand from the repository root (it is not part of the test
suite and takes a while: a build per compiled mutant, a test run per mutant):

    python tests/mutations.py                 # every mutant
    python tests/mutations.py --list          # names and descriptions
    python tests/mutations.py adam_bias l1_sign --keep   # some, keep the copies

Before the mutants, the unmutated copy runs every test file named by the
selected mutants: a mutant counts as caught only when the same tests pass
without it. Exit status 0 when every mutant was caught.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPILED_SUFFIXES = (".pyx", ".pxd", ".h", ".c")
MLP = "fastmlp/_multilayer_perceptron.py"
STOCHASTIC = "fastmlp/_stochastic.py"
EARLY_STOPPING = "fastmlp/_early_stopping.py"
OBJECTIVE = "fastmlp/_objective.py"
ENGINE = "fastmlp/_kernels/_engine.pyx"
NET = "fastmlp/_kernels/_net.pyx"
OPTIM = "fastmlp/_kernels/_optim.pyx"
GEMM_SIMD = "csrc/gemm_simd.h"
GEMM_ENTRY = "csrc/gemm_entry.h"
ELEMENTWISE = "csrc/elementwise_body.h"
ONE_PASS = "fastmlp/model_selection/_one_pass.py"


@dataclass
class Mutant:
    name: str
    description: str
    edits: list  # (path, old text, new text); old text occurs exactly once
    tests: list = field(default_factory=list)  # files tried first


MUTANTS = [
    Mutant(
        "dropout_backprop",
        "dropout mask left out of back-propagation (forward still drops units)",
        [
            (
                NET,
                "    if mask != NULL:\n        mask += off\n        for p in range(n):",
                "    if False:\n        mask += off\n        for p in range(n):",
            )
        ],
        ["tests/test_dropout.py", "tests/test_reference_training.py"],
    ),
    Mutant(
        "dropout_layers_swapped",
        "per-layer dropout rates applied to the layers in reverse order",
        [
            (
                MLP,
                "        return [float(r) for r in rates]",
                "        return [float(r) for r in rates][::-1]",
            )
        ],
        ["tests/test_dropout.py", "tests/test_reference_training.py"],
    ),
    Mutant(
        "team_one_thread",
        "the thread team silently runs on one thread (engine side)",
        [("csrc/team.h", "    if (n > FM_MAX_TEAM) n = FM_MAX_TEAM;", "    n = 1;")],
        ["tests/test_thread_team.py", "tests/test_concurrent_calls.py"],
    ),
    Mutant(
        "adam_bias",
        "Adam's bias correction one step ahead (t + 1 instead of t)",
        [
            (
                OPTIM,
                "s.lr * sqrt(1.0 - pow(s.beta_2, <double>s.t)) / \\\n"
                "            (1.0 - pow(s.beta_1, <double>s.t))",
                "s.lr * sqrt(1.0 - pow(s.beta_2, <double>(s.t + 1))) / \\\n"
                "            (1.0 - pow(s.beta_1, <double>(s.t + 1)))",
            )
        ],
        ["tests/test_parity.py"],
    ),
    Mutant(
        "l1_sign",
        "the L1 subgradient's sign flipped",
        [
            (
                OPTIM,
                "<floating>1 if w > 0 else (<floating>-1 if w < 0 else <floating>0)",
                "<floating>-1 if w > 0 else (<floating>1 if w < 0 else <floating>0)",
            )
        ],
        [
            "tests/test_regularization.py",
            "tests/test_gradients.py",
            "tests/test_reference_training.py",
        ],
    ),
    Mutant(
        "bias_grad_axis",
        "the bias gradient summed over the wrong axis (row sums instead of column sums)",
        [
            (
                ELEMENTWISE,
                "        for (j = 0; j < cols; j++) out[j] += dr[j];",
                "        for (j = 0; j < cols; j++) out[r % cols] += dr[j];",
            )
        ],
        ["tests/test_gradients.py", "tests/test_parity.py"],
    ),
    Mutant(
        "class_weight_balanced",
        "class_weight='balanced' computed with another formula (square root of the balanced weights)",
        [
            (
                MLP,
                "        return compute_sample_weight(self.class_weight, labels)",
                "        w = compute_sample_weight(self.class_weight, labels)\n"
                "        return np.sqrt(w) if self.class_weight == 'balanced' else w",
            )
        ],
        ["tests/test_class_weight.py"],
    ),
    Mutant(
        "early_stopping_no_restore",
        "early stopping does not restore the best weights at the end",
        [
            (
                STOCHASTIC,
                "    if validation is not None and validation.stops:\n        params[...] = validation.best_params",
                "    if validation is not None and validation.stops:\n        pass",
            )
        ],
        ["tests/test_parity.py"],
    ),
    Mutant(
        "float32_in_float64",
        "float32 training computed in float64 (the result cast back to float32)",
        [
            (
                MLP,
                "        training_set = TrainingSet.build(X, y, weights, self._params.dtype)\n",
                "        self._bind_params(self._params.astype(np.float64), layout)\n"
                "        training_set = TrainingSet.build(X, y, weights, np.float64)\n",
            ),
            (
                MLP,
                "        self._check_finite_fit(X)\n",
                "        self._bind_params(self._params.astype(X.dtype), layout)\n"
                "        self._check_finite_fit(X)\n",
            ),
        ],
        ["tests/test_parity.py"],
    ),
    Mutant(
        "split_not_stratified",
        "the early-stopping validation split not stratified",
        [
            (
                MLP,
                "            stratify = training_set.y if single_label else None",
                "            stratify = None",
            )
        ],
        ["tests/test_parity.py"],
    ),
    Mutant(
        "score_threshold_low",
        "early stopping's accuracy decides logistic outputs at 0.4, predict at 0.5",
        [
            (
                ELEMENTWISE,
                "rule == FM_SCORE_ABOVE_HALF ? (FM_T)0.5 : (FM_T)0",
                "rule == FM_SCORE_ABOVE_HALF ? (FM_T)0.4 : (FM_T)0",
            )
        ],
        ["tests/test_early_stopping.py"],
    ),
    Mutant(
        "r2_total_unweighted",
        "early stopping's R² divides by the total sum of squares without the weights",
        [
            (
                EARLY_STOPPING,
                "        if not weighted:\n            w = np.ones",
                "        if True:\n            w = np.ones",
            )
        ],
        ["tests/test_early_stopping.py"],
    ),
    Mutant(
        "huber_delta_ignored",
        "the Huber loss ignores huber_delta (always 1)",
        [(ELEMENTWISE, "hd = (FM_T)param;", "hd = (FM_T)1.0;")],
        [
            "tests/test_losses.py",
            "tests/test_gradients.py",
            "tests/test_reference_training.py",
        ],
    ),
    Mutant(
        "schedule_applied_to_adam",
        "the invscaling learning-rate schedule applied to every solver, not sgd only",
        [
            (
                STOCHASTIC,
                'self.schedule = schedule if self.solver.name == "sgd" else "constant"',
                "self.schedule = schedule",
            )
        ],
        ["tests/test_parity.py"],
    ),
    Mutant(
        "shuffle_skipped",
        "shuffle=True draws the permutation but does not apply it",
        [
            (
                STOCHASTIC,
                "                sample_idx = sample_idx[perm]",
                "                sample_idx = sample_idx",
            )
        ],
        ["tests/test_parity.py"],
    ),
    Mutant(
        "no_convergence_warning",
        "no ConvergenceWarning when the stochastic solver stops at max_iter",
        [
            (
                STOCHASTIC,
                "            if progress.n_iter == settings.max_iter:\n",
                "            if False:\n",
            )
        ],
        ["tests/test_estimator.py", "tests/test_convergence.py"],
    ),
    Mutant(
        "predict_chunk_edge",
        "prediction leaves the last row of every chunk unwritten",
        [
            (
                ENGINE,
                "        chunk.n = min(job.chunk, job.data.n - chunk.start)",
                "        chunk.n = min(job.chunk - 1 if job.chunk > 1 else 1, job.data.n - chunk.start)",
            )
        ],
        ["tests/test_thread_team.py", "tests/test_prediction.py"],
    ),
    Mutant(
        "sparse_densified",
        "sparse X turned into a dense array before training or prediction",
        [
            (
                ENGINE,
                "        self.sparse = not isinstance(X, np.ndarray) and sp.issparse(X)\n",
                "        X = X.toarray() if sp.issparse(X) else X\n"
                "        self.sparse = not isinstance(X, np.ndarray) and sp.issparse(X)\n",
            )
        ],
        ["tests/test_memory.py"],
    ),
    Mutant(
        "full_batch_unchunked",
        "L-BFGS and validation work on all rows at once (no row chunks)",
        [
            (
                OBJECTIVE,
                "    return int(max(1, min(n, max(64, _CHUNK_VALUES // layout.width))))",
                "    return int(max(1, n))",
            )
        ],
        ["tests/test_memory.py"],
    ),
    Mutant(
        "interrupt_no_rollback",
        "an interrupted epoch is not rolled back to the last completed epoch",
        [
            (
                STOCHASTIC,
                "        for saved, live in zip(self._saved, self._live):\n"
                "            np.copyto(live, saved)",
                "        for saved, live in zip(self._saved, self._live):\n"
                "            pass",
            )
        ],
        ["tests/test_interrupt.py"],
    ),
    Mutant(
        "nesterov_ignored",
        "Nesterov's momentum treated as classical momentum",
        [(MLP, "nesterov=bool(self.nesterovs_momentum)", "nesterov=False")],
        ["tests/test_parity.py"],
    ),
    Mutant(
        "gemm_tail_mask",
        "own kernels: the last, partial vector of a tile row loses its last column",
        [
            (
                GEMM_SIMD,
                "        FM_M last = FM_MASK((int)(w - (nv - 1) * FM_VL));",
                "        FM_M last = FM_MASK((int)(w - (nv - 1) * FM_VL) > 1\n"
                "                            ? (int)(w - (nv - 1) * FM_VL) - 1 : 1);",
            )
        ],
        ["tests/test_gemm.py"],
    ),
    Mutant(
        "gemm_colsum_first_row",
        "own kernels: the intercept gradient's column sums skip the batch's first row",
        [
            (
                GEMM_SIMD,
                "            for (v = 0; v < nv; v++) acc[0][v] = FM_ADD(acc[0][v], bv[v]);",
                "            for (v = 0; v < nv; v++)\n"
                "                if (p > 0) acc[0][v] = FM_ADD(acc[0][v], bv[v]);",
            )
        ],
        ["tests/test_gemm.py"],
    ),
    Mutant(
        "gemm_dot_tail",
        "own kernels, dot-product form: the masked tail of the inner dimension dropped",
        [
            (
                GEMM_SIMD,
                "    if (p < k) {\n        FM_M tail",
                "    if (0) {\n        FM_M tail",
            )
        ],
        ["tests/test_gemm.py"],
    ),
    Mutant(
        "gemm_t_two_row_strip",
        "own kernels, weight gradient of 512+ rows: the 2-row remainder strip computes its first row only",
        [
            (
                GEMM_SIMD,
                "                FM_KNAME(fm_rv_kc_tile)(2, g, i0, j0, k0, kc, b, ldb);",
                "                FM_KNAME(fm_rv_kc_tile)(1, g, i0, j0, k0, kc, b, ldb);",
            )
        ],
        ["tests/test_gemm.py"],
    ),
    Mutant(
        "dropout_stream_row_per_batch",
        "the dropout stream advances one row instead of one batch per batch (masks overlap across batches)",
        [
            (
                ENGINE,
                "\n        batch.rng = fm_rng_skip(batch.rng, batch.n * drop_width)",
                "\n        batch.rng = fm_rng_skip(batch.rng, drop_width)",
            )
        ],
        ["tests/test_dropout.py", "tests/test_reference_training.py"],
    ),
    Mutant(
        "batch_auto_256",
        "batch_size='auto' read as min(256, n_samples) instead of min(200, n_samples)",
        [
            (
                MLP,
                "            return min(200, n_samples)",
                "            return min(256, n_samples)",
            )
        ],
        ["tests/test_parity.py"],
    ),
    Mutant(
        "early_stopping_tie",
        "early stopping counts a validation score equal to the best (tol=0) as no improvement",
        [
            (
                STOCHASTIC,
                "        worse = score < best_score + settings.tol",
                "        worse = score <= best_score + settings.tol",
            )
        ],
        ["tests/test_parity.py"],
    ),
    Mutant(
        "gemm_portable_bt_in_place",
        "own kernels, portable variant: B stored transposed read in place as if stored as is",
        [
            (
                GEMM_ENTRY,
                "        if (trans_b) FM_NAME(fm_gemm_portable)(g, b, 1, ldb);",
                "        if (trans_b) FM_NAME(fm_gemm_portable)(g, b, ldb, 1);",
            )
        ],
        ["tests/test_gemm.py"],
    ),
    Mutant(
        "search_preprocessing_shared_across_values",
        "a search shares the fitted preprocessing of candidates whose preprocessing "
        "parameters differ in value (only their names compared)",
        [(ONE_PASS, "key.append((name, type(value).__name__, value))", "key.append(name)")],
        ["tests/test_model_selection.py"],
    ),
    Mutant(
        "search_folds_shared",
        "a search trains and scores every task on the first fold's rows",
        [
            (
                ONE_PASS,
                "            train, test = folds[f]\n",
                "            train, test = folds[min(folds)]\n",
            )
        ],
        ["tests/test_model_selection.py"],
    ),
]


def _tracked_files():
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [line for line in out.splitlines() if line]


def _copy_tree(files, src, dst):
    for rel in files:
        target = os.path.join(dst, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(src, rel), target)


def _build(where, log):
    """Compile the extensions in place; raises with the log on failure."""
    result = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "--inplace", "--force"],
        cwd=where,
        capture_output=True,
        text=True,
    )
    with open(log, "w") as fh:
        fh.write(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"build failed in {where}; see {log}")


def _apply(mutant, where):
    compiled = False
    for path, old, new in mutant.edits:
        full = os.path.join(where, path)
        with open(full) as fh:
            text = fh.read()
        count = text.count(old)
        if count != 1:
            raise RuntimeError(
                f"mutant {mutant.name}: the text to replace occurs {count} times in {path} "
                "(expected once); the source moved on, update the mutant"
            )
        with open(full, "w") as fh:
            fh.write(text.replace(old, new))
        compiled |= path.endswith(COMPILED_SUFFIXES)
    return compiled


_FAILED = re.compile(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$")


def _pytest(where, targets, timeout, first_failure=True):
    """Run pytest on `targets` in the copy at `where`; returns (failed test ids,
    summary line, seconds, timed_out)."""
    env = dict(os.environ, PYTHONPATH=where, PYTHONDONTWRITEBYTECODE="1")
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-rfE",
        "--no-header",
        *(["-x"] if first_failure else []),
        *targets,
    ]
    start = time.perf_counter()
    try:
        result = subprocess.run(
            cmd, cwd=where, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return [], "timed out", time.perf_counter() - start, True
    seconds = time.perf_counter() - start
    failed = [m.group(1) for m in map(_FAILED.match, result.stdout.splitlines()) if m]
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    summary = lines[-1] if lines else result.stderr.strip()[-200:]
    if result.returncode not in (0, 1) and not failed:
        failed = [f"pytest exit status {result.returncode}: {summary}"]
    return failed, summary, seconds, False


def _existing(where, files):
    return [f for f in files if os.path.exists(os.path.join(where, f))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument(
        "--check",
        action="store_true",
        help="only check that every mutant still applies to the source",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch copies")
    parser.add_argument(
        "--first-only",
        action="store_true",
        help="run only each mutant's first test files, not the whole suite",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds allowed for one pytest run"
    )
    args = parser.parse_args(argv)

    known = {m.name: m for m in MUTANTS}
    if args.list:
        for m in MUTANTS:
            print(f"{m.name:28s} {m.description}")
        return 0
    if args.check:
        for m in MUTANTS:
            for path, old, _ in m.edits:
                with open(os.path.join(ROOT, path)) as fh:
                    count = fh.read().count(old)
                if count != 1:
                    print(f"{m.name}: the text to replace occurs {count} times in {path}")
                    return 1
        print(f"all {len(MUTANTS)} mutants apply")
        return 0
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown mutant(s): {', '.join(unknown)}; see --list")
    selected = [known[n] for n in args.names] if args.names else MUTANTS

    files = _tracked_files()
    scratch = tempfile.mkdtemp(prefix="fastmlp-mutants-")
    pristine = os.path.join(scratch, "pristine")
    print(f"scratch directory: {scratch}")
    _copy_tree(files, ROOT, pristine)
    t0 = time.perf_counter()
    _build(pristine, os.path.join(scratch, "build-pristine.log"))
    print(f"built the unmutated copy in {time.perf_counter() - t0:.0f} s")
    # Also copy the compiled modules and generated C, so that mutants touching only
    # Python need no build.
    built = files + [
        os.path.relpath(os.path.join(d, f), pristine)
        for d, _, fs in os.walk(os.path.join(pristine, "fastmlp"))
        for f in fs
        if f.endswith((".so", ".c"))
    ]

    first_files = sorted({f for m in selected for f in _existing(pristine, m.tests)})
    failed, summary, seconds, timed_out = _pytest(
        pristine, first_files, args.timeout, first_failure=False
    )
    print(f"unmutated copy on {len(first_files)} test files: {summary} ({seconds:.0f} s)")
    if failed or timed_out:
        print("the unmutated copy fails these tests, so they cannot judge mutants:")
        for name in failed:
            print(f"  {name}")
        return 2

    rows = []
    for mutant in selected:
        where = os.path.join(scratch, mutant.name)
        _copy_tree(built, pristine, where)
        if _apply(mutant, where):
            _build(where, os.path.join(scratch, f"build-{mutant.name}.log"))
        first = _existing(where, mutant.tests) or ["tests"]
        failed, summary, seconds, timed_out = _pytest(
            where, first, args.timeout, first_failure=False
        )
        stage = "first files" if first != ["tests"] else "whole suite"
        if not failed and not timed_out and not args.first_only and first != ["tests"]:
            failed, summary, seconds2, timed_out = _pytest(where, ["tests"], args.timeout)
            seconds += seconds2
            stage = "whole suite"
        caught = bool(failed)
        rows.append((mutant, caught, failed, stage, seconds, timed_out))
        verdict = "CAUGHT" if caught else ("TIMED OUT" if timed_out else "SURVIVED")
        print(
            f"{mutant.name:28s} {verdict:9s} {seconds:6.0f} s  {len(failed):4d} failed  "
            f"{failed[0] if failed else summary}",
            flush=True,
        )
        if not args.keep:
            shutil.rmtree(where, ignore_errors=True)

    print()
    print("| mutant | what it breaks | tests failed | caught by (first two) | stage |")
    print("|---|---|---|---|---|")
    for mutant, caught, failed, stage, seconds, timed_out in rows:
        by = (
            "<br>".join(f"`{name}`" for name in failed[:2])
            if caught
            else ("timed out" if timed_out else "**not caught**")
        )
        print(
            f"| `{mutant.name}` | {mutant.description} | {len(failed)} | {by} | {stage} |"
        )
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    survivors = [m.name for m, caught, *_ in rows if not caught]
    print(
        f"\n{len(rows) - len(survivors)} of {len(rows)} mutants caught"
        + (f"; survived: {', '.join(survivors)}" if survivors else "")
    )
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())

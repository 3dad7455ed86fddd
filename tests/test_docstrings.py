"""The docstrings of fastmlp's public API: numpydoc validation, completeness of the
estimators' Parameters and Attributes sections, the accepted values and defaults
they state, and the examples they give (run as doctests).

What numpydoc checks, and why some checks are left out
------------------------------------------------------
Every check of ``numpydoc.validate.ERROR_MSGS`` applies, except those of
`EXCLUDED_CHECKS` (scikit-learn's ``sklearn/tests/test_docstrings.py`` makes the
same exclusions):

* RT02: the first line of a Returns entry may name the value (``self : object``),
  as scikit-learn's docstrings do;
* GL01, GL02: where the summary and the closing quotes sit is a matter of style;

and, for methods only, `NOT_REQUIRED_FOR_METHODS` (ES01 extended summary, SA01 See
Also, EX01 Examples): classes and functions must have all three, methods may.

What is validated
-----------------
The objects exported by ``fastmlp.__all__`` (but ``__version__``) and the public
methods of the classes among them (not of the warning, whose methods are those of
Python's exceptions). A public
method inherited from scikit-learn (`INHERITED_FROM_SKLEARN`: ``get_params``,
``set_params``, ``score``, the metadata-routing ``set_*_request`` and
``get_metadata_routing``, ``set_callbacks``) is not validated: its docstring is
scikit-learn's own, changes with the installed scikit-learn and is not fastmlp's to
fix. The test lists them explicitly, so that a method fastmlp defines is always
validated and a new inherited one has to be looked at.

`KNOWN_FAILURES` names checks an object is known to fail today, ignored for that
object only; an entry that no longer fails makes the test fail, so the list shrinks.
"""

import ast
import doctest
import importlib
import inspect
import pkgutil
import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import StrOptions

import fastmlp
from fastmlp import MLPClassifier, MLPRegressor

numpydoc_validate = pytest.importorskip("numpydoc.validate")
from numpydoc.docscrape import NumpyDocString  # noqa: E402  (after the skip)

EXCLUDED_CHECKS = {"RT02", "GL01", "GL02"}
NOT_REQUIRED_FOR_METHODS = {"ES01", "SA01", "EX01"}
CHECKS = sorted(set(numpydoc_validate.ERROR_MSGS) - EXCLUDED_CHECKS)

INHERITED_FROM_SKLEARN = {
    "get_params", "set_params", "score", "get_metadata_routing", "set_fit_request",
    "set_partial_fit_request", "set_score_request", "set_callbacks",
}  # fmt: skip

# fastmlp/_onnx.py is being rewritten; its docstring misses a description of the
# (None) return value and a See Also section.  Delete the entry once it passes.
KNOWN_FAILURES = {}

ESTIMATORS = [MLPClassifier, MLPRegressor]


def _public_classes():
    return [obj for name in fastmlp.__all__
            if inspect.isclass(obj := getattr(fastmlp, name))]  # fmt: skip


def _public_methods(klass):
    """(defined by fastmlp, inherited from scikit-learn): public method names."""
    own, inherited = [], []
    for name in sorted(dir(klass)):
        if name.startswith("_"):
            continue
        attr = getattr(klass, name)
        if not callable(attr) or inspect.isclass(attr):
            continue
        module = getattr(attr, "__module__", "") or ""
        (own if module.startswith("fastmlp") else inherited).append(name)
    return own, inherited


def _validated_objects():
    paths = [f"fastmlp.{name}" for name in fastmlp.__all__ if name != "__version__"]
    for klass in _public_classes():
        if issubclass(klass, Warning):
            continue  # Exception's methods (with_traceback, ...) are not fastmlp's
        own, _ = _public_methods(klass)
        paths += [f"fastmlp.{klass.__name__}.{name}" for name in own]
    return sorted(paths)


VALIDATED = _validated_objects()


def test_validated_objects_cover_the_public_api():
    """The list holds what the issue names: estimators and their own methods, the
    gradient check, the display, the warning and the ONNX registration."""
    expected = {
        "fastmlp.MLPClassifier", "fastmlp.MLPRegressor", "fastmlp.check_gradients",
        "fastmlp.GradientCheckResult", "fastmlp.LossCurveDisplay",
        "fastmlp.LossCurveDisplay.plot", "fastmlp.LossCurveDisplay.from_estimator",
        "fastmlp.InconsistentVersionWarning", "fastmlp.register_onnx_converters",
    }  # fmt: skip
    for method in ("fit", "partial_fit", "predict", "predict_proba", "predict_log_proba",
                   "decision_function", "to_sklearn"):  # fmt: skip
        expected.add(f"fastmlp.MLPClassifier.{method}")
    for method in ("fit", "partial_fit", "predict", "to_sklearn"):
        expected.add(f"fastmlp.MLPRegressor.{method}")
    assert expected <= set(VALIDATED), sorted(expected - set(VALIDATED))


@pytest.mark.parametrize("klass", ESTIMATORS + [fastmlp.LossCurveDisplay])
def test_inherited_methods_are_sklearn_mixins(klass):
    """A public method not defined by fastmlp must be one of scikit-learn's known
    mixin methods (excluded from validation, see the module docstring)."""
    _, inherited = _public_methods(klass)
    assert set(inherited) <= INHERITED_FROM_SKLEARN, (
        f"{klass.__name__} inherits {sorted(set(inherited) - INHERITED_FROM_SKLEARN)}: "
        "validate it, or add it to INHERITED_FROM_SKLEARN with a reason"
    )
    for name in inherited:
        assert inspect.getdoc(getattr(klass, name)), f"{klass.__name__}.{name}"


def _errors(path):
    result = numpydoc_validate.validate(path)
    is_method = path.count(".") >= 2 and path.split(".")[-2][:1].isupper()
    errors = {}
    for code, message in result["errors"]:
        if code in EXCLUDED_CHECKS:
            continue
        if is_method and code in NOT_REQUIRED_FOR_METHODS:
            continue
        errors.setdefault(code, []).append(message)
    return errors, result


@pytest.mark.parametrize("path", VALIDATED)
def test_numpydoc_validation(path):
    errors, result = _errors(path)
    known = KNOWN_FAILURES.get(path, set())
    fixed = known - set(errors)
    assert not fixed, f"{path} now passes {sorted(fixed)}: remove them from KNOWN_FAILURES"
    unexpected = {code: msgs for code, msgs in errors.items() if code not in known}
    if unexpected:
        lines = [
            f"{code}: {msg}" for code, msgs in sorted(unexpected.items()) for msg in msgs
        ]
        pytest.fail(f"{path} ({result['file']}):\n" + "\n".join(lines))


# ----------------------------------------------------------------------------
# Parameters and fitted attributes of the estimators
# ----------------------------------------------------------------------------
def _section(klass, name):
    """{entry name: (type, description text)} of a section of the class docstring;
    a combined entry ``a, b : type`` gives both names."""
    doc = NumpyDocString(inspect.getdoc(klass))
    entries = {}
    for param in doc[name]:
        for entry in param.name.split(","):
            entries[entry.strip()] = (param.type, "\n".join(param.desc))
    return entries


@pytest.mark.parametrize("klass", ESTIMATORS)
def test_every_parameter_is_documented(klass):
    params = _section(klass, "Parameters")
    init_params = [p for p in inspect.signature(klass.__init__).parameters if p != "self"]
    assert sorted(klass().get_params(deep=False)) == sorted(init_params)
    assert list(params) == init_params  # all of them, in the signature's order


@pytest.mark.parametrize("klass", ESTIMATORS)
def test_documented_defaults(klass):
    """The ``default=`` of every entry is the constructor's default."""
    params = _section(klass, "Parameters")
    for name, default in klass().get_params(deep=False).items():
        type_, _ = params[name]
        match = re.search(r"default=(.+)$", type_)
        assert match, f"{name}: no default in {type_!r}"
        assert ast.literal_eval(match.group(1)) == default, (name, type_)


def _braced_options(type_):
    match = re.search(r"\{([^}]*)\}", type_)
    if match is None:
        return None
    return {ast.literal_eval(item.strip()) for item in match.group(1).split(",")}


@pytest.mark.parametrize("klass", ESTIMATORS)
def test_documented_options_are_the_accepted_ones(klass):
    """Every string option _parameter_constraints accepts is listed in the type
    of its parameter, and a ``{...}`` set lists exactly the accepted strings."""
    params = _section(klass, "Parameters")
    for name, constraints in klass._parameter_constraints.items():
        accepted = set()
        for constraint in constraints:
            if isinstance(constraint, StrOptions):
                accepted |= set(constraint.options)
        if not accepted:
            continue
        type_, _ = params[name]
        for option in accepted:
            assert repr(option) in type_, f"{klass.__name__}.{name}: {option!r} missing"
        listed = _braced_options(type_)
        if listed is not None:
            assert listed == accepted, (name, listed ^ accepted)


def test_hidden_activations_and_solvers_are_all_described():
    """Each accepted activation and solver has its own bullet in the description."""
    from fastmlp._kernels import _codes
    from fastmlp._multilayer_perceptron import _HIDDEN_ACTIVATIONS, _WEIGHT_INITS

    for klass in ESTIMATORS:
        params = _section(klass, "Parameters")
        for name, options in (("activation", _HIDDEN_ACTIVATIONS),
                              ("solver", {"lbfgs", *_codes.SOLVER_CODES}),
                              ("weight_init", _WEIGHT_INITS)):  # fmt: skip
            _, desc = params[name]
            for option in options:
                assert f"- {option!r}" in desc, (klass.__name__, name, option)


def _sklearn_counterpart(klass):
    from sklearn import neural_network

    return getattr(neural_network, klass.__name__)


@pytest.mark.parametrize("klass", ESTIMATORS)
def test_beyond_sklearn_is_marked(klass):
    """Parameters and fitted attributes scikit-learn's estimator lacks, and
    options beyond scikit-learn's, say so; the class links to the user guide."""
    sk = _sklearn_counterpart(klass)
    sk_params = set(sk().get_params(deep=False))
    for name, (type_, desc) in _section(klass, "Parameters").items():
        if name not in sk_params:
            assert "Not in scikit-learn." in desc, name
            continue
        sk_options = set()
        for constraint in sk._parameter_constraints.get(name, []):
            if isinstance(constraint, StrOptions):
                sk_options |= set(constraint.options)
        extra = (_braced_options(type_) or set()) - sk_options
        if extra:
            note = next(
                p
                for p in desc.split("\n\n")
                if "not in scikit-learn" in " ".join(p.split())
            )
            for option in extra:
                assert repr(option) in note, (name, option)
    sk_attributes = set(_section(sk, "Attributes"))
    for name, (_, desc) in _section(klass, "Attributes").items():
        if name not in sk_attributes:
            assert "Not in scikit-learn." in desc, name
    assert "Read more in the :ref:`User Guide <estimators>`." in klass.__doc__


def _fitted_attributes(est):
    return {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}


def _fits(pd):
    """(estimator class, fitted estimator) over solvers, early stopping, targets."""
    Xc, yc = make_classification(n_samples=60, n_features=4, n_informative=3,
                                 n_redundant=0, n_classes=3, random_state=0)  # fmt: skip
    Xm, Ym = make_multilabel_classification(n_samples=60, n_features=4, random_state=0)
    Xr, yr = make_regression(n_samples=60, n_features=4, n_targets=2, random_state=0)
    data = {MLPClassifier: [(Xc, yc), (Xm, Ym), (Xc, yc == 1)], MLPRegressor: [(Xr, yr)]}
    for klass, datasets in data.items():
        for solver in ("sgd", "adam", "lbfgs", "adamw"):
            for early_stopping in (False, True):
                for X, y in datasets:
                    est = klass(hidden_layer_sizes=(3,), solver=solver, max_iter=3,
                                early_stopping=early_stopping, random_state=0)  # fmt: skip
                    yield klass, est.fit(X, y)
        # partial_fit, and feature names (a DataFrame)
        X, y = datasets[0]
        est = klass(hidden_layer_sizes=(3,), random_state=0)
        kwargs = {"classes": np.unique(y)} if klass is MLPClassifier else {}
        yield klass, est.partial_fit(X, y, **kwargs)
        frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
        yield (
            klass,
            klass(hidden_layer_sizes=(3,), max_iter=3, random_state=0).fit(frame, y),
        )


def test_every_fitted_attribute_is_documented():
    """Each attribute ending in '_' after fit or partial_fit, in each configuration,
    is in the Attributes section, and each documented one occurs in one of them."""
    pd = pytest.importorskip("pandas")  # feature_names_in_ needs a DataFrame
    seen = {klass: set() for klass in ESTIMATORS}
    for klass, est in _fits(pd):
        attributes = _fitted_attributes(est)
        documented = set(_section(klass, "Attributes"))
        missing = attributes - documented
        assert not missing, f"{klass.__name__}({est.solver}): {sorted(missing)}"
        seen[klass] |= attributes
    for klass in ESTIMATORS:
        documented = set(_section(klass, "Attributes"))
        assert documented == seen[klass], sorted(documented ^ seen[klass])


# ----------------------------------------------------------------------------
# Examples
# ----------------------------------------------------------------------------
def _modules_with_examples():
    """The fastmlp modules (Python source, not the compiled kernels) whose
    docstrings hold examples."""
    names = ["fastmlp"]
    names += [info.name for info in pkgutil.walk_packages(fastmlp.__path__, "fastmlp.")]
    modules = []
    for name in names:
        module = importlib.import_module(name)
        if not (getattr(module, "__file__", "") or "").endswith(".py"):
            continue
        if any(test.examples for test in doctest.DocTestFinder().find(module)):
            modules.append(name)
    return sorted(modules)


@pytest.mark.parametrize("module_name", _modules_with_examples())
def test_doctests(module_name):
    """The examples of the docstrings run as doctests (as ``pytest
    --doctest-modules fastmlp`` runs them, without option flags)."""
    module = importlib.import_module(module_name)
    tests = [t for t in doctest.DocTestFinder().find(module) if t.examples]
    if module_name == "fastmlp._display":
        matplotlib = pytest.importorskip("matplotlib")
        matplotlib.use("Agg", force=True)
    runner = doctest.DocTestRunner(optionflags=0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)  # examples converge
            for test in tests:
                runner.run(test)
    finally:
        if module_name == "fastmlp._display":
            import matplotlib.pyplot as plt

            plt.close("all")
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"

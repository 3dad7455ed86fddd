"""Sphinx configuration of fastmlp's documentation.

Build with ``make -C doc html`` (see doc/Makefile). ``FASTMLP_DOC_QUICK=1`` runs the
gallery's examples in their ``--quick`` form. autodoc documents the ``fastmlp`` that
Python imports: the installed package (``pip install ".[doc]"``), or an in-place build
put first on ``PYTHONPATH``.
"""

import importlib
import inspect
import re
import sys
from pathlib import Path

from docutils import nodes

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))


import fastmlp  # noqa: E402

# -- Project -------------------------------------------------------------------------

project = "fastmlp"
author = "the fastmlp developers"
copyright = "the fastmlp developers, BSD-3-Clause license"
release = fastmlp.__version__
version = ".".join(release.split(".")[:2])

# -- General -------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "matplotlib.sphinxext.plot_directive",
    # MathJax's files, copied into the site: formulas render with no network.
    "sphinx-mathjax-offline",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"
# The contents beside an API page list its methods by their own names
# (``fit()``, not ``MLPClassifier.fit()``), which fit the column.
toc_object_entries_show_parents = "hide"
# Every cross-reference must resolve (``make html`` and the doc-build test alike).
nitpicky = True

# -- Links into scikit-learn's and SciPy's documentation ------------------------------
# The inventories are read from _intersphinx/, never fetched, so the build needs no
# network. They are the objects.inv of Debian's documentation packages
# (python-sklearn-doc 1.2.1, python-scipy-doc 1.10.1); the links point at the current
# sites, where the pages of these objects keep their addresses. A public
# scikit-learn class or function newer than that inventory (``sklearn.callback``,
# ``InconsistentVersionWarning``, ...) is linked by the address scikit-learn gives
# every API page, once the installed scikit-learn confirms it exists
# (_sklearn_api_page below). NumPy has no inventory that can be had offline: the pages
# link to NumPy's documentation explicitly.
INVENTORIES = HERE / "_intersphinx"
SKLEARN_DOCS = "https://scikit-learn.org/stable/"
intersphinx_mapping = {
    "sklearn": (SKLEARN_DOCS, str(INVENTORIES / "sklearn-objects.inv")),
    "scipy": ("https://docs.scipy.org/doc/scipy/", str(INVENTORIES / "scipy-objects.inv")),
}
# Only Python objects resolve implicitly; a label of scikit-learn's user guide is
# named explicitly (:external+sklearn:ref:`mlp_tips`), so a mistyped label of this
# site cannot land in scikit-learn's.
intersphinx_disabled_reftypes = ["std:*"]

# -- autodoc / autosummary / numpydoc -------------------------------------------------

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
# numpydoc writes the parameter tables; autosummary lists the methods.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- Math: MathJax from the local copy, SVG output ------------------------------------
# sphinx-mathjax-offline copies MathJax 3 into _static/mathjax. The SVG renderer needs
# no web fonts, so formulas also show from file:// pages. Set in setup() below, after
# the extension has set its own (CHTML) path.
MATHJAX_PATH = "mathjax/tex-svg.js"

# -- Plots drawn by the pages ---------------------------------------------------------
# The network of the user guide and the benchmark charts are drawn by modules in
# sphinxext/ (network_figure, benchmark_charts); the charts read _data/benchmark.csv.

plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 120)]
plot_rcparams = {"figure.autolayout": True}
plot_working_directory = str(HERE)

# -- Gallery --------------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Run every script.
    "filename_pattern": r".*\.py$",
    "within_subsection_order": "gallery_helpers.example_order",
    # --quick when FASTMLP_DOC_QUICK=1 (the doc-build test, make html-quick).
    "reset_argv": "gallery_helpers.reset_argv",
    "doc_module": ("fastmlp",),
    "backreferences_dir": "generated/backreferences",
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "capture_repr": (),
    "abort_on_example_error": False,
    "show_memory": False,
    "min_reported_time": 1,
    "remove_config_comments": True,
    "download_all_examples": False,
}

# -- HTML -----------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"fastmlp {release}"
html_static_path = ["_static"]
html_css_files = ["fastmlp.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {
    "changelog": [],
    "getting_started": [],
    "development": [],
    "benchmarks": [],
}

# -- copybutton: copy the code, not the prompts or the output -------------------------

copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = False


def _mathjax_offline(app, config):
    config.mathjax_path = MATHJAX_PATH


# Methods the estimators inherit from scikit-learn (score, set_params, the metadata
# request setters, ...) bring scikit-learn's docstrings, whose cross-references point
# into scikit-learn's own site (its user guide labels, its glossary). Those are shown
# as plain text; every other reference must resolve.
_ROLE = re.compile(r":(?:ref|term|class|func|meth|attr|mod|obj|doc):`([^`]*)`")


def _role_text(match):
    text = match.group(1)
    shown = re.match(r"(.*?)\s*<[^>]*>$", text, re.S)
    if shown:
        return shown.group(1)
    return f"``{text.lstrip('~!')}``"


def _plain_sklearn_references(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if module == "sklearn" or module.startswith("sklearn."):
        lines[:] = [_ROLE.sub(_role_text, line) for line in lines]


_PY_ROLES = {"class", "func", "obj", "exc", "meth", "attr"}


def _sklearn_api_page(app, env, node, contnode):
    """Link a public scikit-learn object missing from the inventory (newer than it)
    to its API page, ``modules/generated/<name>.html``, if the installed
    scikit-learn has it."""
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or node.get("reftype") not in _PY_ROLES:
        return None
    if not target.startswith("sklearn.") or any(
        part.startswith("_") for part in target.split(".")
    ):
        return None
    module_name, _, name = target.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        return None
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        return None
    uri = f"{SKLEARN_DOCS}modules/generated/{target}.html#{target}"
    reference = nodes.reference(
        "", "", internal=False, refuri=uri, reftitle=f"(in scikit-learn) {target}"
    )
    reference.append(contnode)
    return reference


def setup(app):
    app.connect("config-inited", _mathjax_offline, priority=900)
    app.connect("autodoc-process-docstring", _plain_sklearn_references, priority=400)
    # After intersphinx (priority 500): only what its inventories lack.
    app.connect("missing-reference", _sklearn_api_page, priority=900)

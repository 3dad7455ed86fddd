"""The Python code shown in the documentation's pages runs as written.

Every ``.. code-block:: python`` of the pages under doc/ (the getting-started page,
the user guide, ...) and every ``.. plot::`` that shows its source
(``:include-source:``) is taken from the page in order, and the blocks of a page
are run one after the other as one script, in an empty folder, in a fresh Python
process (so a page may build on its earlier blocks, as a reader who runs them in
turn does, and a block that uses a name no block of its page defines fails). The
pages' snippets train on scikit-learn's bundled data sets (digits, diabetes) and
run in seconds each, as written. The gallery's scripts are tested in
tests/test_examples.py.
"""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _optional import import_or_skip

DOC = Path(__file__).resolve().parent.parent / "doc"
PAGES = sorted(
    p.relative_to(DOC).as_posix()
    for p in DOC.rglob("*.rst")
    if p.relative_to(DOC).parts[0]
    not in {"_build", "generated", "auto_examples", "_templates"}
)
# Page -> modules its snippets import beyond fastmlp's own dependencies.
NEEDS = {
    "user_guide/callbacks_plots.rst": ["sklearn.callback", "rich", "matplotlib"],
    "user_guide/export.rst": ["skl2onnx", "onnxruntime", "skops.io"],
    "user_guide/scaling_out.rst": ["dask", "distributed", "dask_ml"],
}

_DIRECTIVE = re.compile(
    r"^(?P<indent>\s*)\.\. (?P<name>code-block|code|sourcecode|plot)::"
    r"\s*(?P<argument>\S*)\s*$"
)
_OPTION = re.compile(r"^\s*:[\w-]+:")


def python_blocks(text):
    """The Python source of each code block of an rst page, in order: the
    ``code-block:: python`` directives, and the ``plot::`` directives that show
    their source."""
    lines = text.splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i])
        i += 1
        if not match:
            continue
        indent = len(match["indent"])
        options = []
        while i < len(lines) and lines[i].strip() and _OPTION.match(lines[i]):
            options.append(lines[i].strip())
            i += 1
            # An option's value may continue on more deeply indented lines.
            while (
                i < len(lines)
                and lines[i].strip()
                and not _OPTION.match(lines[i])
                and len(lines[i]) - len(lines[i].lstrip()) > indent + 3
            ):
                i += 1
        body = []
        while i < len(lines) and (
            not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent
        ):
            body.append(lines[i])
            i += 1
        if match["name"] == "plot":
            shown = ":include-source:" in options or any(
                o.startswith(":include-source: true") for o in options
            )
            if not shown or match["argument"]:
                continue
        elif match["argument"] != "python":
            continue
        blocks.append(textwrap.dedent("\n".join(body)).strip() + "\n")
    return blocks


def test_blocks_are_found():
    """The extraction finds the pages' snippets (a changed directive spelling
    would otherwise leave the test with nothing to run)."""
    counts = {page: len(python_blocks((DOC / page).read_text())) for page in PAGES}
    for page in [
        "getting_started.rst",
        "user_guide/estimators.rst",
        "user_guide/beyond_sklearn.rst",
        "user_guide/performance.rst",
        "user_guide/callbacks_plots.rst",
        "user_guide/export.rst",
        "user_guide/scaling_out.rst",
    ]:
        assert counts[page] >= 1, page
    # The plot of the loss curves shows its source; the benchmark chart does not.
    callbacks = python_blocks((DOC / "user_guide/callbacks_plots.rst").read_text())
    assert any("LossCurveDisplay.from_estimator" in block for block in callbacks)
    assert not any(
        "benchmark.csv" in block
        for page in PAGES
        for block in python_blocks((DOC / page).read_text())
    )


def test_extraction():
    text = textwrap.dedent("""\
        Text.

        .. code-block:: python

           a = 1

           b = a + 1

        * An item:

          .. code-block:: python
             :caption: two lines

             c = b
        .. code-block:: bash

           echo no
        .. plot::
           :include-source:

           d = c
        .. plot::

           hidden = 1
        """)
    assert python_blocks(text) == ["a = 1\n\nb = a + 1\n", "c = b\n", "d = c\n"]


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks((DOC / p).read_text())])
def test_page_snippets_run(page, tmp_path):
    for module in NEEDS.get(page, []):
        import_or_skip(module)
    import fastmlp

    blocks = python_blocks((DOC / page).read_text())
    script = tmp_path / "snippets.py"
    script.write_text(
        "\n\n".join(
            f"# --- block {n} of {page}\n{block}" for n, block in enumerate(blocks, 1)
        )
    )
    env = dict(
        os.environ,
        MPLBACKEND="Agg",
        PYTHONPATH=str(Path(fastmlp.__file__).resolve().parent.parent),
    )
    proc = subprocess.run(
        [sys.executable, script.name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"{page}:\n{proc.stderr[-4000:]}"

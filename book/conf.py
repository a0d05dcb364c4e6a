"""Sphinx configuration of the musynth-lab book (built by scripts/build_book.py; see book/README.md).

Sphinx + myst-nb + sphinx-book-theme: everything the pages need (theme CSS/JS, Font Awesome,
search index, MathJax) is copied into the HTML folder, so the book builds and reads offline.
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

project = "musynth-lab"
author = "musynth-lab contributors"
copyright = "musynth-lab contributors, MIT licence"
REPO = "https://github.com/musynth-lab/musynth-lab"

extensions = ["myst_nb", "sphinx.ext.autodoc", "numpydoc", "sphinx.ext.mathjax"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "html_image"]
nb_execution_mode = "off"          # scripts/build_book.py executes the notebooks (with a budget)
nb_ipywidgets_js = {}              # no widget manager from a CDN: panels are pre-rendered states
nb_merge_streams = True
exclude_patterns = ["_ipynb/**", "_build/**"]
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]

# MathJax 3 from npm, copied into _static by the build (no CDN).
mathjax_path = "mathjax/tex-svg-full.js"

numpydoc_show_class_members = False
numpydoc_validation_checks = set()
autodoc_member_order = "bysource"
autodoc_mock_imports = []

html_theme = "sphinx_book_theme"
html_title = "musynth-lab"
# The build's source folder holds book/_static plus the MathJax copy (scripts/build_book.py);
# a relative path here would resolve against book/ and leave MathJax out of the HTML.
html_static_path = [str(ROOT / "build" / "book" / "src" / "_static")]
html_css_files = ["book.css"]
html_sourcelink_suffix = ""
html_theme_options = {
    "repository_url": REPO,
    "repository_branch": "main",
    "path_to_docs": "notebooks",
    "use_download_button": True,
    "use_repository_button": True,
    "launch_buttons": {"colab_url": "https://colab.research.google.com", "binderhub_url": "https://mybinder.org",
                       "notebook_interface": "jupyterlab"},
}

_CHAPTER = re.compile(r"notebooks/(\w+)\.ipynb")


def _chapter_links(app, what, name, obj, options, lines):
    """``Chapter: notebooks/NN_name.ipynb`` in a docstring -> a link to that chapter's page."""
    src = Path(app.srcdir)
    for i, line in enumerate(lines):
        if line.strip().startswith("Chapter:"):
            def link(m):
                stem = m.group(1)
                if (src / f"{stem}.ipynb").exists():
                    return f":doc:`/{stem}`"
                return f"`{stem} <{REPO}/blob/main/notebooks/{stem}.ipynb>`__"
            lines[i] = _CHAPTER.sub(link, line)


def setup(app):
    app.connect("autodoc-process-docstring", _chapter_links, priority=400)

# A fresh browser profile has no stored theme mode; without a default the theme logs a console error.
html_context = {"default_mode": "light"}

import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="Unknown section", category=UserWarning)  # numpydoc: "Forward" sections

"""The book test runs with `make test-book` (pytest -m book), not in the plain `make test`."""

import pytest


def pytest_collection_modifyitems(config, items):
    import re

    expr = config.getoption("-m") or ""
    if re.search(r"\bbook\b", expr) and not re.search(r"\bnot\s+book\b", expr):  # "notebook" is not "book"
        return
    skip = pytest.mark.skip(reason="builds the whole book: run `make test-book`")
    for item in items:
        if "book" in item.keywords:
            item.add_marker(skip)

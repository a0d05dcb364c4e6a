"""The book test runs with `make test-book` (pytest -m book), not in the plain `make test`."""

import pytest


def pytest_collection_modifyitems(config, items):
    if "book" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="builds the whole book: run `make test-book`")
    for item in items:
        if "book" in item.keywords:
            item.add_marker(skip)

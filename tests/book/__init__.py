"""The book test (pytest -m book)."""

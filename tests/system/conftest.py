"""Everything under tests/system runs the app as it runs for real: a browser, two
servers, a database or cache that goes away, concurrent donors. They carry the
`system` marker, so `pytest -m "not system"` is the quick run; `make test` and CI
run them all."""

import pytest


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/tests/system/" in str(item.path):
            item.add_marker(pytest.mark.system)

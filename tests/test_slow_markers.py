"""The ``slow`` list of tests/conftest.py names tests that exist, and marks them."""
import re

import pytest

from tests.conftest import REPO, SLOW, pytest_collection_modifyitems


@pytest.mark.parametrize("prefix", SLOW)
def test_every_slow_prefix_names_an_existing_test(prefix):
    path, _, name = prefix.partition("::")
    file = REPO / path
    assert file.is_file(), f"{path} does not exist (moved? update SLOW in tests/conftest.py)"
    func = re.match(r"[A-Za-z0-9_]+", name).group(0)
    assert re.search(rf"^def {func}", file.read_text(encoding="utf-8"), re.M), \
        f"{path} has no test starting with {func} (renamed? update SLOW in tests/conftest.py)"


def test_the_hook_marks_listed_tests_only():
    class Item:
        def __init__(self, nodeid):
            self.nodeid, self.markers = nodeid, []

        def add_marker(self, marker):
            self.markers.append(marker.name)

    items = [Item(SLOW[0]), Item(SLOW[-1] + "[param]"), Item("tests/test_config.py::test_x"),
             Item("x" + SLOW[0])]
    pytest_collection_modifyitems(None, items)
    assert [it.markers for it in items] == [["slow"], ["slow"], [], []]

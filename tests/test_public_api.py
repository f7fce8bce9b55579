"""The public surface: ``critmin.__all__`` is sorted and complete, and names resolve."""

import critmin


def test_all_is_sorted_and_unique():
    assert list(critmin.__all__) == sorted(set(critmin.__all__))


def test_every_public_name_resolves():
    for name in critmin.__all__:
        assert getattr(critmin, name) is not None, name


def test_all_lists_every_public_attribute_defined_in_init():
    public = {n for n in vars(critmin) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(critmin, n)).__name__ == "module"}
    assert public - modules == set(critmin.__all__) - {"__version__"}

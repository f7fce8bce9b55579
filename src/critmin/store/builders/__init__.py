"""Table builders. Each module declares ``BUILDERS``, a tuple of
:class:`critmin.store.build.Builder`; :func:`critmin.store.build.builders` finds them."""

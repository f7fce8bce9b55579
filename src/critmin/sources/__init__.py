"""One module per data provider: read the publisher's file as published, return tidy rows
plus an :class:`~critmin.sources.origin.Origin`. No judgement here: harmonisation happens
in :mod:`critmin.store`."""

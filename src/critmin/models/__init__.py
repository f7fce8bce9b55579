"""Models: the contract (``base.py``) and one package per model (``pe/``, ``ge/``; sourcing
and network to come). Models take baselines and scenarios as values and return a
:class:`~critmin.models.base.Result`; they read no files and format no output."""

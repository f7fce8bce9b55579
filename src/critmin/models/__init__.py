"""Models: scenario values, the partial-equilibrium trade model and the structural-gravity
general-equilibrium model. Models read baselines handed to them; they never read files
other than scenario YAML through :mod:`critmin.models.yamlio`."""

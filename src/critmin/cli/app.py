"""The typer application and its command groups; commands live one group per module.

:class:`CritminGroup` turns a :class:`~critmin.errors.CritminError` into one clear line on
stderr and an exit code (2 for bad input, 1 for other failures), never a traceback, for
the console script and for ``typer.testing.CliRunner`` alike.
"""

from __future__ import annotations

from typing import Any

import click
import typer
from typer.core import TyperGroup

from critmin.errors import CritminError


class CritminGroup(TyperGroup):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CritminError as exc:
            from critmin.cli._common import err_console

            err_console.print("Error:", style="bold red", end=" ")
            err_console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
            ctx.exit(exc.exit_code)


app = typer.Typer(
    name="critmin",
    cls=CritminGroup,
    help="Critical-minerals supply chains: production, concentration, exposure, trade-policy models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
data_app = typer.Typer(help="Build, inspect, fetch and import the data store.", no_args_is_help=True)
scenario_app = typer.Typer(help="Partial-equilibrium policy scenarios.", no_args_is_help=True)
gravity_app = typer.Typer(help="Structural-gravity general-equilibrium model.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(scenario_app, name="scenario")
app.add_typer(gravity_app, name="gravity")
chain_app = typer.Typer(help="Supply chains mine -> product: where they choke, how a shock propagates.",
                        no_args_is_help=True)
app.add_typer(chain_app, name="chain")

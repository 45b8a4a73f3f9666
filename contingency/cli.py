"""Command line: ``python -m contingency COMMAND`` or ``contingency COMMAND``.

Every input error becomes exit code 2 and one line per problem on stderr; a traceback
reaching a user is a bug.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contingency.errors import InputError

app = typer.Typer(
    name="contingency",
    help="Plan a mass influx of people across Kazakhstan's road borders.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Plan a mass influx of people across Kazakhstan's road borders."""


def _fail(exc: InputError) -> None:
    for p in exc.problems:
        typer.echo(str(p), err=True)
    raise typer.Exit(code=2)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario YAML files to check.")],
) -> None:
    """Check scenario files; print one line per problem and exit 2 if any."""
    from contingency.scenario import validate_files

    try:
        problems = validate_files(files)
    except InputError as exc:  # reference data in maps/ is broken
        _fail(exc)
    if problems:
        for p in problems:
            typer.echo(str(p), err=True)
        raise typer.Exit(code=2)
    for f in files:
        typer.echo(f"{f}: ok")


def main() -> None:
    """Entry point of the console script."""
    app()

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


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the scenario's).")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: runs/NAME-sSEED).")
    ] = None,
) -> None:
    """Simulate a scenario; write hourly tables (Parquet) and summary.json."""
    from contingency.refdata import load_refdata
    from contingency.results import run_scenario
    from contingency.scenario import load_scenario

    try:
        ref = load_refdata()
        sc = load_scenario(scenario, ref=ref)
    except InputError as exc:
        _fail(exc)
    result = run_scenario(sc, ref, seed=seed, progress=True)
    folder = out or Path("runs") / f"{sc.name}-s{result.summary['seed']}"
    result.save(folder)
    s = result.summary
    led = s["ledger"]
    typer.echo(f"{sc.name}: seed {s['seed']}, {led['arrived']:,} arrived -> {folder}")
    for key in list(led)[1:]:
        typer.echo(f"  {key:<24}{led[key]:>12,}")
    reds = [g for g in s["gaps"] if g["severity"] == "red"]
    typer.echo(f"  gaps: {len(reds)} red, {len(s['gaps']) - len(reds)} amber")
    for g in s["gaps"][:8]:
        where = f"{g['severity']:<6}{g['facility']:<24}"
        typer.echo(f"    {where}{g['metric']} {g['value']} from {g['first_time']}")


@app.command()
def export(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `run`.")],
    fmt: Annotated[str, typer.Option("--format", help="png, pdf, html, geojson, csv or briefing.")],
    lang: Annotated[str, typer.Option(help="ru, kk or en.")] = "ru",
    day: Annotated[
        int | None, typer.Option(help="Day shown, 1-based (default: peak hour).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="File to write (default: RUN_DIR/exports/).")
    ] = None,
    marking: Annotated[
        str | None, typer.Option(help="Marking line, e.g. 'For official use'.")
    ] = None,
) -> None:
    """Export a run: static map (PNG/PDF), offline HTML map, GeoJSON, CSV tables, briefing PDF."""
    from contingency.i18n import LANGUAGES
    from contingency.mapping.export import FORMATS
    from contingency.mapping.export import export as do_export

    problems = []
    if fmt not in FORMATS:
        problems.append(f"--format: must be one of {', '.join(FORMATS)} (got {fmt!r})")
    if lang not in LANGUAGES:
        problems.append(f"--lang: must be one of {', '.join(LANGUAGES)} (got {lang!r})")
    if not (run_dir / "summary.json").is_file():
        problems.append(f"{run_dir}: not a run folder (no summary.json)")
    if problems:
        for p in problems:
            typer.echo(p, err=True)
        raise typer.Exit(code=2)
    try:
        path = do_export(run_dir, fmt, lang=lang, day=day, out=out, marking=marking)
    except InputError as exc:
        _fail(exc)
    except ValueError as exc:
        typer.echo(f"{run_dir}: {exc}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(str(path))


@app.command()
def bench() -> None:
    """Benchmark: full pipeline vs bare SimPy vs Ciw, µs per person and peak memory."""
    from contingency.bench import run_bench

    run_bench(echo=typer.echo)


def main() -> None:
    """Entry point of the console script."""
    app()

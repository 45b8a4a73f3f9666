"""Command line: ``python -m contingency COMMAND`` or ``contingency COMMAND``.

Every input error becomes exit code 2 and one line per problem on stderr; a traceback
reaching a user is a bug.
"""

from __future__ import annotations

import contextlib
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


RunsDir = Annotated[
    Path | None,
    typer.Option("--runs-dir", help="Run store folder (default: $CONTINGENCY_RUNS or runs/)."),
]


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the scenario's).")] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the run into this folder.")] = None,
    runs_dir: RunsDir = None,
) -> None:
    """Simulate a scenario; save hourly tables (Parquet) and summary.json in the run store."""
    from contingency.metrics.gaps import format_gap_value
    from contingency.refdata import load_refdata
    from contingency.results import run_scenario
    from contingency.scenario import load_scenario

    try:
        ref = load_refdata()
        sc = load_scenario(scenario, ref=ref)
    except InputError as exc:
        _fail(exc)
    result = run_scenario(sc, ref, seed=seed, progress=True)
    folder = result.store(runs_dir)
    if out is not None:
        result.save(out)
    s = result.summary
    led = s["ledger"]
    typer.echo(f"{sc.name}: seed {s['seed']}, {led['arrived']:,} arrived -> {out or folder}")
    for key in list(led)[1:]:
        typer.echo(f"  {key:<24}{led[key]:>12,}")
    reds = [g for g in s["gaps"] if g["severity"] == "red"]
    typer.echo(f"  gaps: {len(reds)} red, {len(s['gaps']) - len(reds)} amber")
    for g in s["gaps"][:8]:
        where = f"{g['severity']:<6}{g['facility']:<24}"
        typer.echo(f"    {where}{g['metric']} {format_gap_value(g)} from {g['first_time']}")
    typer.echo(f"  stored as {folder.name}")


@app.command()
def runs(runs_dir: RunsDir = None) -> None:
    """List the runs in the run store, newest first."""
    from contingency.store import RunStore

    store = RunStore(runs_dir)
    rows = store.list()
    if not rows:
        typer.echo(f"{store.root}: no runs yet")
        return
    typer.echo(f"{'run id':<62}{'kind':<8}{'seed':>12}{'arrived':>12}{'red':>5}{'amber':>6}")
    for r in rows:
        seed = "" if r.seed is None else str(r.seed)
        arrived = "" if r.arrived is None else f"{r.arrived:,}"
        gaps = f"{r.red_gaps or 0:>5}{r.amber_gaps or 0:>6}"
        typer.echo(f"{r.run_id:<62}{r.kind:<8}{seed:>12}{arrived:>12}{gaps}")


@app.command()
def export(
    run_dir: Annotated[Path, typer.Argument(help="A run folder, or a run id in the run store.")],
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
    runs_dir: RunsDir = None,
) -> None:
    """Export a run: static map (PNG/PDF), offline HTML map, GeoJSON, CSV tables, briefing PDF."""
    from contingency.i18n import LANGUAGES
    from contingency.mapping.export import FORMATS
    from contingency.mapping.export import export as do_export
    from contingency.store import RunStore

    if not (run_dir / "summary.json").is_file():
        with contextlib.suppress(KeyError):
            run_dir = RunStore(runs_dir).resolve(run_dir)
    problems = []
    if fmt not in FORMATS:
        problems.append(f"--format: must be one of {', '.join(FORMATS)} (got {fmt!r})")
    if lang not in LANGUAGES:
        problems.append(f"--lang: must be one of {', '.join(LANGUAGES)} (got {lang!r})")
    if not (run_dir / "summary.json").is_file():
        problems.append(f"{run_dir}: not a run folder (no summary.json) nor a run id in the store")
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


def _stress_inputs(scenario: Path, replications: int, workers: int | None, scheduler: str | None):
    from contingency.refdata import load_refdata
    from contingency.scenario import load_scenario

    if replications < 1:
        typer.echo(f"--replications: must be at least 1 (got {replications})", err=True)
        raise typer.Exit(code=2)
    if workers is not None and scheduler is not None:
        typer.echo("--workers and --scheduler exclude each other: give one", err=True)
        raise typer.Exit(code=2)
    try:
        ref = load_refdata()
        return ref, load_scenario(scenario, ref=ref)
    except InputError as exc:
        _fail(exc)


def _print_study(study) -> None:
    s = study.summary
    typer.echo(f"{s['scenario']}: {s['completed']} of {s['replications']} replications completed")
    for f in s["failed"]:
        typer.echo(f"  replication with seed {f['seed']} failed: {f['error']}", err=True)
    table = study.tables["facilities"]
    shown = table[(table["p_red"] > 0) | (table["p95"] > 0)].head(25)
    typer.echo(
        f"  {'facility':<24}{'kind':<16}{'metric':<17}{'p50':>9}{'p90':>9}{'p95':>9}{'p_red':>7}"
    )
    for r in shown.itertuples():
        typer.echo(
            f"  {r.facility:<24}{r.kind:<16}{r.metric:<17}{r.p50:>9.2f}{r.p90:>9.2f}"
            f"{r.p95:>9.2f}{r.p_red:>7.2f}"
        )
    rph = s["red_person_hours"]
    typer.echo(
        f"  red-gap person-hours: mean {rph['mean']:,.0f}, p50 {rph['p50']:,.0f}, "
        f"p95 {rph['p95']:,.0f}"
    )
    if "sweep" in s:
        sw = s["sweep"]
        side = "red at or above" if sw["red_above"] else "red at or below"
        typer.echo(f"  breaking points ({sw['lever']} {sw['low']}:{sw['high']}, {side}):")
        for fac, bp in sw["breaking_points"].items():
            typer.echo(f"    {fac:<24}{'never red in range' if bp is None else f'{bp:.2f}'}")
    if "reserves" in s:
        rv = s["reserves"]
        typer.echo(
            f"  reserves (baseline {rv['baseline_red_person_hours']:,.0f} red person-hours):"
        )
        for r in rv["ranking"]:
            typer.echo(
                f"    {r['reserve']:<24}cost {r['cost']:>8,.0f}  removes {r['removed']:>10,.0f}"
                f"  per cost {r['removed_per_cost']:>9,.1f}"
            )
        typer.echo(
            f"  package within {rv['budget']:,.0f}: {', '.join(rv['package']) or 'nothing helps'}"
            f" (cost {rv['package_cost']:,.0f}, {rv['package_red_person_hours']:,.0f} "
            "red person-hours left)"
        )


@app.command()
def stress(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    replications: Annotated[int, typer.Option(help="Independent replications.")] = 20,
    workers: Annotated[int | None, typer.Option(help="LocalCluster worker processes.")] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of an existing Dask scheduler.")
    ] = None,
    sweep: Annotated[
        str | None,
        typer.Option(
            help="Breaking points over a lever, e.g. influx=0.5:3.0 (lanes, beds, buses)."
        ),
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(help="Recommend a package of the scenario's reserves within this budget."),
    ] = None,
    runs_dir: RunsDir = None,
) -> None:
    """Replications on Dask: P50/P90/P95 per facility, P(red), breaking points, reserves."""
    from contingency.store import RunStore
    from contingency.stress.runner import dask_client
    from contingency.stress.study import run_study
    from contingency.stress.sweep import SweepSpec

    ref, sc = _stress_inputs(scenario, replications, workers, scheduler)
    try:
        spec = SweepSpec.parse(sweep) if sweep else None
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from None
    if budget is not None and not sc.reserves:
        typer.echo(f"{scenario}: reserves: the scenario lists no candidate reserves", err=True)
        raise typer.Exit(code=2)
    with dask_client(workers=workers, scheduler=scheduler) as client:
        study = run_study(
            sc, ref, client, replications=replications, sweep=spec, budget=budget, progress=True
        )
    stored = RunStore(runs_dir).save(
        study.write_files,
        scenario=sc.name,
        seed=sc.seed,
        kind="stress",
        summary={"gaps": [], "ledger": {}},
    )
    _print_study(study)
    typer.echo(f"  stored as {stored.run_id}")


@app.command()
def bench(
    part: Annotated[str, typer.Option(help="all, pipeline (a-d) or stress (e).")] = "all",
) -> None:
    """Benchmark: full pipeline vs bare SimPy vs Ciw (µs per person, peak memory), onward
    allocation per day, and stress replications per minute with 1 and 2 workers."""
    from contingency.bench import run_bench, run_stress_bench

    if part not in ("all", "pipeline", "stress"):
        typer.echo(f"--part: must be all, pipeline or stress (got {part!r})", err=True)
        raise typer.Exit(code=2)
    if part in ("all", "pipeline"):
        run_bench(echo=typer.echo)
    if part in ("all", "stress"):
        typer.echo("")
        run_stress_bench(echo=typer.echo)


def main() -> None:
    """Entry point of the console script."""
    app()

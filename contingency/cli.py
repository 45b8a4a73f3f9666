"""Command line: ``python -m contingency COMMAND`` or ``contingency COMMAND``.

Every input error becomes exit code 2 and one line per problem on stderr; a traceback
reaching a user is a bug.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn

import typer

from contingency.errors import InputError
from contingency.resources import bundled_scenarios, scenario_path

if TYPE_CHECKING:
    from contingency.history.case import Case
    from contingency.refdata import RefData
    from contingency.scenario import Scenario
    from contingency.scenario.ranges import RangedScenario
    from contingency.store import RunStore
    from contingency.store.exercise import LogEntry
    from contingency.stress.sweep import SweepSpec
    from contingency.summary import RunSummary

Language = Literal["ru", "kk", "en"]
"""``--lang``: the languages of ``contingency.i18n.LANGUAGES`` (a test keeps them equal)."""
ExportFormat = Literal[
    "png", "pdf", "html", "geojson", "csv", "briefing", "after_action", "hxl", "gpkg"
]
"""``export --format``: ``contingency.mapping.export.FORMATS`` (a test keeps them equal)."""
BenchPart = Literal["all", "pipeline", "stress", "like"]
Role = Literal["controller", "viewer"]
"""``users add --role``: ``contingency.board.auth.ROLES`` (a test keeps them equal)."""

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


def _fail(exc: InputError) -> NoReturn:
    for p in exc.problems:
        typer.echo(str(p), err=True)
    raise typer.Exit(code=2)


def _fail_os(exc: OSError, note: str = "") -> NoReturn:
    """A file-system problem as one line, ``PATH: what is wrong``, and exit code 2."""
    line = f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else str(exc)
    typer.echo(line + note, err=True)
    raise typer.Exit(code=2)


def _scenario_files(values: list[Path]) -> list[Path]:
    """SCENARIO arguments: YAML files, or names of bundled scenarios (``smoke``)."""
    return [scenario_path(v) for v in values]


ScenarioArg = Annotated[
    Path,
    typer.Argument(
        callback=scenario_path,
        help="Scenario YAML file, or the name of a bundled scenario (see `scenarios`).",
    ),
]


@app.command()
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(
            callback=_scenario_files,
            help="Scenario YAML files to check (or names of bundled scenarios).",
        ),
    ],
    *,
    lang: Annotated[Language, typer.Option(help="Language of the problems.")] = "en",
) -> None:
    """Check scenario files; print one line per problem and exit 2 if any."""
    from contingency.i18n import t
    from contingency.i18n.problems import localized
    from contingency.scenario import validate_files

    try:  # each file against its map pack; a broken pack's files are reported too
        problems = validate_files(files)
    except InputError as exc:
        problems = exc.problems
    if problems:
        for p in problems:
            typer.echo(localized(p, lang), err=True)
        raise typer.Exit(code=2)
    for f in files:
        typer.echo(t("problem.file_ok", lang, file=f))


@app.command()
def scenarios(
    *, lang: Annotated[Language, typer.Option(help="Language of the titles.")] = "ru"
) -> None:
    """List the bundled scenarios: name, trigger, horizon and title.

    A bundled scenario is run by its name: `contingency run smoke`.
    """
    from contingency.refdata import load_refdata
    from contingency.scenario import load_scenario

    problems: list[str] = []
    try:
        ref = load_refdata()
    except InputError as exc:
        _fail(exc)
    typer.echo(f"{'name':<24}{'trigger':<26}{'days':>5}  title")
    for path in bundled_scenarios():
        try:
            sc = load_scenario(path, ref=ref)
        except InputError as exc:
            problems += [str(p) for p in exc.problems]
            continue
        days = sc.horizon_days
        typer.echo(f"{sc.name:<24}{sc.trigger.value:<26}{days:>5}  {sc.title_in(lang)}")
    if problems:
        for p in problems:
            typer.echo(p, err=True)
        raise typer.Exit(code=2)


def scenario_schema_json() -> str:
    """The JSON Schema of a scenario file (from the pydantic model), as published in
    ``scenarios/scenario.schema.json`` for editors that validate YAML."""
    import json

    from contingency.scenario import Scenario
    from contingency.scenario.ranges import with_range_schemas

    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **with_range_schemas(Scenario.model_json_schema()),  # any number may be a range
    }
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


@app.command()
def schema(
    *,
    out: Annotated[
        Path | None, typer.Option(help="Write the schema to this file (default: print it).")
    ] = None,
) -> None:
    """Print the JSON Schema of a scenario file, for editors that check YAML as it is typed.

    After a schema change: `contingency schema --out scenarios/scenario.schema.json`.
    """
    text = scenario_schema_json()
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail_os(exc)
    typer.echo(str(out))


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="Name: lower-case letters, digits, _ and -.")],
) -> None:
    """Write NAME.yaml in the current folder: a commented template with every key, its unit
    and default, that validates as it is. An existing file is never overwritten."""
    import re

    from contingency.scenario.template import template

    if not re.fullmatch(r"[a-z0-9_\-]{1,80}", name):
        typer.echo(f"{name!r}: a name is 1-80 lower-case letters, digits, '_' and '-'", err=True)
        raise typer.Exit(code=2)
    path = Path(f"{name}.yaml")
    try:
        with path.open("x", encoding="utf-8") as f:  # never overwrite
            f.write(template(name))
    except FileExistsError:
        typer.echo(f"{path}: exists; choose another name (nothing was written)", err=True)
        raise typer.Exit(code=2) from None
    except OSError as exc:
        _fail_os(exc)
    typer.echo(f"{path}: written; check it with: contingency validate {path}")


RunsDir = Annotated[
    Path | None,
    typer.Option("--runs-dir", help="Run store folder (default: $CONTINGENCY_RUNS or runs/)."),
]


def _seed(value: str) -> int:
    """``--seed``: a whole number within the schema's bound, else one line and exit 2."""
    from contingency.scenario.schema import MAX_SEED

    try:
        seed = int(value)
    except ValueError:  # not a whole number, or over 4,300 digits
        seed = -1
    if not 0 <= seed <= MAX_SEED:
        got = repr(value) if len(value) <= 40 else repr(value[:37] + "...")
        typer.echo(f"--seed: must be a whole number from 0 to {MAX_SEED} (got {got})", err=True)
        raise typer.Exit(code=2)
    return seed


Seed = Annotated[
    int | None, typer.Option(parser=_seed, help="Random seed (default: the scenario's).")
]


@app.command()
def run(
    scenario: ScenarioArg,
    *,
    seed: Seed = None,
    out: Annotated[Path | None, typer.Option(help="Also write the run into this folder.")] = None,
    runs_dir: RunsDir = None,
) -> None:
    """Simulate a scenario; save hourly tables (Parquet) and summary.json in the run store."""
    import errno
    import os

    from contingency.results import check_run_folder, run_scenario
    from contingency.scenario import load_scenario_with_ref
    from contingency.store import RunStore

    try:  # the scenario's map pack (`maps:`), else the bundled one
        sc, ref = load_scenario_with_ref(scenario)
    except InputError as exc:
        _fail(exc)
    try:  # refuse before simulating: nothing is written when a folder is wrong
        if out is not None:
            out = check_run_folder(out)
        store = RunStore(runs_dir)
        if not os.access(store.root, os.W_OK):
            raise PermissionError(errno.EACCES, "the run store is not writable", str(store.root))
    except OSError as exc:
        _fail_os(exc)
    result = run_scenario(sc, ref, seed=seed, progress=True)
    try:  # the folder is written first; a failed index write is only a warning
        folder, not_stored = result.store(store), None
    except OSError as exc:
        folder, not_stored = None, exc
    if store.index_error:
        typer.echo(f"warning: {store.index_error}", err=True)
    if out is not None:
        try:
            result.save(out)
        except OSError as exc:
            _fail_os(exc, f" (the run is stored as {folder.name})" if folder else "")
    if not_stored is not None:
        _fail_os(not_stored, f" (the run is saved in {out})" if out else "")
    assert folder is not None  # stored, or the line above exited
    _print_run(result.summary, name=sc.name, shown=out or folder, ref=ref)
    typer.echo(f"  stored as {folder.name}")


def _print_run(s: RunSummary, *, name: str, shown: Path, ref: RefData) -> None:
    """The ledger and the first gaps of a run summary, each gap in words (a far-side wait gap
    named as the far side of its checkpoint, as on the board)."""
    from contingency.i18n import t
    from contingency.mapping.names import gap_place
    from contingency.metrics.gaps import format_gap_value

    led = s["ledger"]
    typer.echo(f"{name}: seed {s['seed']}, {led['arrived']:,} arrived -> {shown}")
    for key, persons in list(led.items())[1:]:
        typer.echo(f"  {key:<24}{persons:>12,}")
    reds = [g for g in s["gaps"] if g["severity"] == "red"]
    typer.echo(f"  gaps: {len(reds)} red, {len(s['gaps']) - len(reds)} amber")
    for g in s["gaps"][:8]:
        place = gap_place(g, "en", ref, s)
        worst = t(f"gaps.worst.{g['metric']}", "en", value=format_gap_value(g))
        when = g["first_time"].replace("T", " ")[:16]
        typer.echo(f"    {g['severity']:<6}{place}: {worst}, from {when}")


@app.command()
def runs(
    *,
    runs_dir: RunsDir = None,
    reindex: Annotated[
        bool, typer.Option("--reindex", help="Rebuild the index from the run folders first.")
    ] = False,
    clean: Annotated[
        bool,
        typer.Option(
            "--clean",
            help="Remove temporary folders left by killed writers (untouched for an hour) first.",
        ),
    ] = False,
) -> None:
    """List the runs in the run store, newest first."""
    import sqlite3

    from contingency.store import RunStore
    from contingency.store.runs import STALE_TMP_S

    try:
        store = RunStore(runs_dir, clean_stale=not clean)
    except OSError as exc:
        _fail_os(exc)
    if clean:
        n = store.clean(max_age_s=STALE_TMP_S)
        typer.echo(f"{store.root}: removed {n} temporary folder(s) left by interrupted writers")
    if reindex:
        try:
            n = store.reindex()
        except (sqlite3.Error, OSError) as exc:
            typer.echo(f"{store.index_path}: cannot rebuild the index ({exc})", err=True)
            raise typer.Exit(code=2) from None
        typer.echo(f"{store.index_path}: rebuilt from {n} run folder{'' if n == 1 else 's'}")
    rows = store.list()
    if store.index_error:
        typer.echo(f"warning: {store.index_error}", err=True)
    if not rows:
        typer.echo(f"{store.root}: no runs yet")
        return
    width = max(62, *(len(r.run_id) + 2 for r in rows))  # a whole id, then a gap
    kinds = max(8, *(len(r.kind) + 2 for r in rows))
    typer.echo(
        f"{'run id':<{width}}{'kind':<{kinds}}{'seed':>12}{'arrived':>12}{'red':>5}{'amber':>6}"
    )
    for r in rows:
        seed = "" if r.seed is None else str(r.seed)
        arrived = "" if r.arrived is None else f"{r.arrived:,}"
        gaps = f"{r.red_gaps or 0:>5}{r.amber_gaps or 0:>6}"
        typer.echo(f"{r.run_id:<{width}}{r.kind:<{kinds}}{seed:>12}{arrived:>12}{gaps}")


@app.command()
def export(
    run_dir: Annotated[Path, typer.Argument(help="A run folder, or a run id in the run store.")],
    *,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="What to write.")],
    lang: Annotated[Language, typer.Option(help="Language of the texts.")] = "ru",
    day: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Day shown, 1-based: the situation at the END of that day, its last hour "
            "(labelled 'day N, hour 24 · end of day N'). Default: the worst border moment "
            "(the longest wait on either side), as the board opens.",
        ),
    ] = None,
    hour: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=24,
            help="With --day: the hour of that day shown, 1-24 (1: the first hour from the "
            "scenario's start time of day; 24: the day's end).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="File to write (default: RUN_DIR/exports/).")
    ] = None,
    marking: Annotated[
        str | None, typer.Option(help="Marking line, e.g. 'For official use'.")
    ] = None,
    council_names: Annotated[
        bool,
        typer.Option(
            "--council-names",
            help="Name the file <scenario>_<format>_<YYYYMMDD> (the date of the hour shown) "
            "so a council pack sorts; hxl and gpkg are always named so.",
        ),
    ] = False,
    runs_dir: RunsDir = None,
) -> None:
    """Export a run: static map (PNG/PDF), offline HTML map, GeoJSON, CSV tables, briefing PDF,
    after-action report of an exercise (PDF: each inject's effect, measured by running the
    scenario again without it), HXL tables for humanitarian partners (zip), GeoPackage of the
    map layers."""
    from contingency.mapping.export import export as do_export

    run_dir = _export_run_folder(run_dir, runs_dir)
    try:
        log = _exercise_log(run_dir, runs_dir) if fmt == "after_action" else []
        path = do_export(
            run_dir,
            fmt,
            lang=lang,
            day=day,
            hour=hour,
            out=out,
            marking=marking,
            log=log,
            progress=True,
            council_names=council_names,
        )
    except InputError as exc:
        _fail(exc)
    except ValueError as exc:
        typer.echo(f"{run_dir}: {exc}", err=True)
        raise typer.Exit(code=2) from None
    except OSError as exc:
        _fail_os(exc)
    typer.echo(str(path))


def _export_run_folder(run_dir: Path, runs_dir: Path | None) -> Path:
    """``export``'s RUN_DIR: a run folder, or a run id in the store; else one line, exit 2."""
    from contingency.store import RunStore

    if not (run_dir / "summary.json").is_file():
        try:
            with contextlib.suppress(KeyError):  # not a run id: reported below
                run_dir = RunStore(runs_dir).resolve(run_dir)
        except OSError as exc:
            _fail_os(exc)
    if not (run_dir / "summary.json").is_file():
        typer.echo(
            f"{run_dir}: not a run folder (no summary.json) nor a run id in the store", err=True
        )
        raise typer.Exit(code=2)
    return run_dir


def _exercise_log(run_dir: Path, runs_dir: Path | None) -> list[LogEntry]:
    """The log of the exercise in the run store that made the run in ``run_dir`` ([] when none
    did): it gives the after-action report each inject's real time and operator."""
    from contingency.mapping.export import load_run
    from contingency.refdata import load_refdata
    from contingency.store.exercise import exercise_log_for_run

    run = load_run(run_dir)
    return exercise_log_for_run(run.scenario, int(run.summary["seed"]), load_refdata(), runs_dir)


MAX_REPLICATIONS = 10_000
MAX_WORKERS = 64
Workers = Annotated[
    int | None,
    typer.Option(
        min=1,
        max=MAX_WORKERS,
        help=f"LocalCluster worker processes, 1 to {MAX_WORKERS} (default 2).",
    ),
]
Scheduler = Annotated[
    str | None, typer.Option(help="Address of an existing Dask scheduler (tried for 10 s).")
]


def _stress_option_problems(
    *, workers: int | None, scheduler: str | None, sweep: str | None, budget: float | None
) -> tuple[list[str], SweepSpec | None]:
    """What is wrong with the stress options typer cannot check alone, and the parsed sweep."""
    from contingency.stress.sweep import SweepSpec

    problems = []
    if workers is not None and scheduler is not None:
        problems.append("--workers and --scheduler exclude each other: give one")
    if scheduler is not None and not scheduler.strip():
        problems.append(f"--scheduler: give an address such as tcp://HOST:8786 (got {scheduler!r})")
    spec = None
    if sweep is not None:
        try:
            spec = SweepSpec.parse(sweep)
        except ValueError as exc:
            problems.append(str(exc))
    if budget is not None and not (math.isfinite(budget) and budget > 0):
        problems.append(f"--budget: must be a finite number above 0 (got {budget})")
    return problems, spec


def _stress_inputs(
    scenario: Path,
    *,
    workers: int | None,
    scheduler: str | None,
    sweep: str | None,
    budget: float | None,
) -> tuple[RefData, Scenario, SweepSpec | None]:
    """Check every stress option and load the scenario; print every problem and exit 2."""
    from contingency.scenario import load_scenario_with_ref
    from contingency.stress.sweep import apply_lever

    problems, spec = _stress_option_problems(
        workers=workers, scheduler=scheduler, sweep=sweep, budget=budget
    )
    loaded = None
    try:  # the scenario's map pack (`maps:`), else the bundled one
        loaded = load_scenario_with_ref(scenario)
    except InputError as exc:
        problems += [str(p) for p in exc.problems]
    if loaded is None:
        for p in problems:
            typer.echo(p, err=True)
        raise typer.Exit(code=2)
    sc, ref = loaded
    if budget is not None and not sc.reserves:
        problems.append(f"{scenario}: reserves: the scenario lists no candidate reserves")
    if spec is not None:
        for x in (spec.lo, spec.hi):  # the sweep's ends must give valid scenarios
            try:
                apply_lever(sc, ref, spec.lever, x)
            except InputError as exc:
                why = "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
                problems.append(f"--sweep: {spec.lever} x{x:g} gives an invalid scenario: {why}")
    if problems:
        for p in problems:
            typer.echo(p, err=True)
        raise typer.Exit(code=2)
    return ref, sc, spec


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


def _run_stress(
    sc,
    ref,
    *,
    replications: int,
    workers: int | None,
    scheduler: str | None,
    sweep,
    budget: float | None,
    runs_dir: Path | None,
    func=None,
) -> None:
    """Run the study, store it and print it; exit 2 on an unreachable scheduler, 1 (nothing
    stored) when every replication failed. ``func`` replaces the replication (tests)."""
    from contingency.store import RunStore
    from contingency.stress.runner import SchedulerUnreachable, dask_client
    from contingency.stress.study import StudyFailed, run_study

    extra = {} if func is None else {"func": func}
    try:
        with dask_client(workers=workers, scheduler=scheduler) as client:
            study = run_study(
                sc,
                ref,
                client,
                replications=replications,
                sweep=sweep,
                budget=budget,
                progress=True,
                **extra,
            )
    except SchedulerUnreachable as exc:
        typer.echo(f"--scheduler: {exc}", err=True)
        raise typer.Exit(code=2) from None
    except StudyFailed as exc:
        typer.echo(f"{exc}\n{sc.name}: no result: nothing stored", err=True)
        raise typer.Exit(code=1) from None
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
def stress(
    scenario: ScenarioArg,
    *,
    replications: Annotated[
        int,
        typer.Option(
            min=1, max=MAX_REPLICATIONS, help=f"Independent replications, 1 to {MAX_REPLICATIONS}."
        ),
    ] = 20,
    workers: Workers = None,
    scheduler: Scheduler = None,
    sweep: Annotated[
        str | None,
        typer.Option(
            help="Breaking points over a lever, e.g. influx=0.5:3.0 (lanes, beds, buses)."
        ),
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(
            help="Recommend a package of the scenario's reserves within this budget (> 0)."
        ),
    ] = None,
    runs_dir: RunsDir = None,
) -> None:
    """Replications on Dask: P50/P90/P95 per facility, P(red), breaking points, reserves.

    Exit 0: done and stored (any failed replications are listed).

    Exit 1: every replication failed: each seed's error is printed, nothing is stored.

    Exit 2: bad input: an option, the scenario, or an unreachable --scheduler.
    """
    ref, sc, spec = _stress_inputs(
        scenario, workers=workers, scheduler=scheduler, sweep=sweep, budget=budget
    )
    _run_stress(
        sc,
        ref,
        replications=replications,
        workers=workers,
        scheduler=scheduler,
        sweep=spec,
        budget=budget,
        runs_dir=runs_dir,
    )


MAX_SAMPLES = 100_000
ExploreMethod = Literal["lhs", "sobol"]
"""``explore --method``: ``contingency.explore.design.METHODS`` (a test keeps them equal)."""


def _explore_inputs(
    scenario: Path,
    *,
    method: str,
    samples: int,
    budget: float | None,
    workers: int | None,
    scheduler: str | None,
) -> RangedScenario:
    """Check the explore options and load the scenario with its ranges; exit 2 on a problem."""
    from contingency.scenario.ranges import load_ranges

    problems, _ = _stress_option_problems(
        workers=workers, scheduler=scheduler, sweep=None, budget=budget
    )
    if method == "sobol" and samples & (samples - 1):
        problems.append(f"--samples: Saltelli's design takes a power of two (got {samples})")
    ranged = None
    try:
        ranged = load_ranges(scenario)
    except InputError as exc:
        problems += [str(p) for p in exc.problems]
    if ranged is not None and not ranged.ranges:
        problems.append(f"{scenario}: gives no number as a range ({{low, high}}): nothing varies")
    if ranged is not None and budget is not None and not ranged.scenario.reserves:
        problems.append(f"{scenario}: reserves: the scenario lists no candidate reserves")
    if problems or ranged is None:
        for p in problems:
            typer.echo(p, err=True)
        raise typer.Exit(code=2)
    return ranged


@app.command()
def explore(
    scenario: ScenarioArg,
    *,
    samples: Annotated[
        int,
        typer.Option(
            min=1,
            max=MAX_SAMPLES,
            help="Samples of the ranges (sobol: base N, a power of two: N x (inputs + 2) runs).",
        ),
    ] = 200,
    method: Annotated[
        ExploreMethod, typer.Option(help="lhs (Latin hypercube) or sobol (Saltelli's design).")
    ] = "lhs",
    workers: Workers = None,
    scheduler: Scheduler = None,
    seed: Seed = None,
    budget: Annotated[
        float | None,
        typer.Option(help="Rank the scenario's reserves over the samples; a package within this."),
    ] = None,
    reserve_runs: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_SAMPLES, help="Most runs the reserves may take (default 400)."),
    ] = None,
    lang: Annotated[Language, typer.Option(help="Language of the printed boxes.")] = "en",
    runs_dir: RunsDir = None,
) -> None:
    """Sample the scenario's ranges, run each sample on Dask; print when each facility goes red
    (PRIM boxes), what drives the outcomes, and with --budget reserves ranked over the samples.

    Exit 0: done and stored. Exit 1: no sample ran: nothing stored. Exit 2: bad input.
    """
    from contingency.explore.study import KIND, run_explore
    from contingency.explore.words import report_lines
    from contingency.scenario import scenario_refdata
    from contingency.store import RunStore
    from contingency.stress.runner import SchedulerUnreachable, dask_client

    ranged = _explore_inputs(
        scenario,
        method=method,
        samples=samples,
        budget=budget,
        workers=workers,
        scheduler=scheduler,
    )
    try:
        with dask_client(workers=workers, scheduler=scheduler) as client:
            found = run_explore(
                ranged,
                client,
                samples=samples,
                method=method,
                seed=seed,
                budget=budget,
                reserve_runs=reserve_runs,
                progress=True,
            )
    except SchedulerUnreachable as exc:
        typer.echo(f"--scheduler: {exc}", err=True)
        raise typer.Exit(code=2) from None
    s = found.summary
    for f in s["failed"][:20]:
        typer.echo(f"  sample {f['sample']} (seed {f['seed']}) failed: {f['error']}", err=True)
    if not s["completed"]:
        typer.echo(f"{ranged.scenario.name}: no sample ran: nothing stored", err=True)
        raise typer.Exit(code=1)
    stored = RunStore(runs_dir).save(
        found.write_files,
        scenario=ranged.scenario.name,
        seed=s["seed"],
        kind=KIND,
        summary={"gaps": [], "ledger": {}},
    )
    for line in report_lines(s, lang, scenario_refdata(ranged.scenario, ref=ranged.ref)):
        typer.echo(line)
    typer.echo(f"  stored as {stored.run_id}")


@app.command()
def bench(
    *,
    part: Annotated[
        BenchPart, typer.Option(help="all, pipeline (a-d, h), stress (e) or like (f-g).")
    ] = "all",
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write every figure to this JSON file.")
    ] = None,
) -> None:
    """Benchmark: full pipeline vs bare SimPy vs Ciw (µs per person, peak memory at 1M and,
    in a child process, 10M persons), onward allocation per day, stress replications per
    minute with 1 and 2 workers, and like with like: our border stage against plain SimPy on
    the same groups, Ciw per lane pool, CPU seconds per stress replication before and after
    lean runs."""
    import json

    from contingency.bench import run_bench, run_like_with_like, run_stress_bench

    fig: dict[str, float] = {}
    if part in ("all", "pipeline"):
        fig.update(run_bench(echo=typer.echo))
    if part in ("all", "stress"):
        typer.echo("")
        fig.update(run_stress_bench(echo=typer.echo))
    if part in ("all", "like"):
        typer.echo("")
        fig.update(run_like_with_like(echo=typer.echo))
    if "a_s" in fig and "groups" in fig:
        fig["pipeline_us_per_group"] = fig["a_s"] / fig["groups"] * 1e6
    if "a_us" in fig:
        fig["pipeline_us_per_person"] = fig["a_us"]
        fig["peak_mb_1m"] = fig["a_peak_mb"]
    if json_out is not None:
        try:
            json_out.write_text(json.dumps(fig, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        except OSError as exc:
            _fail_os(exc)
        typer.echo(f"figures written to {json_out}")


feed_app = typer.Typer(
    help="The smart-border feed: records a run would produce, and ingesting a feed folder.",
    no_args_is_help=True,
)
app.add_typer(feed_app, name="feed")


@feed_app.command("simulate")
def feed_simulate(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (contingency run --out DIR).")],
    *,
    out: Annotated[Path, typer.Option(help="Feed folder to write (files are only added).")],
    repeat_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of persons who cross again.")
    ] = 0.08,
    late_share: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Share of records late, and as many duplicated."),
    ] = 0.02,
) -> None:
    """Write the crossing records the run would have produced, one CSV per hour of delivery."""
    from contingency.feed.simulate import FeedSettings, simulate_feed

    try:
        counts = simulate_feed(run_dir, out, FeedSettings(repeat_share, late_share))
    except InputError as exc:
        _fail(exc)
    except OSError as exc:
        _fail_os(exc)
    typer.echo(", ".join(f"{k} {v:,}" for k, v in counts.items()) + f" -> {out}")


@feed_app.command("ingest")
def feed_ingest(
    folder: Annotated[Path, typer.Argument(help="Feed folder: *.csv and *.parquet records.")],
    *,
    out: Annotated[
        Path | None, typer.Option(help="Where to write the counts (default: FOLDER/ingested).")
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(
            callback=lambda v: None if v is None else scenario_path(v),
            help="Also accept the crossings this scenario adds (add_checkpoints).",
        ),
    ] = None,
) -> None:
    """Validate the records and the queue observations (queues_*.csv; bad rows reported,
    never silently dropped; exit 2 if any), drop repeated deliveries, link each person's
    crossings, and write hourly counts (hourly.parquet), the hourly queues
    (queues_hourly.parquet, when the feed has queue files) and summary.json."""
    import json

    from contingency.feed.ingest import feed_summary, hourly_counts, ingest
    from contingency.feed.queues import ingest_queues, queues_hourly
    from contingency.refdata import load_refdata
    from contingency.scenario import load_scenario_with_ref
    from contingency.scenario.sites import with_scenario_places

    if not folder.is_dir():
        typer.echo(f"{folder}: not a folder", err=True)
        raise typer.Exit(code=2)
    ref = load_refdata()
    if scenario is not None:
        try:
            ref = with_scenario_places(*load_scenario_with_ref(scenario))
        except InputError as exc:
            _fail(exc)
    known = set(map(str, ref.checkpoints.index))
    ing = ingest(folder, known)
    queues = ingest_queues(folder, known)
    hourly = hourly_counts(ing.records)
    summary = feed_summary(ing, hourly)
    summary |= {"queue_observations": len(queues.observations), "queue_bad_rows": queues.bad_rows}
    dest = out or folder / "ingested"
    try:
        dest.mkdir(parents=True, exist_ok=True)
        hourly.to_parquet(dest / "hourly.parquet", index=False)
        if queues.files:
            queues_hourly(queues.observations).to_parquet(
                dest / "queues_hourly.parquet", index=False
            )
        (dest / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    except OSError as exc:
        _fail_os(exc)
    problems = ing.problems + queues.problems
    for p in problems[:200]:
        typer.echo(str(p), err=True)
    if len(problems) > 200:
        typer.echo(f"... and {len(problems) - 200:,} more problems", err=True)
    typer.echo(", ".join(f"{k} {v:,}" for k, v in summary.items()) + f" -> {dest}")
    if problems:
        raise typer.Exit(code=2)


def _now_h(text: str, sc: Scenario) -> int:
    """``--now`` as whole hours after the scenario's start (floored); else one line, exit 2."""
    from datetime import datetime

    from contingency.feed.simulate import scenario_clock

    start = scenario_clock(sc)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        typer.echo(
            f"--now: not an ISO 8601 time, e.g. 2027-03-02T12:00+05:00 (got {text!r})", err=True
        )
        raise typer.Exit(code=2) from None
    when = when if when.tzinfo is not None else when.replace(tzinfo=start.tzinfo)
    hours = math.floor((when - start).total_seconds() / 3600.0)
    if hours < 1:
        typer.echo(f"--now: {text} is not after the scenario's start {start.isoformat()}", err=True)
        raise typer.Exit(code=2)
    return hours


@app.command()
def nowcast(
    scenario: ScenarioArg,
    *,
    feed: Annotated[Path, typer.Option(help="Feed folder: crossing records, queue observations.")],
    now: Annotated[
        str, typer.Option(help="ISO time (floored to the hour; no offset: the scenario's time).")
    ],
    replications: Annotated[int, typer.Option(min=1, max=500, help="Replications, 1 to 500.")] = 20,
    horizon_h: Annotated[
        int, typer.Option("--horizon-h", min=1, max=168, help="Hours forecast, 1 to 168.")
    ] = 72,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_WORKERS, help="LocalCluster workers (1: in this process)."),
    ] = None,
    runs_dir: RunsDir = None,
) -> None:
    """The next hours from the live feed: the model follows the feed up to NOW, a damped trend
    forecasts the arrivals after it; P10/P50/P90 of every facility's load and wait, stored as a
    run of kind nowcast (forecast_hourly.parquet, summary.json)."""
    from contingency.feed.simulate import scenario_clock
    from contingency.nowcast.observe import observe
    from contingency.nowcast.run import NowcastFailed, run_nowcast
    from contingency.nowcast.store import save_nowcast
    from contingency.scenario import load_scenario_with_ref
    from contingency.store import RunStore
    from contingency.stress.runner import dask_client

    try:
        sc, ref = load_scenario_with_ref(scenario)
    except InputError as exc:
        _fail(exc)
    if not feed.is_dir():
        typer.echo(f"--feed: {feed}: not a folder", err=True)
        raise typer.Exit(code=2)
    now_h = _now_h(now, sc)
    start = scenario_clock(sc)
    observed = observe(feed, sc, ref, start=start, now_h=now_h)
    if observed.feed_first is None or observed.figures["records"] == 0:
        first = "it has none" if observed.feed_first is None else observed.feed_first.isoformat()
        typer.echo(f"--now: {now} is before the feed's first record ({first})", err=True)
        raise typer.Exit(code=2)
    if observed.problems:
        typer.echo(
            f"warning: {len(observed.problems):,} bad rows left out (see `feed ingest`)", err=True
        )
    try:
        with contextlib.ExitStack() as stack:
            client = None if workers == 1 else stack.enter_context(dask_client(workers=workers))
            nc = run_nowcast(
                sc,
                observed,
                start=start,
                replications=replications,
                horizon_h=horizon_h,
                client=client,
                progress=True,
            )
    except NowcastFailed as exc:
        typer.echo(f"{exc}\n{sc.name}: no nowcast: nothing stored", err=True)
        raise typer.Exit(code=1) from None
    stored = save_nowcast(nc, RunStore(runs_dir))
    _print_nowcast(nc.summary, name=sc.name)
    typer.echo(f"  stored as {stored.run_id}")


def _print_nowcast(s: dict, *, name: str) -> None:
    """The feed's figures and each forecast gap in one line."""
    typer.echo(
        f"{name}: nowcast at {s['now']} for {s['horizon_h']} h, {s['replications']} replications; "
        f"feed {s['records']:,} records, {s['unique_persons']:,} persons, "
        f"{s['repeat_crossings']:,} repeat crossings"
    )
    typer.echo(f"  forecast gaps: {len(s['forecast_gaps'])}")
    for g in s["forecast_gaps"]:
        when = " / ".join(
            (g[f"{q}_first_time"] or "-").replace("T", " ")[:16] for q in ("p10", "p50", "p90")
        )
        typer.echo(
            f"    {g['facility']} {g['metric']}: P(red) {g['probability_red']:.0%}, "
            f"first red P10/P50/P90 {when}"
        )


users_app = typer.Typer(
    help="Board users for a board on the HQ network: controllers and viewers, bcrypt hashes.",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")

UsersFile = Annotated[
    Path | None,
    typer.Option(
        "--file", envvar="CONTINGENCY_USERS", help="Users file (TOML; default $CONTINGENCY_USERS)."
    ),
]


def _users_file(file: Path | None) -> Path:
    if file is None:
        typer.echo("--file: give the users file (or set CONTINGENCY_USERS)", err=True)
        raise typer.Exit(code=2)
    return file


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name: letters, digits, _ and -.")],
    *,
    role: Annotated[Role, typer.Option(help="What the user may do on the board.")] = "viewer",
    file: UsersFile = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a user (or replace a user's role and password). The password is asked for twice,
    hidden, or read from standard input; only its bcrypt hash is written."""
    import sys

    from contingency.board.auth import write_user

    path = _users_file(file)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        write_user(path, name, role=role, password=password)
    except InputError as exc:
        _fail(exc)
    except OSError as exc:
        typer.echo(f"{path}: {exc.strerror or exc}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"{path}: {name} ({role})")


@users_app.command("remove")
def users_remove(
    name: Annotated[str, typer.Argument(help="User name.")], *, file: UsersFile = None
) -> None:
    """Remove a user; sessions signed in as that user end at their next interaction."""
    from contingency.board.auth import remove_user

    path = _users_file(file)
    try:
        removed = remove_user(path, name)
    except InputError as exc:
        _fail(exc)
    if not removed:
        typer.echo(f"{path}: no user {name!r}", err=True)
        raise typer.Exit(code=2)
    typer.echo(f"{path}: {name} removed")


@users_app.command("list")
def users_list(*, file: UsersFile = None) -> None:
    """List the users and their roles (never the hashes)."""
    from contingency.board.auth import load_users

    path = _users_file(file)
    try:
        users = load_users(path)
    except InputError as exc:
        _fail(exc)
    for u in sorted(users.values(), key=lambda u: u.name):
        typer.echo(f"{u.name:<32}{u.role}")


@app.command()
def board(
    *,
    host: Annotated[
        str, typer.Option(help="Address to listen on; other than loopback needs --users.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8501,
    users: Annotated[
        Path | None,
        typer.Option(
            envvar="CONTINGENCY_USERS",
            help="Users file: the board asks for a login (default $CONTINGENCY_USERS).",
        ),
    ] = None,
) -> None:
    """Run the situational board (Streamlit) in place of this command. It listens on this
    machine only unless --host names another address, which needs a users file: without one
    the board would be open to anyone on the network."""
    import os
    import sys

    from contingency.resources import PROJECT_ROOT
    from contingency.store.runs import RUNS_ENV

    app_file = PROJECT_ROOT / "app.py"
    if not app_file.is_file():
        typer.echo(f"{app_file}: the board runs from a source checkout of contingency", err=True)
        raise typer.Exit(code=2)
    env = _board_env(host=host, users=users)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_file),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    env.setdefault(RUNS_ENV, str(Path.cwd() / "runs"))  # runs are stored where it was started
    os.chdir(PROJECT_ROOT)  # Streamlit reads .streamlit/config.toml from here (static serving)
    os.execve(sys.executable, cmd, env)  # signals reach the server itself: nothing is orphaned


def _board_env(*, host: str, users: Path | None) -> dict[str, str]:
    """The board's environment: the users file when one is given; exit 2 when the board would
    be open to the network without a login, or the users file is empty or broken."""
    import os

    from contingency.board.auth import USERS_ENV, is_loopback, load_users

    env = dict(os.environ)
    env.pop(USERS_ENV, None)
    if users is None:
        if not is_loopback(host):
            typer.echo(
                f"--host {host}: the board would be open to the network without a login; "
                "give --users FILE (see `contingency users add`) or keep the default 127.0.0.1",
                err=True,
            )
            raise typer.Exit(code=2)
        return env
    try:
        if not load_users(users):
            typer.echo(f"{users}: no users yet: add one with `contingency users add`", err=True)
            raise typer.Exit(code=2)
    except InputError as exc:
        _fail(exc)
    env[USERS_ENV] = str(users.resolve())
    return env


def main() -> None:
    """Entry point of the console script."""
    app()


# ---------------------------------------------------------------- replaying past influxes
DEFAULT_LOO_PARAMS = "processing,shelter_share"
MAX_REPLAY_REPLICATIONS = 100


def _history_params(text: str) -> list[str]:
    """``--params a,b``: names of calibration parameters, else one line and exit 2."""
    from contingency.history.calibrate import PARAMS

    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in PARAMS]
    if not names or unknown or len(set(names)) != len(names):
        typer.echo(
            f"--params: give distinct names from {', '.join(PARAMS)}, separated by commas "
            f"(got {text!r})",
            err=True,
        )
        raise typer.Exit(code=2)
    return names


@app.command()
def replay(
    case_dir: Annotated[
        Path | None,
        typer.Argument(
            help="A case folder (scenarios/history/<case>); with --all, a folder of cases "
            "(default: the bundled history)."
        ),
    ] = None,
    *,
    all_cases: Annotated[
        bool, typer.Option("--all", help="Replay every case and print the scores.")
    ] = False,
    replications: Annotated[
        int,
        typer.Option(
            min=1,
            max=MAX_REPLAY_REPLICATIONS,
            help="Replications; each modelled value is their median.",
        ),
    ] = 1,
    leave_one_out: Annotated[
        bool,
        typer.Option(
            "--leave-one-out",
            help="With --all: also score each case with the mean of the other cases' fits.",
        ),
    ] = False,
    params: Annotated[
        str, typer.Option(help="Parameters fitted for --leave-one-out.")
    ] = DEFAULT_LOO_PARAMS,
    runs_dir: RunsDir = None,
) -> None:
    """Replay a past influx and compare the model with what was observed.

    Prints observable | target | observed band | modelled | log ratio | inside band, and
    stores a run of kind `replay` with replay.json. Exit 0 whatever the score; 2 for a
    malformed case folder.
    """
    if all_cases:
        _replay_all(
            case_dir,
            replications=replications,
            loo_params=_history_params(params) if leave_one_out else None,
            runs_dir=runs_dir,
        )
        return
    if case_dir is None or leave_one_out:
        why = "--leave-one-out goes with --all" if leave_one_out else "give CASE_DIR or --all"
        typer.echo(why, err=True)
        raise typer.Exit(code=2)
    _replay_one(case_dir, replications=replications, runs_dir=runs_dir)


def _case_and_store(case_dir: Path, runs_dir: Path | None) -> tuple[Case, RunStore]:
    """The case in ``case_dir`` and the run store, or exit 2 saying what is wrong."""
    from contingency.history.case import load_case
    from contingency.store import RunStore

    try:
        case = load_case(case_dir)
    except InputError as exc:
        _fail(exc)
    try:
        store = RunStore(runs_dir)
    except OSError as exc:
        _fail_os(exc)
    return case, store


def _replay_one(case_dir: Path, *, replications: int, runs_dir: Path | None) -> None:
    from contingency.history.replay import observation_lines, replay_case, score_text

    case, store = _case_and_store(case_dir, runs_dir)
    done = replay_case(case, replications=replications)
    stored = done.store(store)
    typer.echo(f"{case.name}: {len(done.seeds)} replication(s), seeds {done.seeds}")
    for line in observation_lines(done):
        typer.echo(f"  {line}")
    typer.echo(f"  score: median |ln ratio|, within x2, inside band, n:{score_text(done.score)}")
    typer.echo(f"  stored as {stored.run_id}")


def _replay_all(
    root: Path | None,
    *,
    replications: int,
    loo_params: list[str] | None,
    runs_dir: Path | None,
) -> None:
    """Every case under ``root`` (default: the bundled history): the scores per case and
    pooled; exit 2 after the table when a case folder is malformed."""
    from contingency.history.calibrate import leave_one_out
    from contingency.history.case import case_folders, load_case
    from contingency.history.replay import SCORE_HEADER, replay_case, score_text
    from contingency.history.score import Score, pooled_score
    from contingency.resources import HISTORY_DIR
    from contingency.store import RunStore

    folder = root if root is not None else HISTORY_DIR
    folders = case_folders(folder)
    if not folders:
        typer.echo(f"{folder}: no case folders", err=True)
        raise typer.Exit(code=2)
    problems: list[str] = []
    cases: list[Case] = []
    for f in folders:
        try:
            cases.append(load_case(f))
        except InputError as exc:
            problems += [str(p) for p in exc.problems]
    try:
        store = RunStore(runs_dir)
    except OSError as exc:
        _fail_os(exc)
    scores: dict[str, Score] = {}
    ratios: list[list[float | None]] = []
    typer.echo(f"{'case':<34}{SCORE_HEADER}")
    for case in cases:
        done = replay_case(case, replications=replications)
        done.store(store)
        scores[case.name] = done.score
        ratios.append([r["log_ratio"] for r in done.records])
        typer.echo(f"{case.name:<34}{score_text(done.score)}")
    typer.echo(f"{'pooled (before any fitting)':<34}{score_text(pooled_score(ratios))}")
    if loo_params is not None and len(cases) > 1:
        typer.echo(f"\nleave-one-out ({', '.join(loo_params)} fitted on the other cases):")
        typer.echo(f"{'case':<34}{'before':>33}{'with the others fit':>33}  values")
        for row in leave_one_out(cases, loo_params, before=scores):
            values = ", ".join(f"{k}={v:.3g}" for k, v in row.values.items())
            typer.echo(
                f"{row.case:<34}{score_text(row.before):>33}{score_text(row.after):>33}  {values}"
            )
    if problems:
        for p in problems:
            typer.echo(p, err=True)
        raise typer.Exit(code=2)


@app.command()
def calibrate(
    case_dir: Annotated[Path, typer.Argument(help="A case folder (scenarios/history/<case>).")],
    *,
    params: Annotated[
        str,
        typer.Option(help="Parameters to fit: processing, lanes, shelter_share, influx."),
    ],
    runs_dir: RunsDir = None,
) -> None:
    """Fit a few named parameters to a case's observations (stored as a run of kind
    `calibrate` with calibration.json). Fitted values never score the case they were fitted on:
    `replay --all --leave-one-out` uses them on the other cases."""
    import json

    from contingency.history.calibrate import apply_params
    from contingency.history.calibrate import calibrate as fit_case
    from contingency.history.replay import SCORE_HEADER, score_text
    from contingency.scenario import dump_scenario

    names = _history_params(params)
    case, store = _case_and_store(case_dir, runs_dir)
    fit = fit_case(case, names)
    fitted = apply_params(case.scenario, case.ref, fit.values)

    def write(folder: Path) -> None:
        (folder / "calibration.json").write_text(
            json.dumps(fit.as_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        (folder / "scenario.yaml").write_text(dump_scenario(fitted), encoding="utf-8")

    stored = store.save(
        write,
        scenario=case.scenario.name,
        seed=case.scenario.seed,
        kind="calibrate",
        note=f"calibration of {case.name}: {', '.join(names)}",
    )
    typer.echo(f"{case.name}: {len(fit.evaluations)} evaluations")
    for name, value in fit.values.items():
        typer.echo(f"  {name:<16}{value:.4g}")
    typer.echo(f"  {'':<16}{SCORE_HEADER}")
    typer.echo(f"  {'before':<16}{score_text(fit.before)}")
    typer.echo(f"  {'fitted':<16}{score_text(fit.after)}  (not a score of the case: see README)")
    typer.echo(f"  stored as {stored.run_id}")

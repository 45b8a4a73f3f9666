"""Exports of a saved run for the council and for other agencies' GIS tools:
PNG and PDF static maps, a standalone offline HTML map, GeoJSON, CSV tables (zip) and a
one-to-two-page PDF briefing, the after-action report of an exercise (PDF), HXL tables for
humanitarian partners (zip) and a GeoPackage of the map layers. The board offers the same
files as download buttons."""

from __future__ import annotations

import io
import json
import os
import textwrap
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from pydantic import ValidationError
from tqdm import tqdm

from contingency.errors import ScenarioError, pydantic_problems
from contingency.i18n import t
from contingency.i18n import t as ptext
from contingency.mapping.after_action import LogEntryLike, after_action_pdf
from contingency.mapping.exchange import (
    council_name,
    gpkg_bytes,
    hxl_zip,
    region_pcodes,
    spreadsheet_csv,
)
from contingency.mapping.layers import (
    HEADLINE_KEYS,
    Layers,
    build_layers,
    headline,
    item_properties,
    to_geojson,
)
from contingency.mapping.moments import at_label, default_moment, moment_label, peaks
from contingency.mapping.names import facility_label, gap_place
from contingency.mapping.static import (
    MapText,
    draw_marking,
    fit_width,
    literal_text,
    map_figure,
    plt,
)
from contingency.mapping.webmap import build_map
from contingency.metrics.gaps import format_gap_value
from contingency.refdata import RefData, load_refdata
from contingency.results import RUN_PACK, load_result
from contingency.scenario import Scenario, checkpoints_in_play
from contingency.scenario.schema import INJECT_KINDS
from contingency.scenario.sites import with_scenario_places
from contingency.summary import RunSummary

FORMATS = ("png", "pdf", "html", "geojson", "csv", "briefing", "after_action", "hxl", "gpkg")
SUFFIX = {
    "png": ".png",
    "pdf": ".pdf",
    "html": ".html",
    "geojson": ".geojson",
    "csv": ".zip",
    "briefing": ".pdf",
    "after_action": ".pdf",
    "hxl": ".zip",
    "gpkg": ".gpkg",
}
COUNCIL_NAMED = ("hxl", "gpkg")
"""Formats whose default file name is the council's (:func:`council_file_name`); the others
keep their earlier names unless asked (``council_names``)."""
MAP_TABLES = ("checkpoints_hourly", "centres_hourly", "ledger_hourly")
"""Tables only a simulation run has; every format draws from them."""
PNG_SIZE_IN = (11.69, 8.27)
PNG_DPI = 150
MARKING_ENV = "CONTINGENCY_MARKING"


@dataclass(frozen=True)
class Run:
    """A saved run, ready to draw."""

    run_id: str
    scenario: Scenario
    tables: dict[str, pd.DataFrame]
    summary: RunSummary


def load_run(run_dir: str | Path) -> Run:
    """Load a run folder written by ``run`` (tables, ``summary.json``, ``scenario.yaml``).

    The stored scenario is the toolkit's own copy: the size limit for files users hand in does
    not apply (a scenario built on the board may be larger).

    Raises
    ------
    ValueError
        The folder is not a simulation run (a stress run has no map tables) or its
        ``scenario.yaml`` is not YAML; a :class:`ScenarioError` if the scenario does not fit
        the schema. Its ids are not checked against today's ``maps/``: a run made with
        checkpoints or centres since renamed or removed still exports. Its ``maps`` (the
        absolute path of the run's map pack, if any) points to the copy in the run folder
        (``pack/``) when there is one: see :func:`run_refdata`.
    """
    run_dir = Path(run_dir)
    tables, summary = load_result(run_dir)
    missing = [name for name in MAP_TABLES if name not in tables]
    if missing:
        raise ValueError(
            f"not a simulation run (no {missing[0]}.parquet): the export formats need a run "
            "made by 'contingency run', not a stress run"
        )
    path = run_dir / "scenario.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path.name}: malformed YAML ({exc})") from None
    try:  # schema only: the run stands on its own, whatever today's maps/ holds
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(pydantic_problems(str(path), exc, tags=INJECT_KINDS)) from None
    if sc.maps is not None and (run_dir / RUN_PACK).is_dir():  # the copy that travels with it
        sc = sc.model_copy(update={"maps": str((run_dir / RUN_PACK).resolve())})
    return Run(summary.get("run_id", run_dir.name), sc, tables, summary)


def run_refdata(run: Run) -> RefData:
    """The geography a run is drawn with: the map pack its scenario named (the copy saved in
    the run folder, see :func:`load_run`), else the bundled pack; with the crossings the
    scenario brought added.

    Raises
    ------
    ValueError
        The run names a map pack that is neither in the run folder nor where it was: drawing
        it on another map would mislead.
    """
    if run.scenario.maps is None:
        return with_scenario_places(run.scenario, load_refdata())
    if not Path(run.scenario.maps).is_dir():
        raise ValueError(
            f"the run's map pack is gone ({run.scenario.maps}) and the run folder holds no "
            f"copy ({RUN_PACK}/): put the pack back there to export this run"
        )
    return with_scenario_places(run.scenario, load_refdata(run.scenario.maps))


def moment(run: Run, day: int | None, hour: int | None = None) -> int:
    """The hour shown (``time_h``, the end of an hour from the scenario's start).

    ``day`` alone: the end of that day of the scenario (1-based), its last hour. ``day`` and
    ``hour`` (1 to 24): the ``hour``-th hour of that day, as the label counts it. Neither: the
    default moment, :func:`~contingency.mapping.moments.default_moment` (the worst border
    moment), the same the board opens on.

    Raises
    ------
    ValueError
        ``day`` outside the horizon, ``hour`` outside 1-24, or ``hour`` without ``day``.
    """
    if day is None:
        if hour is not None:
            raise ValueError("--hour needs --day")
        return default_moment(run.tables)
    if not 1 <= day <= run.scenario.horizon_days:
        raise ValueError(f"--day must be between 1 and {run.scenario.horizon_days} (got {day})")
    if hour is not None and not 1 <= hour <= 24:
        raise ValueError(f"--hour must be between 1 and 24 (got {hour})")
    return (day - 1) * 24 + (24 if hour is None else hour)


def generated_line(run: Run, lang: str) -> str:
    """ "Made on … · run … · seed …" for a file's footer."""
    return t(
        "export.generated",
        lang,
        when=datetime.now().strftime("%Y-%m-%d %H:%M"),
        run_id=run.run_id,
        seed=run.summary["seed"],
    )


def _texts(run: Run, time_h: int, lang: str, marking: str | None) -> MapText:
    sc = run.scenario
    gen = generated_line(run, lang)
    footer = f"{t('export.sources', lang)}\n{t('export.disclaimer', lang)}\n{gen}"
    return MapText(
        t("export.map_title", lang, scenario=sc.title_in(lang)),
        moment_label(sc.start, time_h, lang),
        footer,
        marking,
    )


def _layers(run: Run, ref: RefData, time_h: int) -> Layers:
    return build_layers(run.tables, run.summary, ref, time_h, scenario=run.scenario)


def render(
    run: Run,
    fmt: str,
    *,
    lang: str = "ru",
    day: int | None = None,
    hour: int | None = None,
    time_h: int | None = None,
    marking: str | None = None,
    ref: RefData | None = None,
    log: Sequence[LogEntryLike] = (),
    on_progress: Callable[[float], object] | None = None,
) -> bytes:
    """The export as bytes (the board serves these; ``export`` writes them to a file).
    The moment shown is ``time_h`` if given, else ``day`` and ``hour`` as :func:`moment` reads
    them, else the default moment. The after-action report covers the whole run (``log``: the
    exercise log that made it; ``on_progress``: its re-runs, 0 to 1)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    ref = ref or load_refdata()
    marking = marking if marking is not None else os.environ.get(MARKING_ENV) or None
    if fmt == "after_action":
        return after_action_pdf(
            run, ref, lang=lang, log=log, marking=marking, on_progress=on_progress
        )
    time_h = time_h if time_h is not None else moment(run, day, hour)
    layers = _layers(run, ref, time_h)
    th = run.summary["thresholds"]
    if fmt in ("png", "pdf"):
        fig = map_figure(
            layers,
            ref,
            _texts(run, time_h, lang, marking),
            lang=lang,
            thresholds=th,
            size_in=PNG_SIZE_IN,
            dpi=PNG_DPI,
        )
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=PNG_DPI, metadata=_pdf_meta(run) if fmt == "pdf" else None)
        plt.close(fig)
        return buf.getvalue()
    if fmt == "html":
        text = _texts(run, time_h, lang, marking)
        m = build_map(
            layers,
            ref,
            lang=lang,
            thresholds=th,
            assets="inline",
            title=f"{text.title} — {text.subtitle}",
        )
        return m.get_root().render().encode("utf-8")
    if fmt == "geojson":
        return json.dumps(_geojson(run, layers, ref), ensure_ascii=False).encode("utf-8")
    if fmt == "gpkg":
        return gpkg_bytes(_geojson(run, layers, ref))
    if fmt == "hxl":
        return hxl_zip(layers, ref, moment=_moment_iso(run, time_h), about=_about(run, time_h))
    if fmt == "csv":
        return _csv_zip(run, layers)
    return briefing_pdf(run, ref, time_h, lang=lang, marking=marking)


def _moment_iso(run: Run, time_h: int) -> str:
    """The moment shown (the end of hour ``time_h``) on the scenario's clock, ISO 8601."""
    return (run.scenario.start + timedelta(hours=time_h)).isoformat()


def _about(run: Run, time_h: int) -> dict[str, Any]:
    """The run's identity, the moment and the attribution, as the GeoJSON carries them."""
    return {
        "scenario": run.scenario.name,
        "run_id": run.run_id,
        "seed": run.summary["seed"],
        "time_h": time_h,
        "moment": _moment_iso(run, time_h),
        "attribution": t("export.sources", "en"),
    }


def _geojson(run: Run, layers: Layers, ref: RefData) -> dict[str, Any]:
    """The layers as a GeoJSON FeatureCollection with the run's identity, the moment and the
    attribution; each region with its p-code (``pcode``, empty where the map pack has none)."""
    gj = to_geojson(layers, ref)
    codes = region_pcodes(ref)
    for f in gj["features"]:
        if f["properties"]["layer"] == "region":
            f["properties"]["pcode"] = codes.get(f["properties"]["id"], "")
    about = _about(run, layers.time_h)
    del about["time_h"]  # the collection's own ``time_h`` comes first
    return gj | about


def _pdf_meta(run: Run) -> dict:
    return {
        "Title": f"contingency: {run.scenario.name}",
        "Subject": f"run {run.run_id}",
        "Creator": "contingency",
    }


_NOT_IN_CSV = frozenset({"groups"})
"""Tables left out of the CSV zip: one row per arriving group is too large for a spreadsheet
(it stays in the run folder as Parquet)."""


def _csv_zip(run: Run, layers: Layers) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, df in run.tables.items():
            if name not in _NOT_IN_CSV:
                z.writestr(f"{name}.csv", spreadsheet_csv(df))
        items: dict[str, Sequence[Mapping[str, Any]]] = {
            "regions": layers.regions,
            "checkpoints": layers.checkpoints,
            "centres": layers.centres,
            **({"internal_origins": layers.origins} if layers.origins else {}),
        }
        for layer, rows in items.items():
            table = pd.DataFrame([item_properties(x) for x in rows])
            z.writestr(f"{layer}_at_h{layers.time_h}.csv", spreadsheet_csv(table))
        z.writestr("summary.json", json.dumps(run.summary, ensure_ascii=False, indent=2))
    return buf.getvalue()


def _assumptions(run: Run, ref: RefData, lang: str) -> list[str]:
    sc = run.scenario
    mm, pop, tr, th = sc.mode_mix, sc.population, sc.transport, sc.thresholds
    used = checkpoints_in_play(sc, ref)
    total = run.summary["ledger"]["arrived"]
    return [
        t(
            "briefing.a.trigger",
            lang,
            trigger=t(f"trigger.{sc.trigger.value}", lang),
            start=sc.start.strftime("%Y-%m-%d"),
            days=sc.horizon_days,
        ),
        t("briefing.a.influx", lang, total=f"{total:,}", n=len(used), mult=sc.influx_multiplier),
        t("briefing.a.modes", lang, **{m.value: spec.share for m, spec in mm.items()}),
        t(
            "briefing.a.population",
            lang,
            shelter=pop.needs_shelter_share,
            own=pop.own_arrangements_share,
            leave=pop.leaving_country_share,
            vuln=pop.vulnerable_share,
        ),
        t(
            "briefing.a.transport",
            lang,
            buses=tr.buses_per_day,
            seats=tr.bus_seats,
            onward=tr.onward_buses_per_day,
        ),
        t(
            "briefing.a.thresholds",
            lang,
            wa=th.wait_amber_h,
            wr=th.wait_red_h,
            oa=th.occupancy_amber,
            or_=th.occupancy_red,
        ),
        t(
            "briefing.a.refdata",
            lang,
            beds=int(ref.centres["beds_assumption"].sum()),
            centres=len(ref.centres),
        ),
        t("briefing.a.injects", lang, n=len(sc.injects)),
    ]


@literal_text()
def briefing_pdf(run: Run, ref: RefData, time_h: int, *, lang: str, marking: str | None) -> bytes:
    """Two A4-landscape pages: headline figures and the map; the top gaps and assumptions."""
    text = _texts(run, time_h, lang, marking)
    buf = io.BytesIO()
    with PdfPages(buf, metadata=_pdf_meta(run)) as pdf:
        for page in (
            _briefing_map_page(run, ref, time_h, text=text, lang=lang),
            _briefing_gaps_page(run, ref, text=text, lang=lang),
        ):
            pdf.savefig(page)
            plt.close(page)
    return buf.getvalue()


def _briefing_map_page(run: Run, ref: RefData, time_h: int, *, text: MapText, lang: str) -> Figure:
    """The map with the five headline figures of the moment above it and, beside them, the
    run's peaks with where and when."""
    th = run.summary["thresholds"]
    text = MapText(text.title, text.subtitle, text.footer, text.marking, t("briefing.title", lang))
    fig = map_figure(
        _layers(run, ref, time_h),
        ref,
        text,
        lang=lang,
        thresholds=th,
        map_rect=(0.02, 0.09, 0.96, 0.68),
    )
    figures = headline(run.tables, time_h)
    columns: list[tuple[str, str, str | None]] = [
        (_figure(figures[key]), t(f"head.{key}", lang), None) for key in HEADLINE_KEYS
    ]
    columns += _peak_columns(run, ref, lang)
    width = 0.96 / len(columns)
    for i, (value, label, note) in enumerate(columns):
        x = 0.02 + i * width
        peak = note is not None
        fig.text(
            x,
            0.87,
            value,
            fontsize=15,
            fontweight="bold",
            va="top",
            color="#b71c1c" if peak else "black",
        )
        for y, line, size in ((0.825, label, 7.5), (0.80, note, 6.5)):
            if line:
                fit_width(
                    fig,
                    fig.text(x, y, line, fontsize=size, va="top", color="#455a64"),
                    max_width=width - 0.008,
                )
    return fig


def _figure(value: float) -> str:
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def _peak_columns(run: Run, ref: RefData, lang: str) -> list[tuple[str, str, str | None]]:
    """The peak wait (where and when) and the peak of people without a bed (when)."""
    p = peaks(run.tables)
    start = run.scenario.start
    where = (
        facility_label(p["wait_checkpoint"], lang, ref, run.summary)
        + (f" ({t('side.far', lang).lower()})" if p["wait_side"] == "far" else "")
        if p["wait_checkpoint"]
        else None
    )
    wait_when = at_label(start, p["wait_time_h"])
    return [
        (
            _figure(p["wait_h"]),
            ptext("head.peak_wait", lang),
            ptext("head.where_when", lang, where=where, when=wait_when) if where else wait_when,
        ),
        (
            _figure(p["without_bed"]),
            ptext("head.peak_without_bed", lang),
            at_label(start, p["without_bed_time_h"]),
        ),
    ]


def _briefing_gaps_page(run: Run, ref: RefData, *, text: MapText, lang: str) -> Figure:
    """The top gaps (red first) and the scenario's assumptions."""
    fig = plt.figure(figsize=(11.69, 8.27))
    draw_marking(fig, text.marking)
    fig.text(0.04, 0.94, t("briefing.top_gaps", lang), fontsize=13, fontweight="bold", va="top")
    gaps = run.summary["gaps"][:12]
    y = 0.89
    if not gaps:
        fig.text(0.04, y, t("briefing.no_gaps", lang), fontsize=9, va="top")
        y -= 0.04
    for g in gaps:
        colour = "#c62828" if g["severity"] == "red" else "#f9a825"
        fig.text(0.04, y, "■", color=colour, fontsize=11, va="top")
        line = (
            f"{gap_place(g, lang, ref, run.summary)} — "
            f"{t('metric.' + g['metric'], lang)}: {format_gap_value(g)} · "
            f"{t('gaps.first_time', lang)} {g['first_time'].replace('T', ' ')[:16]}"
        )
        wrapped = textwrap.fill(line, width=150)
        fig.text(0.065, y, wrapped, fontsize=8.5, va="top")
        y -= 0.037 + 0.022 * wrapped.count("\n")
    y -= 0.03
    fig.text(0.04, y, t("briefing.assumptions", lang), fontsize=13, fontweight="bold", va="top")
    y -= 0.05
    for line in _assumptions(run, ref, lang):
        fig.text(0.05, y, "• " + line, fontsize=8.5, va="top")
        y -= 0.035
    fig.text(0.04, 0.02, text.footer, fontsize=6, va="bottom", color="#455a64")
    return fig


def export(
    run_dir: str | Path,
    fmt: str,
    *,
    lang: str = "ru",
    day: int | None = None,
    hour: int | None = None,
    out: str | Path | None = None,
    marking: str | None = None,
    log: Sequence[LogEntryLike] = (),
    progress: bool = False,
    council_names: bool = False,
) -> Path:
    """Write one export of the run in ``run_dir`` to ``out`` (a file, or a folder to write it
    into under its default name; default ``RUN_DIR/exports/``); return the file written.
    ``log`` and ``progress`` (a terminal bar for its re-runs): the after-action report's.
    ``council_names``: the default name is the council's (:func:`council_file_name`) for every
    format, not only for those of :data:`COUNCIL_NAMED`."""
    run = load_run(run_dir)
    with tqdm(
        total=100,
        desc=f"{run.scenario.name}: {fmt}",
        unit="%",
        delay=2.0,
        disable=not progress or fmt != "after_action",
    ) as bar:
        data = render(
            run,
            fmt,
            lang=lang,
            day=day,
            hour=hour,
            marking=marking,
            ref=run_refdata(run),
            log=log,
            on_progress=lambda f: bar.update(round(100 * f) - bar.n),
        )
    if out is None or Path(out).is_dir():
        folder = Path(run_dir) / "exports" if out is None else Path(out)
        if council_names or fmt in COUNCIL_NAMED:
            name = council_file_name(run, fmt, moment(run, day, hour))
        else:
            name = _file_name(run, fmt, lang=lang, day=day, hour=hour)
        out = folder / name
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def council_file_name(run: Run, fmt: str, time_h: int) -> str:
    """The council's name for an export: ``<scenario>_<product>_<YYYYMMDD>`` and the format's
    suffix, so a council pack sorts by scenario, product and date. The product is the format
    (``briefing``, ``after_action``, ``hxl``...); the date is that of the hour shown (ending at
    ``time_h``) on the scenario's clock, as the labels show it: an hour ending at midnight is of
    its own date. The after-action report covers the whole run: the date of its last hour.
    Neither the language nor the hour is in the name."""
    if fmt == "after_action":
        time_h = int(run.tables["ledger_hourly"]["time_h"].max())
    return council_name(run.scenario.name, fmt, hour_date(run, time_h), SUFFIX[fmt])


def hour_date(run: Run, time_h: int) -> date:
    """The date, on the scenario's clock, of the hour that ends at ``time_h``."""
    return (run.scenario.start + timedelta(hours=time_h - 1)).date()


def _file_name(run: Run, fmt: str, *, lang: str, day: int | None, hour: int | None) -> str:
    """``SCENARIO-KIND-MOMENT-LANG.SUFFIX``; the after-action report covers the whole run and
    names no moment."""
    if fmt == "after_action":
        return f"{run.scenario.name}-after_action-{lang}{SUFFIX[fmt]}"
    # "peak" is the name earlier runs' files carry: the default moment is the worst one
    tag = "peak" if day is None else f"day{day}" if hour is None else f"day{day}h{hour}"
    kind = "briefing" if fmt == "briefing" else "map" if fmt in ("png", "pdf", "html") else fmt
    return f"{run.scenario.name}-{kind}-{tag}-{lang}{SUFFIX[fmt]}"

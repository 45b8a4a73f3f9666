"""The after-action report of an exercise: a PDF with the timeline of its injects (what, where,
who and why, and when on the exercise clock and the real one), the measured effect of each
against its baseline (the same scenario and seed with only the injects before it), the gaps the
injects opened and closed, and the figures at the end.

Effects are measured by running the scenario again, once per inject, so the report of a long
scenario takes a while (``on_progress`` follows it)."""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from contingency.board.numbers import number
from contingency.board.targets import target_label
from contingency.i18n import t
from contingency.mapping.moments import clock_span, moment_label, scenario_day
from contingency.mapping.names import gap_place
from contingency.mapping.static import draw_marking, literal_text, plt
from contingency.metrics.delta import (
    HOUR_FIGURES,
    Delta,
    compare,
    figure_label,
    hours_digits,
    sentences,
    signed,
)
from contingency.metrics.gaps import Gap
from contingency.refdata import RefData, load_refdata
from contingency.results import RunResult, run_scenario
from contingency.scenario import Scenario
from contingency.scenario.load import check_references
from contingency.scenario.schema import INJECT_BY_KIND, AnyInject
from contingency.scenario.sites import with_scenario_places

if TYPE_CHECKING:
    from contingency.mapping.export import Run

PAGE_IN = (11.69, 8.27)
"""A4 landscape, as the briefing."""
_TOP, _BOTTOM, _LEFT = 0.92, 0.07, 0.05
_CHARS_AT_9PT = 128
"""Characters of a line of 9 pt text across the page (Cyrillic and Kazakh letters are wide)."""


class LogEntryLike(Protocol):
    """A line of an exercise log (``contingency.store.exercise.LogEntry``) as the report reads
    it: an ``inject`` entry gives the real time and the operator of the inject it added."""

    @property
    def real_time(self) -> str: ...
    @property
    def exercise_h(self) -> float: ...
    @property
    def operator(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def inject(self) -> dict[str, Any] | None: ...
    @property
    def note(self) -> str: ...


@dataclass(frozen=True)
class Measured:
    """The re-runs of a scenario: ``runs[0]`` without any inject, ``runs[i]`` with the first
    ``i`` injects in time order; ``problem`` says why there are none."""

    runs: tuple[RunResult, ...] = ()
    problem: str | None = None


def in_time_order(sc: Scenario) -> list[AnyInject]:
    """The scenario's injects by ``at_h`` (as written where two share an hour)."""
    return [sc.injects[i] for i in _order(sc)]


def _order(sc: Scenario) -> list[int]:
    return sorted(range(len(sc.injects)), key=lambda i: (sc.injects[i].at_h, i))


def remeasure(
    sc: Scenario, seed: int, *, on_progress: Callable[[float], object] | None = None
) -> Measured:
    """Run ``sc`` with ``seed`` without injects, then adding one inject at a time in time order
    (each run keeps the scenario's own order of the injects it holds). The runs use the map
    pack the scenario names (else the bundled one); a scenario that no longer fits it (a run
    made with ids since renamed) is not run again."""
    pack = load_refdata(sc.maps) if sc.maps is not None else load_refdata()
    problems = check_references("scenario.yaml", sc, pack)
    if problems:
        return Measured(problem=str(problems[0]))
    order = _order(sc)
    runs = []
    for k in range(len(order) + 1):
        kept = set(order[:k])
        variant = sc.model_copy(
            update={"injects": [inj for i, inj in enumerate(sc.injects) if i in kept]}
        )
        runs.append(run_scenario(variant, pack, seed=seed))
        if on_progress is not None:
            on_progress((k + 1) / (len(order) + 1))
    return Measured(runs=tuple(runs))


@literal_text()
def after_action_pdf(
    run: Run,
    ref: RefData,
    *,
    lang: str,
    log: Sequence[LogEntryLike] = (),
    marking: str | None = None,
    on_progress: Callable[[float], object] | None = None,
) -> bytes:
    """The after-action report of ``run`` in ``lang`` as PDF bytes (A4 landscape pages).

    ``log``: the exercise log that made the run, if any (its ``inject`` entries give each
    inject's real time and operator); ``on_progress``: called with the fraction of the re-runs
    done (0 to 1)."""
    sc = run.scenario
    ref = with_scenario_places(sc, ref)  # names of the crossings and sites it adds
    measured = (
        remeasure(sc, int(run.summary["seed"]), on_progress=on_progress)
        if sc.injects
        else Measured()
    )
    buf = io.BytesIO()
    with PdfPages(buf, metadata=_meta(run)) as pdf:
        pages = _Pages(pdf, marking=marking, footer=_footer(run, lang))
        pages.heading(t("aar.title", lang), size=15)
        pages.line(sc.title_in(lang), size=11)
        end = int(run.tables["ledger_hourly"]["time_h"].max())
        pages.line(moment_label(sc.start, end, lang), size=9, colour="#37474f")
        pages.space()
        _timeline(pages, run, ref, lang=lang, log=log, measured=measured)
        _gaps_section(pages, run, ref, lang=lang, measured=measured)
        _figures_section(pages, run, ref, lang=lang, measured=measured)
        pages.close()
    return buf.getvalue()


def _meta(run: Run) -> dict[str, str]:
    return {
        "Title": f"contingency: {run.scenario.name} (after action)",
        "Subject": f"run {run.run_id}",
        "Creator": "contingency",
    }


def _footer(run: Run, lang: str) -> str:
    from contingency.mapping.export import generated_line  # export imports this module

    return f"{t('export.disclaimer', lang)}\n{generated_line(run, lang)}"


def _timeline(
    pages: _Pages,
    run: Run,
    ref: RefData,
    *,
    lang: str,
    log: Sequence[LogEntryLike],
    measured: Measured,
) -> None:
    """Each inject in time order: when, what, where, who and why, and its measured effect."""
    sc = run.scenario
    pages.heading(t("aar.timeline", lang))
    if not sc.injects:
        pages.line(t("aar.no_injects", lang))
        return
    if measured.problem:
        pages.line(t("aar.not_measured", lang, problem=measured.problem), colour="#b71c1c")
    entries = _log_entries(in_time_order(sc), log)
    for i, inj in enumerate(in_time_order(sc)):
        pages.space(0.4)
        pages.line(f"{_when(sc, inj.at_h, lang)} — {_what(inj, sc, ref, lang)}", bold=True)
        pages.line(t("aar.by", lang, by=inj.by or t("aar.unknown", lang)), indent=0.02)
        entry = entries[i]
        why = inj.note or (entry.note if entry is not None else "") or t("aar.unknown", lang)
        pages.line(t("aar.why", lang, note=why), indent=0.02)
        if entry is not None:
            real = t("aar.real", lang, when=_real_time(entry.real_time), operator=entry.operator)
            pages.line(real, indent=0.02, colour="#37474f")
        if measured.runs:
            base, with_it = measured.runs[i], measured.runs[i + 1]
            _effect(pages, compare(base, with_it, ref), ref, lang=lang, summary=with_it.summary)
    _lever_lines(pages, sc, log, lang=lang)


def _lever_lines(pages: _Pages, sc: Scenario, log: Sequence[LogEntryLike], *, lang: str) -> None:
    """Lever changes of the exercise log: when and by whom (their effect is in the figures at
    the end: every run of this report, the one without injects included, has them)."""
    levers = [e for e in log if e.action == "levers"]
    if not levers:
        return
    pages.space(0.4)
    pages.line(t("aar.levers", lang), bold=True)
    for e in levers:
        when = _when(sc, e.exercise_h, lang)
        real = t("aar.real", lang, when=_real_time(e.real_time), operator=e.operator)
        pages.line(f"{when} — {real}", indent=0.02)


def _effect(
    pages: _Pages, delta: Delta, ref: RefData, *, lang: str, summary: Mapping[str, Any]
) -> None:
    said = sentences(delta, lang, ref, summary)
    pages.line(
        t("aar.effect", lang) + ": " + ("; ".join(said) if said else t("aar.no_effect", lang)),
        indent=0.02,
    )
    for key, gaps in (("aar.opened", delta.opened), ("aar.closed", delta.closed)):
        if gaps:
            places = ", ".join(_gap_text(g, lang, ref, summary) for g in gaps)
            pages.line(t(key, lang) + ": " + places, indent=0.02)


def _when(sc: Scenario, at_h: float, lang: str) -> str:
    """The exercise clock at ``at_h`` (the hour it falls in, with the day and hour of the
    scenario, as the board's moment label counts them)."""
    time_h = math.floor(at_h) + 1
    day, hour = scenario_day(time_h)
    return t("aar.when", lang, moment=clock_span(sc.start, time_h), day=day, hour=hour)


def _what(inj: AnyInject, sc: Scenario, ref: RefData, lang: str) -> str:
    kind = INJECT_BY_KIND[inj.kind].target_kind
    target = target_label(kind, inj.target, lang, sc=sc, ref=ref)
    side = getattr(inj.params, "side", None)
    where = f"{target} ({t(f'side.{side}', lang).lower()})" if side == "far" else target
    return f"{t(f'inject.{inj.kind}', lang)}: {where}"


def _real_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def _log_entries(
    injects: Sequence[AnyInject], log: Sequence[LogEntryLike]
) -> list[LogEntryLike | None]:
    """For each inject, the log entry that added it (each entry matched once, among those
    still in force: an undone inject's entry never names who added a later one): the same
    kind, target and time."""
    free: list[LogEntryLike] = []
    for e in log:
        if e.action == "inject" and e.inject is not None:
            free.append(e)
        elif e.action == "undo" and free:
            free.pop()
    out: list[LogEntryLike | None] = []
    for inj in injects:
        match = next((e for e in free if _same(e.inject or {}, inj)), None)
        if match is not None:
            free.remove(match)
        out.append(match)
    return out


def _same(data: dict[str, Any], inj: AnyInject) -> bool:
    try:
        at_h = float(data.get("at_h", math.nan))
    except (TypeError, ValueError):
        return False
    return data.get("kind") == inj.kind and data.get("target") == inj.target and at_h == inj.at_h


def _gap_text(g: Gap, lang: str, ref: RefData, summary: Mapping[str, Any]) -> str:
    severity = t(f"severity.{g['severity']}", lang)
    return f"{gap_place(g, lang, ref, summary)} ({t('metric.' + g['metric'], lang)}, {severity})"


def _gap_value(g: Gap, lang: str) -> str:
    """A gap's worst value in ``lang``'s digits: people per bed, hours or persons."""
    digits = {"occupancy_ratio": 2, "max_wait_h": 1, "far_wait_h": 1}.get(g["metric"], 0)
    return number(float(g["value"]), lang, digits=digits)


def _gaps_section(pages: _Pages, run: Run, ref: RefData, *, lang: str, measured: Measured) -> None:
    """The gaps the injects together opened, closed, worsened and eased (against the scenario
    without them), then every gap of the run with when it began."""
    pages.space()
    pages.heading(t("aar.gaps", lang))
    summary: Mapping[str, Any] = run.summary
    if len(measured.runs) > 1:
        delta = compare(measured.runs[0], measured.runs[-1], ref)
        for key in ("opened", "closed", "worsened", "eased"):
            gaps: tuple[Gap, ...] = getattr(delta, key)
            text = ", ".join(_gap_text(g, lang, ref, summary) for g in gaps) or "—"
            pages.line(f"{t(f'aar.{key}', lang)}: {text}")
        pages.space(0.4)
    pages.line(t("aar.gaps_end", lang), bold=True)
    if not run.summary["gaps"]:
        pages.line(t("briefing.no_gaps", lang), indent=0.02)
    for g in run.summary["gaps"]:
        line = (
            f"{_gap_text(g, lang, ref, summary)}: {_gap_value(g, lang)} · "
            f"{t('gaps.first_time', lang)} {g['first_time'].replace('T', ' ')[:16]}"
        )
        pages.line(line, indent=0.02)


def _figures_section(
    pages: _Pages, run: Run, ref: RefData, *, lang: str, measured: Measured
) -> None:
    """The figures at the end: the run's, and beside them the scenario's without injects."""
    pages.space()
    pages.heading(t("aar.figures", lang))
    stored = RunResult(run.scenario, run.tables, run.summary)
    delta = compare(measured.runs[0] if measured.runs else stored, stored, ref)
    for c in delta.figures:
        digits = 1 if c.key in HOUR_FIGURES else 0
        line = f"{figure_label(c.key, lang)}: {number(c.run, lang, digits=digits)}"
        if measured.runs:
            change = signed(c.change, lang, digits=hours_digits(c.change) if digits else 0)
            line += " · " + t(
                "aar.without_injects",
                lang,
                value=number(c.base, lang, digits=digits),
                change=change or "0",
            )
        pages.line(line, indent=0.02)


class _Pages:
    """Lines of text flowing down A4 pages, each with the marking and the footer."""

    def __init__(self, pdf: PdfPages, *, marking: str | None, footer: str) -> None:
        self.pdf, self.marking, self.footer = pdf, marking, footer
        self.fig: Figure | None = None
        self.y = _TOP

    def _page(self) -> Figure:
        if self.fig is None:
            self.fig = plt.figure(figsize=PAGE_IN)
            draw_marking(self.fig, self.marking)
            self.fig.text(_LEFT, 0.02, self.footer, fontsize=6, va="bottom", color="#455a64")
            self.y = _TOP
        return self.fig

    def _flush(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            plt.close(self.fig)
            self.fig = None

    def line(
        self,
        text: str,
        *,
        size: float = 9,
        bold: bool = False,
        colour: str = "black",
        indent: float = 0.0,
    ) -> None:
        """``text`` wrapped to the page width, on a new page when this one is full."""
        width = int(_CHARS_AT_9PT * 9 / size * (1 - 1.1 * indent))
        wrapped = textwrap.wrap(text, width=width) or [""]
        step = size * 1.5 / 72 / PAGE_IN[1]
        for part in wrapped:
            if self.y - step < _BOTTOM:
                self._flush()
            fig = self._page()
            weight = "bold" if bold else "normal"
            fig.text(
                _LEFT + indent,
                self.y,
                part,
                fontsize=size,
                fontweight=weight,
                va="top",
                color=colour,
            )
            self.y -= step

    def heading(self, text: str, *, size: float = 13) -> None:
        if self.y < _BOTTOM + 0.12:  # a heading never ends a page
            self._flush()
        self.line(text, size=size, bold=True)
        self.space(0.3)

    def space(self, lines: float = 1.0) -> None:
        self.y -= lines * 9 * 1.5 / 72 / PAGE_IN[1]

    def close(self) -> None:
        self._page()  # at least one page
        self._flush()

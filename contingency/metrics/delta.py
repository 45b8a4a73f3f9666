"""What a decision changed: a run against its baseline (the same scenario and seed before the
decision), up to one moment. Figures, per-facility peaks, persons moved per road and the gaps
that opened, closed, worsened or eased; and the biggest effects in plain words.

Everything is counted from the start to the end of hour ``time_h``: a decision taken later
has no effect yet."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from contingency.board.numbers import number
from contingency.board.targets import node_name
from contingency.i18n import t
from contingency.mapping.layers import headline, routed_by
from contingency.mapping.moments import peaks
from contingency.mapping.names import facility_label
from contingency.metrics.gaps import Gap, centre_present, find_gaps, gap_order, unmet_gaps
from contingency.refdata import RefData
from contingency.results import RunResult

FIGURE_KEYS = (
    "arrived",
    "processed",
    "in_beds",
    "waiting_border",
    "longest_wait",
    "overflow",
    "unmet",
    "peak_wait",
    "peak_without_bed",
)
"""The figures compared, in the order a reader sees them: persons, except the two waits (h)."""
HOUR_FIGURES = frozenset({"longest_wait", "peak_wait"})
"""Figures in hours; the others count persons."""
FLOOR_H = 0.5
"""The smallest change of a wait worth a sentence, h."""
FLOOR_PERSONS = 50
"""The smallest change of persons worth a sentence."""
MAX_SENTENCES = 6
_HOURLY = ("checkpoints_hourly", "centres_hourly", "ledger_hourly", "unmet_daily")
"""Tables with a ``time_h`` column, cut at the moment compared."""
_WAITS = ("wait_max_h", "far_wait_max_h")


@dataclass(frozen=True)
class Change:
    """One figure in both runs; ``key`` names the figure, the facility or the road
    (``from--to``)."""

    key: str
    base: float
    run: float

    @property
    def change(self) -> float:
        """The run's figure less the baseline's."""
        return self.run - self.base


@dataclass(frozen=True)
class Delta:
    """A run against its baseline up to the end of hour ``time_h``."""

    time_h: int
    figures: tuple[Change, ...]
    """Every figure of :data:`FIGURE_KEYS`, in that order (the headline ones at ``time_h``, the
    peaks and ``processed`` up to it)."""
    wait_h: tuple[Change, ...]
    """Per checkpoint: the longest wait on either side, h. Largest change first."""
    processed: tuple[Change, ...]
    """Per checkpoint: persons of the influx processed."""
    present: tuple[Change, ...]
    """Per centre: the most people present at one hour (in beds, overflow, registering)."""
    without_bed: tuple[Change, ...]
    """Per centre: the most people without a bed at one hour."""
    roads: tuple[Change, ...]
    """Per road the map draws (``from--to``): persons moved onward over it."""
    opened: tuple[Gap, ...]
    """Gaps in the run and not in the baseline."""
    closed: tuple[Gap, ...]
    """Gaps in the baseline and not in the run (the baseline's gap)."""
    worsened: tuple[Gap, ...]
    """Amber in the baseline, red in the run (the run's gap)."""
    eased: tuple[Gap, ...]
    """Red in the baseline, amber in the run (the run's gap)."""

    def figure(self, key: str) -> Change:
        """The figure ``key`` of :data:`FIGURE_KEYS`."""
        return next(c for c in self.figures if c.key == key)


def compare(base: RunResult, run: RunResult, ref: RefData, *, time_h: int | None = None) -> Delta:
    """``run`` against ``base``, from the start to the end of hour ``time_h`` (default: the
    last hour both runs have). ``ref``: the map the runs are drawn on (a road it cannot place
    is left out, as the map leaves it out)."""
    last = int(
        min(
            base.tables["ledger_hourly"]["time_h"].max(),
            run.tables["ledger_hourly"]["time_h"].max(),
        )
    )
    time_h = last if time_h is None else max(1, min(int(time_h), last))
    b, r = _upto(base.tables, time_h), _upto(run.tables, time_h)
    fb, fr = _figures(b, time_h), _figures(r, time_h)
    gaps_b, gaps_r = _gaps(base, b), _gaps(run, r)
    return Delta(
        time_h=time_h,
        figures=tuple(Change(k, fb[k], fr[k]) for k in FIGURE_KEYS),
        wait_h=_changes(_peak_waits(b), _peak_waits(r)),
        processed=_changes(_processed(b), _processed(r)),
        present=_changes(_centre_peak(b, present=True), _centre_peak(r, present=True)),
        without_bed=_changes(_centre_peak(b, present=False), _centre_peak(r, present=False)),
        roads=_changes(_roads(b, ref, time_h), _roads(r, ref, time_h)),
        opened=tuple(g for k, g in gaps_r.items() if k not in gaps_b),
        closed=tuple(g for k, g in gaps_b.items() if k not in gaps_r),
        worsened=_shifted(gaps_b, gaps_r, before="amber", after="red"),
        eased=_shifted(gaps_b, gaps_r, before="red", after="amber"),
    )


def _upto(tables: Mapping[str, pd.DataFrame], time_h: int) -> dict[str, pd.DataFrame]:
    out = dict(tables)
    for name in _HOURLY:
        if name in out and "time_h" in out[name]:
            out[name] = out[name].loc[out[name]["time_h"] <= time_h]
    return out


def _figures(tables: Mapping[str, pd.DataFrame], time_h: int) -> dict[str, float]:
    figures: dict[str, float] = dict(headline(tables, time_h))
    p = peaks(tables)
    centres = tables["centres_hourly"]
    figures["processed"] = float(tables["checkpoints_hourly"]["processed"].sum())
    figures["in_beds"] = float(centres.loc[centres["time_h"] == time_h, "occupancy"].sum())
    figures["peak_wait"] = float(p["wait_h"])
    figures["peak_without_bed"] = float(p["without_bed"])
    return figures


def _peak_waits(tables: Mapping[str, pd.DataFrame]) -> pd.Series:
    cps = tables["checkpoints_hourly"]
    waits = [c for c in _WAITS if c in cps]  # older runs: our side only
    return cps.groupby("checkpoint")[waits].max().max(axis=1).fillna(0.0).round(1)


def _processed(tables: Mapping[str, pd.DataFrame]) -> pd.Series:
    return tables["checkpoints_hourly"].groupby("checkpoint")["processed"].sum()


def _centre_peak(tables: Mapping[str, pd.DataFrame], *, present: bool) -> pd.Series:
    """Per centre the most people present (``present``) or without a bed at one hour."""
    centres = tables["centres_hourly"]
    values = centre_present(centres) if present else centres["overflow"]
    return values.groupby(centres["centre"]).max()


def _roads(tables: Mapping[str, pd.DataFrame], ref: RefData, time_h: int) -> pd.Series:
    """Persons moved per road edge by the last allocation before ``time_h``, on roads whose two
    ends ``ref`` places (as the map draws corridors)."""
    cor = tables.get("corridors_daily")
    if cor is None or cor.empty:
        return pd.Series(dtype=float)
    cor = cor.loc[(cor["day"] <= routed_by(time_h)) & cor["from"].isin(ref.road_nodes.index)]
    cor = cor.loc[cor["to"].isin(ref.road_nodes.index)]
    return cor.groupby(cor["from"] + "--" + cor["to"])["persons"].sum()


def _changes(base: pd.Series, run: pd.Series) -> tuple[Change, ...]:
    """Per key of either series (a missing one counts 0), the keys with a figure in either run;
    the largest change first, then by key."""
    keys = sorted(set(map(str, base.index)) | set(map(str, run.index)))
    b = {str(k): float(v) for k, v in base.items()}
    r = {str(k): float(v) for k, v in run.items()}
    out = [Change(k, b.get(k, 0.0), r.get(k, 0.0)) for k in keys]
    out = [c for c in out if c.base or c.run]
    return tuple(sorted(out, key=lambda c: (-abs(c.change), c.key)))


def _gaps(res: RunResult, tables: Mapping[str, pd.DataFrame]) -> dict[tuple[str, str], Gap]:
    """The run's gaps up to the cut, by (facility, metric), red first."""
    sc = res.scenario
    cps, centres = tables["checkpoints_hourly"], tables["centres_hourly"]
    gaps = find_gaps(cps, centres, sc.thresholds, sc.start)
    if "unmet_daily" in tables:
        gaps += unmet_gaps(tables["unmet_daily"], centres, sc.start)
    return {(g["facility"], g["metric"]): g for g in sorted(gaps, key=gap_order)}


def _shifted(
    base: Mapping[tuple[str, str], Gap],
    run: Mapping[tuple[str, str], Gap],
    *,
    before: str,
    after: str,
) -> tuple[Gap, ...]:
    return tuple(
        g
        for k, g in run.items()
        if g["severity"] == after and k in base and base[k]["severity"] == before
    )


def signed(value: float, lang: str, *, digits: int = 0) -> str:
    """``value`` with its sign, ``+31`` or ``−2 400`` (a true minus), in ``lang``'s digits."""
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return sign + number(abs(value), lang, digits=digits)


def hours_digits(value: float) -> int:
    """Decimals to show of a change of ``value`` hours: one below 10 h, none from 10 h."""
    return 1 if abs(value) < 10 else 0


def figure_label(key: str, lang: str) -> str:
    """The label of a figure of :data:`FIGURE_KEYS`."""
    assert key in FIGURE_KEYS, key
    if key in ("processed", "in_beds"):
        return t(f"delta.fig.{key}", lang)
    return t(f"head.{key}", lang)


def sentences(delta: Delta, lang: str, ref: RefData, summary: Mapping[str, Any]) -> list[str]:
    """The biggest effects in plain words in ``lang``, largest first, at most
    :data:`MAX_SENTENCES`: changes of a checkpoint's wait of at least :data:`FLOOR_H` h and of
    persons (processed at a checkpoint, present or without a bed at a centre, moved over a road)
    of at least :data:`FLOOR_PERSONS`. A change is weighed against its floor to rank hours and
    persons together. Places by name (``summary``: the run's, for its centres), never by id."""
    ranked: list[tuple[float, str]] = []
    for c in delta.wait_h:
        if abs(c.change) >= FLOOR_H:
            text = t(
                "delta.s.wait",
                lang,
                change=signed(c.change, lang, digits=hours_digits(c.change)),
                place=facility_label(c.key, lang, ref, summary),
            )
            ranked.append((abs(c.change) / FLOOR_H, text))
    groups: tuple[tuple[str, Iterable[Change]], ...] = (
        ("delta.s.processed", delta.processed),
        ("delta.s.present", delta.present),
        ("delta.s.without_bed", delta.without_bed),
        ("delta.s.road", delta.roads),
    )
    for key, changes in groups:
        for c in changes:
            if abs(c.change) >= FLOOR_PERSONS:
                place = _road_name(c.key, lang, ref) if key == "delta.s.road" else None
                place = place or facility_label(c.key, lang, ref, summary)
                text = t(key, lang, change=signed(c.change, lang), place=place)
                ranked.append((abs(c.change) / FLOOR_PERSONS, text))
    ranked.sort(key=lambda x: (-x[0], x[1]))
    return [text for _, text in ranked[:MAX_SENTENCES]]


def _road_name(key: str, lang: str, ref: RefData) -> str:
    """A road ``from--to`` as "Шымкент — Тараз"."""
    return " — ".join(node_name(n, lang, ref) for n in key.split("--", 1))

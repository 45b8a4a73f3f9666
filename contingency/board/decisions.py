"""The decisions on the board: the levers and live injects applied on top of the scenario, kept
either in this browser session or, during a shared exercise, in the exercise's log in the run
store (so every screen following the exercise applies the same ones).

A decision is checked before it is kept: the scenario with it must validate, so no screen is
ever left with a state it cannot draw (an invalid inject is refused with its problems)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

from contingency.board.login import SESSION_KEY
from contingency.refdata import RefData
from contingency.scenario import Scenario, scenario_digest
from contingency.store.exercise import (
    Action,
    Exercise,
    ExerciseState,
    LogEntry,
    now_utc,
    replay,
    state_scenario,
)

DECISIONS: tuple[Action, ...] = ("inject", "undo", "levers")
"""Log actions that change what is applied (``start`` does not)."""


@dataclass(frozen=True)
class Decisions:
    """What is applied now, what was before the latest decision, and where they are kept."""

    now: ExerciseState
    before_last: ExerciseState | None
    """The state before the latest decision; None when nothing was decided yet."""
    exercise: Exercise | None = None
    version: tuple[int, int] = field(default=(-1, -1))
    """The exercise log's version these decisions were read at."""
    latest_h: float | None = None
    """The exercise hour of the latest decision (None: none yet)."""
    decided: int = 0
    """How many decisions the log holds (a new one changes it)."""
    skipped: int = 0
    """Log lines that could not be read."""

    @property
    def any(self) -> bool:
        return bool(self.now.levers or self.now.injects)


def operator(lang_default: str) -> str:
    """Who is at this screen: the signed-in user, else ``lang_default`` (the local operator)."""
    signed = st.session_state.get(SESSION_KEY)
    return str(signed[0]) if signed else lang_default


def current(ex: Exercise | None, *, session: bool) -> Decisions:
    """The decisions in force: from the exercise log; else from this session when ``session``
    (a controller's), else none (a viewer sees the scenario as written, whatever its session
    holds)."""
    if ex is not None:
        version = ex.version()
        entries, skipped = ex.read()
        marks = [i for i, e in enumerate(entries) if e.action in DECISIONS]
        before = replay(entries[: marks[-1]]) if marks else None
        latest = entries[marks[-1]].exercise_h if marks else None
        return Decisions(replay(entries), before, ex, version, latest, len(marks), skipped)
    if not session:
        return Decisions(ExerciseState(), None)
    ss = st.session_state
    now = ExerciseState(levers=dict(ss["levers"]), injects=list(ss["live_injects"]))
    prev = ss.get("before_last")
    return Decisions(now, prev)


def after(
    d: Decisions, action: Action, *, inject: dict | None, levers: dict | None
) -> ExerciseState:
    """The state ``d`` would be in after ``action``."""
    now = d.now
    if action == "inject" and inject is not None:
        return replace(now, injects=[*now.injects, inject])
    if action == "undo":
        return replace(now, injects=now.injects[:-1])
    if action == "levers" and levers is not None:
        return replace(now, levers=levers)
    return now


def decide(
    d: Decisions,
    action: Action,
    *,
    base: Scenario,
    ref: RefData,
    seed: int,
    exercise_h: float,
    who: str,
    inject: dict[str, Any] | None = None,
    levers: dict[str, Any] | None = None,
    note: str = "",
) -> None:
    """Check a decision (the scenario with it must validate: an :class:`InputError` says why
    not, and nothing is kept) and keep it: in the exercise log when there is one, with the
    digest of the scenario it leads to, else in this session."""
    state = after(d, action, inject=inject, levers=levers)
    sc = state_scenario(base, ref, state)  # raises InputError: refused, nothing written
    if d.exercise is not None:
        digest = scenario_digest(sc.model_copy(update={"seed": seed}))
        d.exercise.append(
            LogEntry(
                now_utc(),
                exercise_h,
                who,
                action,
                inject=inject,
                note=note,
                levers=levers,
                digest=digest,
            )
        )
        return
    ss = st.session_state
    ss["before_last"] = d.now
    ss["live_injects"] = state.injects
    ss["levers"] = state.levers


def merged_levers(now: dict[str, Any], shown: dict[str, Any], applied: dict[str, Any]) -> dict:
    """The levers in force after an Apply: ``now`` with only what the controller changed
    (``applied`` differs from ``shown``, the values the widgets showed), so a change made
    meanwhile on another screen is kept."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in now.items()}
    for key, value in applied.items():
        if isinstance(value, dict):
            before = shown.get(key, {})
            changed = {i: v for i, v in value.items() if before.get(i) != v}
            if changed:
                out[key] = {**out.get(key, {}), **changed}
        elif shown.get(key) != value:
            out[key] = value
    return out

"""The decisions on the board: the levers and live injects applied on top of the scenario, kept
either in this browser session or, during a shared exercise, in the exercise's log in the run
store (so every screen following the exercise applies the same ones)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from contingency.board.login import SESSION_KEY
from contingency.store.exercise import Action, Exercise, ExerciseState, LogEntry, now_utc, replay

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
        entries = ex.entries()
        marks = [i for i, e in enumerate(entries) if e.action in DECISIONS]
        before = replay(entries[: marks[-1]]) if marks else None
        return Decisions(replay(entries), before, ex, version)
    if not session:
        return Decisions(ExerciseState(), None)
    ss = st.session_state
    now = ExerciseState(levers=dict(ss["levers"]), injects=list(ss["live_injects"]))
    prev = ss.get("before_last")
    return Decisions(now, prev)


def decide(
    d: Decisions,
    action: Action,
    *,
    exercise_h: float,
    who: str,
    inject: dict[str, Any] | None = None,
    levers: dict[str, Any] | None = None,
    note: str = "",
) -> None:
    """Record a decision: in the exercise log when there is one, else in this session."""
    if d.exercise is not None:
        d.exercise.append(
            LogEntry(now_utc(), exercise_h, who, action, inject=inject, note=note, levers=levers)
        )
        return
    ss = st.session_state
    ss["before_last"] = d.now
    if action == "inject" and inject is not None:
        ss["live_injects"] = [*ss["live_injects"], inject]
    elif action == "undo" and ss["live_injects"]:
        ss["live_injects"] = ss["live_injects"][:-1]
    elif action == "levers" and levers is not None:
        ss["levers"] = levers

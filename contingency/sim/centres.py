"""After the border: bus transfers to transit hubs, reception and rehabilitation centres,
intake, beds, overflow and length of stay, stepped hour by hour with aggregate (not
per-person) accounting.

People who cross needing shelter may first register at a registration point (the checkpoint's),
then wait at the checkpoint's transfer point for a seat on the national bus pool; a share of
those who came by car drive on by themselves (to a region, or to a centre). Buses take them to
the nearest open centre of the right kind with free places (for reception: a transit hub or a
reception centre; the nearest one of all when none has room). At a centre they queue for its
intake (``intake_per_hour``), then take a place or wait in overflow. Each cohort that takes a
place leaves after a log-normal length of stay (hours at a transit hub, days elsewhere); daily
or hourly the router places those ready to leave in regions (onward routing). People it cannot
place keep their place: unmet demand, never dropped. Displaced people from inside the country
start at a transfer point of their own; people leaving the country transit for a while, then
leave. A centre whose places are cut below the people in it sends the rest on by bus.
"""

from __future__ import annotations

import functools
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Generic, NamedTuple, TypeVar, cast, overload

import numpy as np

from contingency.domain import CentreKind
from contingency.refdata import RefData
from contingency.routing.network import RoadNetwork
from contingency.routing.onward import Router
from contingency.scenario import Scenario
from contingency.scenario.influx import largest_remainder
from contingency.scenario.plan import CentrePlan, Plan, resolve
from contingency.scenario.schema import AnyInject, MobileUnit
from contingency.sim.injects import DownstreamAction, downstream_action
from contingency.sim.internal import InternalOrigins
from contingency.sim.rng import stream

T = TypeVar("T")

STAY_CV = 0.5
"""Coefficient of variation of length of stay (assumption)."""
KINDS: tuple[str, ...] = tuple(k.value for k in CentreKind)
WAITING_KINDS = (CentreKind.rehabilitation, CentreKind.reception)
"""What people at a transfer point wait for; seats go first to those triaged to
rehabilitation."""
DESTINATIONS: dict[str, tuple[str, ...]] = {
    CentreKind.reception: (CentreKind.transit, CentreKind.reception),
    CentreKind.rehabilitation: (CentreKind.rehabilitation,),
}
"""The centre kinds that take people waiting for each kind of place."""


@dataclass(frozen=True)
class CentreSpec:
    """What a centre is at the start of a run."""

    id: str
    kind: str
    node: str
    region: str
    beds: int
    intake_per_hour: float
    pmf: np.ndarray
    """Probability of leaving after 1, 2, ... hours; the last cell is 'after the horizon'."""
    is_open: bool
    opens_at_h: float | None
    """When it opens (None: when an inject opens it)."""


@dataclass
class CentreArrays:
    """Every centre's numbers, one entry per centre (one column of the per-hour tables), so
    the hour's intake, admissions and departures are worked out for all centres at once."""

    beds: np.ndarray
    intake_per_hour: np.ndarray
    is_open: np.ndarray
    reg_queue: np.ndarray
    overflow: np.ndarray
    occupied: np.ndarray
    ready: np.ndarray
    """In a bed, stay over, waiting for an onward place (unmet demand while it lasts)."""
    intake_last_h: np.ndarray
    """Persons registered in the last hour."""
    intake_credit: np.ndarray
    turnover: np.ndarray
    """People who took a place here so far."""
    departures: np.ndarray
    """People whose stay ends, by hour (rows) and centre."""
    leaving_departures: np.ndarray
    """People leaving the country who wait here, by the hour they go (rows) and centre."""

    @classmethod
    def of(cls, specs: list[CentreSpec], n_hours: int) -> CentreArrays:
        k = len(specs)

        def zeros() -> np.ndarray:
            return np.zeros(k, dtype=np.int64)

        return cls(
            beds=np.array([s.beds for s in specs], dtype=np.int64),
            intake_per_hour=np.array([s.intake_per_hour for s in specs], dtype=float),
            is_open=np.array([s.is_open for s in specs], dtype=bool),
            reg_queue=zeros(),
            overflow=zeros(),
            occupied=zeros(),
            ready=zeros(),
            intake_last_h=zeros(),
            intake_credit=np.zeros(k),
            turnover=zeros(),
            departures=np.zeros((n_hours + 2, k), dtype=np.int64),
            leaving_departures=np.zeros((n_hours + 2, k), dtype=np.int64),
        )


class _Cell(Generic[T]):
    """A centre's entry in one of :class:`CentreArrays`' arrays, as a plain number."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, c: None, owner: type | None = None) -> _Cell[T]: ...

    @overload
    def __get__(self, c: Centre, owner: type | None = None) -> T: ...

    def __get__(self, c: Centre | None, owner: type | None = None) -> T | _Cell[T]:
        if c is None:  # looked up on the class
            return self
        return cast(T, getattr(c.arrays, self.name)[c.j].item())

    def __set__(self, c: Centre, value: T) -> None:
        getattr(c.arrays, self.name)[c.j] = value


class Centre:
    """One centre: what it is, and its numbers (entry ``j`` of ``arrays``)."""

    beds = _Cell[int]()
    intake_per_hour = _Cell[float]()
    is_open = _Cell[bool]()
    reg_queue = _Cell[int]()
    overflow = _Cell[int]()
    occupied = _Cell[int]()
    ready = _Cell[int]()
    intake_last_h = _Cell[int]()
    intake_credit = _Cell[float]()
    turnover = _Cell[int]()

    def __init__(self, spec: CentreSpec, arrays: CentreArrays, j: int):
        self.id, self.kind, self.node, self.region = spec.id, spec.kind, spec.node, spec.region
        self.pmf = spec.pmf
        self.opens_at_h = spec.opens_at_h
        self.arrays, self.j = arrays, j

    @property
    def departures(self) -> np.ndarray:
        """People whose stay here ends, by hour (a view: writes go to the arrays)."""
        return self.arrays.departures[:, self.j]

    @property
    def leaving_departures(self) -> np.ndarray:
        """People leaving the country who wait here, by the hour they go (a view)."""
        return self.arrays.leaving_departures[:, self.j]

    @property
    def present(self) -> int:
        """People here: registering, in a place or in overflow."""
        return self.reg_queue + self.occupied + self.overflow


@functools.lru_cache(maxsize=256)
def stay_pmf(mean_days: float, n_hours: int, *, cv: float = STAY_CV) -> np.ndarray:
    """Log-normal length of stay rounded to whole hours 1..n_hours (a stay under 1.5 h is
    1 h), plus a tail cell (read-only: kept for the next run)."""
    pmf = _stay_pmf(mean_days, n_hours, cv)
    pmf.flags.writeable = False
    return pmf


def _stay_pmf(mean_days: float, n_hours: int, cv: float) -> np.ndarray:
    sigma2 = math.log(1 + cv**2)
    mu = math.log(mean_days * 24) - sigma2 / 2
    edges = np.concatenate([[0.0], np.arange(1, n_hours + 1, dtype=float) + 0.5])
    z = (np.log(np.maximum(edges, 1e-9)) - mu) / math.sqrt(2 * sigma2)
    cdf = 0.5 * (1 + np.array([math.erf(v) for v in z]))
    cdf[0] = 0.0
    return np.append(np.diff(cdf), 1 - cdf[-1])


def mobile_unit_id(index: int, node: str) -> str:
    """Centre id of the ``index``-th mobile unit inject of a scenario (0-based)."""
    return f"mobile_{index + 1}_{node}"


@dataclass
class Transfer:
    """People waiting at one place for a bus, by the kind of place they go to: a checkpoint's
    transfer point, an internal origin, or a centre whose places were cut."""

    node: str
    waiting: dict[str, int] = field(default_factory=lambda: dict.fromkeys(WAITING_KINDS, 0))
    internal: bool = False
    """Displaced people from inside the country wait here."""


@dataclass
class Registration:
    """One registration point: ``share`` of the persons arriving at ``at`` queue here, at most
    ``per_hour`` an hour register, in order of arrival; then they go on as they would have."""

    at: str
    per_hour: float
    share: float
    queue: deque[list] = field(default_factory=deque)
    """Batches ``[persons left, what they go on to]`` in order of arrival."""
    credit: float = 0.0
    registered_last_h: int = 0

    @property
    def waiting(self) -> int:
        return sum(b[0] for b in self.queue)

    def join(self, persons: int, then: object) -> int:
        """Queue ``share`` of ``persons`` (rounded); return how many of them skip it."""
        here = round(persons * self.share)
        if here:
            self.queue.append([here, then])
        return persons - here

    def release(self) -> list[tuple[int, object]]:
        """Register this hour's persons (an idle desk does not bank time); what they go on to."""
        self.credit += self.per_hour
        can = int(self.credit)
        out: list[tuple[int, object]] = []
        done = 0
        while self.queue and done < can:
            batch = self.queue[0]
            k = min(batch[0], can - done)
            batch[0] -= k
            done += k
            out.append((k, batch[1]))
            if batch[0] == 0:
                self.queue.popleft()
        self.credit -= done
        if not self.queue:
            self.credit %= 1.0
        self.registered_last_h = done
        return out


class Crossed(NamedTuple):
    """Persons who passed our control at one checkpoint in one hour, by where they go."""

    reception: int = 0
    rehabilitation: int = 0
    self_arranged: int = 0
    leaving: int = 0
    reception_by_car: int = 0
    """Of ``reception``, those who came by car (who may drive on by themselves)."""


class Downstream:
    """Hourly state of transfers and centres; ``step(h)`` moves the clock to hour ``h``."""

    def __init__(
        self,
        sc: Scenario,
        ref: RefData,
        checkpoints: list[str],
        *,
        route: bool = True,
        plan: Plan | None = None,
        record_routes: bool = True,
        network: RoadNetwork | None = None,
    ):
        """``network``: the road network to route on (every road opened first); by default
        one built from ``ref``."""
        self.sc, self.ref = sc, ref
        self.n_hours = sc.horizon_days * 24
        self.rng = stream(sc.seed, "centres")
        plan = plan or resolve(sc, ref)
        specs = [self._spec(c) for c in plan.centres.values()]
        self._mobile: dict[int, str] = {}
        for i, inj in enumerate(i for i in sc.injects if isinstance(i, MobileUnit)):
            cid = self._mobile[id(inj)] = mobile_unit_id(i, inj.target)
            p = inj.params
            stay_days = p.stay_hours_mean / 24 if p.stay_hours_mean else p.stay_days_mean
            specs.append(
                CentreSpec(
                    id=cid,
                    kind=p.centre_kind.value,
                    node=inj.target,
                    region=cast(str, ref.road_nodes.at[inj.target, "region_iso"]),
                    beds=0,
                    intake_per_hour=p.intake_per_hour,
                    pmf=stay_pmf(stay_days, self.n_hours),
                    is_open=False,
                    opens_at_h=None,
                )
            )
        self.arrays = CentreArrays.of(specs, self.n_hours)
        self.centres = {s.id: Centre(s, self.arrays, j) for j, s in enumerate(specs)}
        self._pmfs = [s.pmf for s in specs]
        self._by_col = list(self.centres.values())
        self._kind_of = np.array([KINDS.index(s.kind) for s in specs], dtype=np.int64)
        self.transfers = {cp: Transfer(str(ref.checkpoints.at[cp, "node"])) for cp in checkpoints}
        self.internal = InternalOrigins(sc, ref)
        for key, node in self.internal.nodes.items():
            self.transfers[internal_transfer_id(key)] = Transfer(node, internal=True)
        self.in_flight = np.zeros((self.n_hours + 2, len(self.centres)), dtype=np.int64)
        self.internal_landing = np.zeros(self.n_hours + 2, dtype=np.int64)
        """Displaced people from inside the country reaching a centre, by hour."""
        self.inbound = np.zeros(len(self.centres), dtype=np.int64)
        self.seat_credit = 0.0
        self.seats_per_hour = sc.transport.buses_per_day * sc.transport.bus_seats / 24.0
        self.self_arranged = 0
        self.left_country = 0
        self.relocated = 0
        self.leaving = np.zeros(self.n_hours + 2, dtype=np.int64)
        """People leaving the country on their own, by the hour they go."""
        self.left_via: dict[str, int] = {}
        self.self_drive: dict[str, int] = {}
        """People with cars at each checkpoint waiting for the router to give them a region."""
        self.self_transport: dict[str, int] = {}
        """People who drove to each region by themselves."""
        self.registration = [
            Registration(r.at, r.per_hour, r.share) for r in sc.registration_points
        ]
        self.registration_log: list[tuple[int, str, int, int]] = []
        self._points: dict[str, Registration] = {}
        for point in self.registration:  # the first point named for a place is its point
            self._points.setdefault(point.at, point)
        self._centre_points = [
            (j, self._points[cid]) for j, cid in enumerate(self.centres) if cid in self._points
        ]
        self.internal_entered = 0
        self.network = network or RoadNetwork(ref.road_graph())
        self.network.reopen_all()
        self.router = Router(sc, ref, self.network, record=record_routes) if route else None
        self.onward = np.zeros(self.n_hours + 2, dtype=np.int64)
        """Persons on the road to their region, by hour of arrival."""
        self._onward_credit: dict[str, float] = {}
        self.unmet_log: list[tuple[int, str, int]] = []
        self._events = _after_border_events(sc.injects)
        self.transported = np.zeros((sc.horizon_days, len(self.centres)), dtype=np.int64)
        """Persons put on buses per day, by destination centre."""
        self._ranking: dict[tuple, tuple[list[Centre], np.ndarray, list[float]]] = {}
        self._free: list[int] | None = None
        """While buses are dispatched: each centre's free places (see :meth:`_dispatch`)."""
        self._roads_and_open: tuple | None = None
        """While buses are dispatched: the roads closed and the centres open (which stay)."""

    def _spec(self, c: CentrePlan) -> CentreSpec:
        return CentreSpec(
            id=c.id,
            kind=c.kind,
            node=c.node,
            region=c.region,
            beds=c.beds,
            intake_per_hour=c.intake_per_hour,
            pmf=stay_pmf(c.stay_days_mean, self.n_hours),
            is_open=c.opens_at_h == 0,
            opens_at_h=c.opens_at_h,
        )

    def mobile_unit(self, inj: MobileUnit) -> Centre:
        """The (closed until it fires) centre of a mobile unit inject of this scenario."""
        return self.centres[self._mobile[id(inj)]]

    # ------------------------------------------------------------ helpers
    def _apply_events(self, h: int) -> None:
        while self._events and self._events[0][0].at_h < h:  # happened before this hour ends
            _, apply = self._events.pop(0)
            apply(self, h)
        for j in np.flatnonzero(~self.arrays.is_open).tolist():
            c = self._by_col[j]
            if c.opens_at_h is not None and c.opens_at_h < h:
                c.is_open = True
                c.opens_at_h = None  # opened once: a later closure is not undone here

    def _destinations(
        self, node: str, kind: str, n: int, h: int
    ) -> list[tuple[Centre, int, float]]:
        """Fill the nearest open centres that take ``kind`` with free places (when people
        leave centres every hour, also the places freed by the time a bus sent now arrives);
        the rest to the nearest one."""
        ranked, cols, hours = self._ranked(node, kind)
        if not ranked:
            return []
        if self.sc.routing.dispatch == "daily" and self._free is not None:
            return _fill(ranked, hours, self._free, n)
        free = self._free_places() if self._free is None else np.array(self._free)
        if self.sc.routing.dispatch == "hourly":  # those due to leave before the bus is there
            for j, t in zip(cols.tolist(), hours, strict=True):  # make room
                free[j] += self.arrays.departures[h + 1 : h + max(1, math.ceil(t)) + 1, j].sum()
        return _fill(ranked, hours, free.tolist(), n)

    def _free_places(self) -> np.ndarray:
        """Each centre's places not taken, nor promised to people registering or on a bus."""
        a = self.arrays
        return a.beds - a.occupied - a.overflow - a.reg_queue - self.inbound

    def _ranked(self, node: str, kind: str) -> tuple[list[Centre], np.ndarray, list[float]]:
        """The open centres reachable from ``node`` that take ``kind``, nearest first (ties by
        id), their columns and travel hours; kept while the roads and the open centres stay
        as they are."""
        state = self._roads_and_open or (self.network.closed, self.arrays.is_open.tobytes())
        key = (node, kind, state)
        ranked = self._ranking.get(key)
        if ranked is None:
            dist = self.network.travel_h(node)
            kinds = DESTINATIONS.get(kind, (kind,))
            near = sorted(
                (
                    c
                    for c in self.centres.values()
                    if c.kind in kinds and c.is_open and c.node in dist
                ),
                key=lambda c: (dist[c.node], c.id),
            )
            cols = np.array([c.j for c in near], dtype=np.int64)
            ranked = self._ranking[key] = (near, cols, [dist[c.node] for c in near])
        return ranked

    def _send(self, h: int, dests: list[tuple[Centre, int, float]], *, internal: bool) -> None:
        for c, m, hours in dests:
            arrive = min(h + max(1, math.ceil(hours)), self.n_hours + 1)
            self.in_flight[arrive, c.j] += m
            self.inbound[c.j] += m
            if self._free is not None:
                self._free[c.j] -= m
            if internal:
                self.internal_landing[arrive] += m

    # ------------------------------------------------------------ the hour
    def add_crossings(self, cp: str, crossed: Crossed, h: int) -> None:
        """People who passed our control at ``cp`` in hour ``h``: a share registers there
        first (when it is a registration point), then each goes on."""
        point = self._point(cp)
        if point is None:
            self._go_on(cp, crossed, h)
            return
        for part in _parts(crossed):
            skip = point.join(part.total, (cp, part))
            if skip:
                self._go_on(cp, _scaled(part, skip), h)

    def _point(self, at: str) -> Registration | None:
        return self._points.get(at)

    def _go_on(self, cp: str, crossed: Crossed, h: int) -> None:
        t = self.transfers[cp]
        share = self.sc.onward.self_transport_share
        drive = round(crossed.reception_by_car * share)
        t.waiting[CentreKind.reception] += crossed.reception - drive
        t.waiting[CentreKind.rehabilitation] += crossed.rehabilitation
        if drive:
            if self.sc.onward.self_transport_to == "centre":
                self._send(
                    h, self._destinations(t.node, CentreKind.reception, drive, h), internal=False
                )
            else:
                self.self_drive[cp] = self.self_drive.get(cp, 0) + drive
        self.self_arranged += crossed.self_arranged
        self._leave(cp, crossed.leaving, h)

    def _leave(self, came_in: str, n: int, h: int) -> None:
        """``n`` people leaving the country: they transit (on their own or at ``wait_at``),
        then leave through ``via`` (where they came in, if none)."""
        if n == 0:
            return
        rule = self.sc.leaving
        via = rule.via
        if via is None:
            outs = {came_in: n}
        elif isinstance(via, str):
            outs = {via: n}
        else:
            split = largest_remainder(np.array([v.share for v in via]), n)
            outs = {v.checkpoint: int(k) for v, k in zip(via, split, strict=True) if k}
        for cp, k in outs.items():
            self.left_via[cp] = self.left_via.get(cp, 0) + k
        go = min(h + math.ceil(rule.transit_h), self.n_hours + 1)
        if rule.transit_h == 0 and rule.wait_at is None:
            self.left_country += n
        elif rule.wait_at is not None and rule.wait_at in self.centres:
            c = self.centres[rule.wait_at]
            c.occupied += n
            c.turnover += n
            c.leaving_departures[max(go, h + 1)] += n
        else:
            self.leaving[max(go, h + 1)] += n

    def step(self, h: int) -> None:
        """Advance to the end of hour ``h`` (1-based): events, departures, registration,
        onward placement, dispatch, arrivals, intake."""
        self._apply_events(h)
        self.left_country += int(self.leaving[h])
        self.leaving[h] = 0
        a = self.arrays
        a.ready += a.departures[h]
        gone = a.leaving_departures[h].copy()
        a.leaving_departures[h] = 0  # gone: what the cells hold is still to leave
        a.occupied -= gone
        self.left_country += int(gone.sum())
        self.relocated += int(self.onward[h])
        self.onward[h] = 0
        self._internal_arrivals(h)
        self._register(h)
        if self.router is None:
            a.occupied -= a.ready
            self.relocated += int(a.ready.sum())
            a.ready[:] = 0
            for cp, n in list(self.self_drive.items()):
                self.relocated += n
                self.self_drive[cp] = 0
        elif self.sc.routing.dispatch == "hourly" or h % 24 == 0:
            self._route(h)
        self._dispatch(h)
        self.internal_entered += int(self.internal_landing[h])
        self._intake(h)

    def _intake(self, h: int) -> None:
        """Every centre at once: buses landing (a registration point at the centre takes its
        share), intake at the centre's pace, places for those registered, and when each
        admitted person will leave (drawn centre by centre, in order)."""
        a = self.arrays
        landed = self.in_flight[h].copy()
        self.inbound -= landed
        self.in_flight[h] = 0
        for j, point in self._centre_points:
            if landed[j]:
                landed[j] = point.join(int(landed[j]), point.at)
        a.reg_queue += landed
        a.intake_credit += a.intake_per_hour
        registered = np.minimum(a.reg_queue, a.intake_credit.astype(np.int64))
        # an idle registration desk does not bank time: only a fraction of a person carries
        a.intake_credit = np.remainder(a.intake_credit - registered, 1.0)
        a.reg_queue -= registered
        a.intake_last_h = registered
        a.overflow += registered
        admit = np.maximum(0, np.minimum(a.overflow, a.beds - a.occupied))
        a.overflow -= admit
        a.occupied += admit
        a.turnover += admit
        for j in np.flatnonzero(admit).tolist():
            stay = self.rng.multinomial(int(admit[j]), self._pmfs[j])
            tail = stay[: self.n_hours - h]
            a.departures[h + 1 : h + 1 + len(tail), j] += tail

    def _register(self, h: int) -> None:
        for point in self.registration:
            for n, then in point.release():
                if isinstance(then, str):  # registered at a centre: on to its intake
                    self.centres[then].reg_queue += n
                else:
                    cp, part = cast(tuple[str, _Part], then)
                    self._go_on(cp, _scaled(part, n), h)
            self.registration_log.append((h, point.at, point.waiting, point.registered_last_h))

    def _internal_arrivals(self, h: int) -> None:
        for key, arriving in self.internal.at_hour(h).items():
            t = self.transfers[internal_transfer_id(key)]
            t.waiting[CentreKind.reception] += arriving.reception
            t.waiting[CentreKind.rehabilitation] += arriving.rehabilitation
            self.self_arranged += arriving.self_arranged
            self._leave(key, arriving.leaving, h)

    def _onward_seats(self, origins: list[str]) -> dict[str, int] | None:
        """Seats per origin this call: a day's worth when routing daily; when hourly, a 24th of
        a day's a hour per origin, unused seats banked up to a day's worth."""
        if self.router is None or self.sc.routing.dispatch == "daily":
            return None
        daily = self.router.seats
        out = {}
        for o in origins:
            credit = min(self._onward_credit.get(o, 0.0) + daily / 24.0, float(daily))
            self._onward_credit[o] = credit
            out[o] = int(credit)
        return out

    def _route(self, h: int) -> None:
        assert self.router is not None
        day = (h - 1) // 24
        ready = {c.id: (c.node, c.ready) for c in self.centres.values() if c.ready > 0}
        seats = self._onward_seats(list(ready))
        placements, unplaced = self.router.route_day(day, ready, seats=seats)
        for p in placements:
            c = self.centres[p.origin]
            c.ready -= p.persons
            c.occupied -= p.persons
            if seats is not None:
                self._onward_credit[p.origin] -= p.persons
            self.onward[min(h + max(1, math.ceil(p.travel_h)), self.n_hours + 1)] += p.persons
        for cid, n in unplaced.items():
            self.unmet_log.append((h, cid, n))
        drivers = {
            self_drive_id(cp): (self.transfers[cp].node, n)
            for cp, n in self.self_drive.items()
            if n > 0
        }
        if drivers:  # own cars: no seats needed
            moved, _ = self.router.route_day(day, drivers, seats=dict.fromkeys(drivers, 10**9))
            for p in moved:
                cp = p.origin.removeprefix(SELF_DRIVE)
                self.self_drive[cp] -= p.persons
                self.self_transport[p.region] = self.self_transport.get(p.region, 0) + p.persons
                self.onward[min(h + max(1, math.ceil(p.travel_h)), self.n_hours + 1)] += p.persons

    def _dispatch(self, h: int) -> None:
        """Share this hour's seats among the transfer points by how many wait there. Seats
        nobody needs this hour are not banked beyond one hour's worth (buses wait for people,
        they do not multiply)."""
        self.seat_credit = min(self.seat_credit + self.seats_per_hour, 2 * self.seats_per_hour)
        seats = int(self.seat_credit)
        want = np.array([sum(t.waiting.values()) for t in self.transfers.values()], dtype=float)
        if seats == 0 or want.sum() == 0:
            return
        total = int(want.sum())
        if seats >= total:  # a seat for everyone: what the largest remainder gives then
            give = want.astype(int)
        else:
            give = np.minimum(largest_remainder(want, seats), want).astype(int)
        # places free now, less those taken by each bus sent (nothing else changes meanwhile)
        self._free = self._free_places().tolist()
        self._roads_and_open = (self.network.closed, self.arrays.is_open.tobytes())
        day = self.transported[(h - 1) // 24]
        try:
            for t, n in zip(self.transfers.values(), give.tolist(), strict=True):
                for kind in WAITING_KINDS if n else ():
                    k = min(n, t.waiting[kind])
                    if k == 0:
                        continue
                    dests = self._destinations(t.node, kind, k, h)
                    if not dests:  # no centre of this kind reachable: the seats stay unused
                        continue
                    t.waiting[kind] -= k
                    n -= k
                    self.seat_credit -= k
                    self._send(h, dests, internal=t.internal)
                    for c, m, _ in dests:
                        day[c.j] += m
        finally:
            self._free = self._roads_and_open = None

    # ------------------------------------------------------------ places cut
    def cut_places(self, cid: str, beds: int, h: int) -> None:
        """Set centre ``cid``'s places to ``beds``; people in places above that are moved:
        those ready to leave first, then others (taken off their departures, latest first),
        to a transfer point at the centre, to be taken by bus to other centres."""
        c = self.centres[cid]
        c.beds = beds
        excess = c.occupied - beds
        if excess <= 0:
            return
        leaving_here = int(c.leaving_departures.sum())
        ready = min(excess, c.ready)
        c.ready -= ready
        staying = excess - ready
        future = c.departures[h + 1 :]
        from_departures = min(staying, int(future.sum()))
        left = from_departures
        for j in range(len(future) - 1, -1, -1):  # the latest to leave go first
            if left == 0:
                break
            k = min(left, int(future[j]))
            future[j] -= k
            left -= k
        # people whose stay runs past the horizon are in no departure cell
        moved = ready + from_departures + max(0, staying - from_departures)
        moved = min(moved, c.occupied - leaving_here)
        c.occupied -= moved
        t = self.transfers.setdefault(moved_transfer_id(cid), Transfer(c.node))
        kind = (
            CentreKind.rehabilitation
            if c.kind == CentreKind.rehabilitation
            else (CentreKind.reception)
        )
        t.waiting[kind] += moved
        c.is_open = c.is_open and beds > 0

    # ------------------------------------------------------------ accounting
    def ledger(self) -> dict[str, int]:
        waiting_transfer = sum(sum(t.waiting.values()) for t in self.transfers.values())
        a = self.arrays
        here = np.bincount(self._kind_of, weights=a.reg_queue + a.occupied, minlength=len(KINDS))
        by_kind = {kind: int(here[k]) for k, kind in enumerate(KINDS)}  # whole: exact
        return {
            "in_transit": waiting_transfer
            + int(self.inbound.sum())  # everyone on a bus to a centre (in_flight, summed)
            + int(self.onward.sum())
            + sum(self.self_drive.values()),
            "in_reception": by_kind[CentreKind.reception],
            "in_rehabilitation": by_kind[CentreKind.rehabilitation],
            "overflow_waiting": int(a.overflow.sum()),
            "relocated": self.relocated,
            "self_arranged": self.self_arranged,
            "left_country": self.left_country,
            "registering": sum(r.waiting for r in self.registration),
            "in_transit_hubs": by_kind[CentreKind.transit],
            "leaving_in_transit": int(self.leaving.sum()),
        }


SELF_DRIVE = "self_drive:"


def self_drive_id(cp: str) -> str:
    """The router's origin id of people driving on by themselves from checkpoint ``cp``."""
    return f"{SELF_DRIVE}{cp}"


def internal_transfer_id(key: str) -> str:
    """The transfer point of displaced people from internal origin ``key``."""
    return f"internal:{key}"


def moved_transfer_id(cid: str) -> str:
    """The transfer point of people moved out of centre ``cid`` when its places were cut."""
    return f"moved:{cid}"


@dataclass(frozen=True)
class _Part:
    """One kind of crossers in a registration queue: ``total`` persons going on as
    ``crossed``."""

    total: int
    crossed: Crossed


def _fill(
    ranked: list[Centre], hours: list[float], free: list[int], n: int
) -> list[tuple[Centre, int, float]]:
    """``n`` persons to the ``ranked`` centres (``hours`` away) with free places (``free``,
    by centre column), nearest first; the rest to the nearest one."""
    out, left = [], n
    for c, t in zip(ranked, hours, strict=True):
        f = free[c.j]
        if f > 0:
            take = min(f, left)
            out.append((c, take, t))
            left -= take
            if left == 0:
                return out
    out.append((ranked[0], left, hours[0]))
    return out


def _parts(crossed: Crossed) -> list[_Part]:
    """A crossing split by where people go, so a registration queue can let part through."""
    out = []
    by_car = crossed.reception_by_car
    if crossed.reception - by_car:
        out.append(_Part(crossed.reception - by_car, Crossed(reception=crossed.reception - by_car)))
    if by_car:
        out.append(_Part(by_car, Crossed(reception=by_car, reception_by_car=by_car)))
    for name in ("rehabilitation", "self_arranged", "leaving"):
        n = getattr(crossed, name)
        if n:
            out.append(_Part(n, Crossed(**{name: n})))
    return out


def _scaled(part: _Part | Crossed, n: int) -> Crossed:
    """``n`` persons of one kind of crossers (a part holds a single kind)."""
    c = part.crossed if isinstance(part, _Part) else part
    return Crossed(
        reception=n if c.reception else 0,
        rehabilitation=n if c.rehabilitation else 0,
        self_arranged=n if c.self_arranged else 0,
        leaving=n if c.leaving else 0,
        reception_by_car=n if c.reception_by_car else 0,
    )


def _after_border_events(injects: list[AnyInject]) -> list[tuple[AnyInject, DownstreamAction]]:
    """The injects that act after the border, with what each does, in time order."""
    acting = [(inj, a) for inj in injects if (a := downstream_action(inj)) is not None]
    return sorted(acting, key=lambda e: e[0].at_h)

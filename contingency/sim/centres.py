"""After the border: bus transfers to reception and rehabilitation centres, intake, beds,
overflow and length of stay, stepped hour by hour with aggregate (not per-person) accounting.

People who cross needing shelter wait at the checkpoint's transfer point for a seat on the
national bus pool; buses take them to the nearest centre of the right kind with free beds
(the nearest one of all when none has room). At a centre they queue for registration
(``intake_per_hour``), then take a bed or wait in overflow. Each cohort that takes a bed leaves
after a log-normal length of stay; once a day the router places those ready to leave in
regions (onward routing). People it cannot place keep their bed: unmet demand, never dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import cast

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
from contingency.sim.rng import stream

STAY_CV = 0.5
"""Coefficient of variation of length of stay (assumption)."""
KINDS: tuple[str, ...] = tuple(k.value for k in CentreKind)
DISPATCH_ORDER = (CentreKind.rehabilitation, CentreKind.reception)
"""Seats go first to people triaged to rehabilitation."""


@dataclass
class Centre:
    id: str
    kind: str
    node: str
    region: str
    beds: int
    intake_per_hour: float
    pmf: np.ndarray
    """Probability of leaving after 1, 2, ... hours; the last cell is 'after the horizon'."""
    reg_queue: int = 0
    overflow: int = 0
    occupied: int = 0
    is_open: bool = True
    ready: int = 0
    intake_last_h: int = 0
    """Persons registered in the last hour."""
    """In a bed, stay over, waiting for an onward place (unmet demand while it lasts)."""
    intake_credit: float = 0.0
    departures: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def stay_pmf(mean_days: float, n_hours: int, *, cv: float = STAY_CV) -> np.ndarray:
    """Log-normal length of stay discretised to whole hours 1..n_hours, plus a tail cell."""
    sigma2 = math.log(1 + cv**2)
    mu = math.log(mean_days * 24) - sigma2 / 2
    edges = np.arange(0, n_hours + 1, dtype=float)
    z = (np.log(np.maximum(edges, 1e-9)) - mu) / math.sqrt(2 * sigma2)
    cdf = 0.5 * (1 + np.array([math.erf(v) for v in z]))
    cdf[0] = 0.0
    return np.append(np.diff(cdf), 1 - cdf[-1])


def mobile_unit_id(index: int, node: str) -> str:
    """Centre id of the ``index``-th mobile unit inject of a scenario (0-based)."""
    return f"mobile_{index + 1}_{node}"


@dataclass
class Transfer:
    """People waiting at one checkpoint for a bus, by the kind of centre they go to."""

    node: str
    waiting: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))


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
    ):
        self.sc, self.ref = sc, ref
        self.n_hours = sc.horizon_days * 24
        self.rng = stream(sc.seed, "centres")
        plan = plan or resolve(sc, ref)
        self.centres = {cid: self._centre(c) for cid, c in plan.centres.items()}
        self._mobile: dict[int, str] = {}
        for i, inj in enumerate(i for i in sc.injects if isinstance(i, MobileUnit)):
            cid = self._mobile[id(inj)] = mobile_unit_id(i, inj.target)
            self.centres[cid] = Centre(
                id=cid,
                kind=inj.params.centre_kind.value,
                node=inj.target,
                region=cast(str, ref.road_nodes.at[inj.target, "region_iso"]),
                beds=0,
                intake_per_hour=inj.params.intake_per_hour,
                pmf=stay_pmf(inj.params.stay_days_mean, self.n_hours),
                departures=np.zeros(self.n_hours + 2, dtype=np.int64),
                is_open=False,
            )
        self.transfers = {cp: Transfer(str(ref.checkpoints.at[cp, "node"])) for cp in checkpoints}
        self.in_flight = np.zeros((self.n_hours + 2, len(self.centres)), dtype=np.int64)
        self._col = {cid: j for j, cid in enumerate(self.centres)}
        self.inbound = np.zeros(len(self.centres), dtype=np.int64)
        self.seat_credit = 0.0
        self.seats_per_hour = sc.transport.buses_per_day * sc.transport.bus_seats / 24.0
        self.self_arranged = 0
        self.left_country = 0
        self.relocated = 0
        self.network = RoadNetwork(ref.road_graph())
        self.router = Router(sc, ref, self.network) if route else None
        self.onward = np.zeros(self.n_hours + 2, dtype=np.int64)
        """Persons on the road to their region, by hour of arrival."""
        self.unmet_log: list[tuple[int, str, int]] = []
        self._events = _after_border_events(sc.injects)
        self.transported = np.zeros((sc.horizon_days, len(self.centres)), dtype=np.int64)
        """Persons put on buses per day, by destination centre."""

    def _centre(self, c: CentrePlan) -> Centre:
        return Centre(
            id=c.id,
            kind=c.kind,
            node=c.node,
            region=c.region,
            beds=c.beds,
            intake_per_hour=c.intake_per_hour,
            pmf=stay_pmf(c.stay_days_mean, self.n_hours),
            departures=np.zeros(self.n_hours + 2, dtype=np.int64),
        )

    def mobile_unit(self, inj: MobileUnit) -> Centre:
        """The (closed until it fires) centre of a mobile unit inject of this scenario."""
        return self.centres[self._mobile[id(inj)]]

    # ------------------------------------------------------------ helpers
    def _apply_events(self, h: int) -> None:
        while self._events and self._events[0][0].at_h < h:  # happened before this hour ends
            _, apply = self._events.pop(0)
            apply(self)

    def _destinations(self, node: str, kind: str, n: int) -> list[tuple[Centre, int, float]]:
        """Fill the nearest centres of ``kind`` with free beds; the rest to the nearest one."""
        dist = self.network.travel_h(node)
        ranked = sorted(
            (c for c in self.centres.values() if c.kind == kind and c.is_open and c.node in dist),
            key=lambda c: (dist[c.node], c.id),
        )
        if not ranked:
            return []
        out, left = [], n
        for c in ranked:
            inbound = int(self.inbound[self._col[c.id]])
            free = c.beds - c.occupied - c.overflow - c.reg_queue - inbound
            if free > 0:
                take = min(free, left)
                out.append((c, take, dist[c.node]))
                left -= take
                if left == 0:
                    return out
        out.append((ranked[0], left, dist[ranked[0].node]))
        return out

    # ------------------------------------------------------------ the hour
    def add_crossings(
        self, cp: str, *, reception: int, rehabilitation: int, self_arranged: int, leaving: int
    ) -> None:
        t = self.transfers[cp]
        t.waiting[CentreKind.reception] += reception
        t.waiting[CentreKind.rehabilitation] += rehabilitation
        self.self_arranged += self_arranged
        self.left_country += leaving

    def step(self, h: int) -> None:
        """Advance to the end of hour ``h`` (1-based): departures, dispatch, arrivals, intake."""
        self._apply_events(h)
        for c in self.centres.values():
            c.ready += int(c.departures[h])
        self.relocated += int(self.onward[h])
        self.onward[h] = 0
        if self.router is None:
            for c in self.centres.values():
                c.occupied -= c.ready
                self.relocated += c.ready
                c.ready = 0
        elif h % 24 == 0:
            self._route(h)
        self._dispatch(h)
        for c in self.centres.values():
            j = self._col[c.id]
            landed = int(self.in_flight[h, j])
            c.reg_queue += landed
            self.inbound[j] -= landed
            self.in_flight[h, j] = 0
            c.intake_credit += c.intake_per_hour
            registered = min(c.reg_queue, int(c.intake_credit))
            # an idle registration desk does not bank time: only a fraction of a person carries
            c.intake_credit = (c.intake_credit - registered) % 1.0
            c.reg_queue -= registered
            c.intake_last_h = registered
            c.overflow += registered
            admit = max(0, min(c.overflow, c.beds - c.occupied))
            if admit:
                c.overflow -= admit
                c.occupied += admit
                stay = self.rng.multinomial(admit, c.pmf)
                tail = stay[: self.n_hours - h]
                c.departures[h + 1 : h + 1 + len(tail)] += tail

    def _route(self, h: int) -> None:
        assert self.router is not None
        ready = {c.id: (c.node, c.ready) for c in self.centres.values() if c.ready > 0}
        placements, unplaced = self.router.route_day(h // 24 - 1, ready)
        for p in placements:
            c = self.centres[p.origin]
            c.ready -= p.persons
            c.occupied -= p.persons
            self.onward[min(h + max(1, math.ceil(p.travel_h)), self.n_hours + 1)] += p.persons
        for cid, n in unplaced.items():
            self.unmet_log.append((h, cid, n))

    def _dispatch(self, h: int) -> None:
        """Share this hour's seats among the transfer points by how many wait there. Seats
        nobody needs this hour are not banked beyond one hour's worth (buses wait for people,
        they do not multiply)."""
        self.seat_credit = min(self.seat_credit + self.seats_per_hour, 2 * self.seats_per_hour)
        seats = int(self.seat_credit)
        want = np.array([sum(t.waiting.values()) for t in self.transfers.values()], dtype=float)
        if seats == 0 or want.sum() == 0:
            return
        give = np.minimum(largest_remainder(want, min(seats, int(want.sum()))), want).astype(int)
        for t, n in zip(self.transfers.values(), give, strict=True):
            for kind in DISPATCH_ORDER:
                k = min(n, t.waiting[kind])
                if k == 0:
                    continue
                dests = self._destinations(t.node, kind, k)
                if not dests:  # no centre of this kind reachable: the seats stay unused
                    continue
                t.waiting[kind] -= k
                n -= k
                self.seat_credit -= k
                for c, m, hours in dests:
                    arrive = min(h + max(1, math.ceil(hours)), self.n_hours + 1)
                    self.in_flight[arrive, self._col[c.id]] += m
                    self.inbound[self._col[c.id]] += m
                    self.transported[(h - 1) // 24, self._col[c.id]] += m

    # ------------------------------------------------------------ accounting
    def ledger(self) -> dict[str, int]:
        waiting_transfer = sum(sum(t.waiting.values()) for t in self.transfers.values())
        by_kind = dict.fromkeys(KINDS, 0)
        for c in self.centres.values():
            by_kind[c.kind] += c.reg_queue + c.occupied
        return {
            "in_transit": waiting_transfer + int(self.in_flight.sum()) + int(self.onward.sum()),
            "in_reception": by_kind[CentreKind.reception],
            "in_rehabilitation": by_kind[CentreKind.rehabilitation],
            "overflow_waiting": sum(c.overflow for c in self.centres.values()),
            "relocated": self.relocated,
            "self_arranged": self.self_arranged,
            "left_country": self.left_country,
        }


def _after_border_events(injects: list[AnyInject]) -> list[tuple[AnyInject, DownstreamAction]]:
    """The injects that act after the border, with what each does, in time order."""
    acting = [(inj, a) for inj in injects if (a := downstream_action(inj)) is not None]
    return sorted(acting, key=lambda e: e[0].at_h)

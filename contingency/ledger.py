"""The people ledger: where everyone who has arrived is at a given hour.

A leaf module: the engine balances the ledger every hour and the run summary reports its last
row; both read the field list from here.
"""

from __future__ import annotations

from typing import TypedDict


class Ledger(TypedDict):
    """Persons in each place at one hour; every field after ``arrived`` adds up to it."""

    arrived: int
    waiting_at_checkpoints: int
    held_beyond_border: int
    in_transit: int
    in_reception: int
    in_rehabilitation: int
    overflow_waiting: int
    relocated: int
    self_arranged: int
    left_country: int
    registering: int
    """Queuing at a registration point."""
    in_transit_hubs: int
    """At a transit hub (registering there or in a place; its overflow is in
    ``overflow_waiting``)."""
    leaving_in_transit: int
    """Leaving the country, in transit on their own before they go."""


LEDGER_FIELDS: tuple[str, ...] = tuple(Ledger.__annotations__)
"""The ledger's columns in order: ``arrived``, then the places that account for them."""

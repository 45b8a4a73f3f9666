"""Onward routing: the road network in time and the daily min-cost-flow allocation."""

from contingency.routing.allocate import Allocation, allocate
from contingency.routing.network import RoadNetwork

__all__ = ["Allocation", "RoadNetwork", "allocate"]

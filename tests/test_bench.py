"""The benchmark's parts run and count people correctly (no timing asserted here)."""

from __future__ import annotations

from contingency.bench import bare_simpy, bench_scenario, ciw_checkpoints, full_pipeline


def test_bench_parts_on_a_small_scenario(ref):
    sc = bench_scenario(ref, persons=20_000)
    assert (
        sc.horizon_days == 30 and sum(s.curve.total_persons for s in sc.influx.values()) == 20_000
    )
    assert full_pipeline(sc, ref) == 20_000
    persons, groups = ciw_checkpoints(sc, ref)
    assert persons == 20_000 and 0 < groups < persons
    assert bare_simpy(persons=2_000) == 2_000

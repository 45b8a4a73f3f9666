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


def test_like_with_like_parts_run_the_same_groups(ref):
    """Our border stage, plain SimPy and Ciw per pool see the same groups and persons."""
    from contingency.bench import border_stage, ciw_per_pool, simpy_same_groups

    sc = bench_scenario(ref, persons=20_000)
    groups, persons, _ = border_stage(sc, ref)
    assert persons == 20_000
    n_simpy, _ = simpy_same_groups(sc, ref)
    n_ciw, p_ciw, _ = ciw_per_pool(sc, ref)
    assert n_simpy == n_ciw == groups and p_ciw == persons


def test_peak_memory_is_measured_in_a_child_process():
    from contingency.bench import peak_mb_in_child

    peak, note = peak_mb_in_child(20_000)
    assert peak is not None and 50 < peak < 4096
    assert f"peak {peak:,.0f} MB" in note


def test_a_child_that_runs_out_of_memory_is_reported_not_raised():
    from contingency.bench import peak_mb_in_child

    peak, note = peak_mb_in_child(20_000, limit_mb=64)
    assert peak is None
    assert note.startswith("failed after") and "64 MB cap" in note

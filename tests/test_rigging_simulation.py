"""The rigging simulation (bench/rigging_simulation.py) on a tiny world: the site's defences
must take away most of what a bloc of target-only accounts wins without them."""

import sys
from pathlib import Path

import pytest

from arena.voting import checks, trust

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def simulation(monkeypatch):
    """The bench module, with the shipped rules as the published boards' default policy (the
    suite's default is the open one: tests/data/integrity_open.json)."""
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.setenv("ARENA_INTEGRITY_FILE", str(trust.DEFAULT_FILE))
    trust.default_policy.cache_clear()
    checks.clear_cache()
    import rigging_simulation

    yield rigging_simulation
    trust.default_policy.cache_clear()
    checks.clear_cache()
    sys.modules.pop("rigging_simulation", None)


def test_defences_cut_a_target_only_blocs_rank_gain(simulation, tmp_path):
    config = simulation.Config(
        honest=40,
        honest_battles=30,
        attack_battles=(60,),
        blocs=(10,),
        kinds=("target-only",),
        rounds=20,
    )
    rows = {row["arm"]: row for row in simulation.run_seed(1, config, tmp_path, log=lambda _: None)}
    defended, undefended = rows["defended"], rows["open"]
    assert trust.default_policy().share_cap == 0.1  # the published board had its share cap
    # Elo, not ranks: in a world this small a few Elo reorder several models, so ranks are
    # too coarse to compare run to run (pairing draws are random).
    assert undefended["score_gain"] >= 50, undefended  # the attack works on an open site
    assert defended["score_gain"] < undefended["score_gain"], (defended, undefended)
    assert defended["attackers_weighted_0"] + defended["attackers_weighted_half"] > 0

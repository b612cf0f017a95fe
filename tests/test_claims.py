"""claim(): a notebook's claim checked on the run; the helpers claims are made of."""
import pytest

from textpost import claims, config
from textpost.claims import ClaimFailed, claim, ratio, saving, show_table, target_status, times
from textpost.timing import Timing


def test_a_claim_that_holds_prints_a_tick_and_its_numbers(capsys, monkeypatch):
    monkeypatch.setattr(claims, "STRICT", True)
    assert claim("more than 10x faster", True, measured=ratio(Timing([1.0, 1.1]), Timing([0.01, 0.02]))) is None
    out = capsys.readouterr().out
    assert out.startswith("✔ more than 10x faster (measured: 70x (50-110x))")


def test_a_failed_claim_warns_in_a_learners_run_and_raises_in_strict_mode(capsys, monkeypatch):
    monkeypatch.setattr(claims, "STRICT", False)
    claim("a tie", False, measured="3x", why="another program was busy")
    out = capsys.readouterr().out
    assert out.startswith("⚠ not on this run: a tie (measured: 3x)") and "another program was busy" in out
    claim("a tie", False)
    assert claims.DEFAULT_WHY in capsys.readouterr().out
    monkeypatch.setattr(claims, "STRICT", True)
    with pytest.raises(ClaimFailed, match="not on this run: a tie"):
        claim("a tie", False)


def test_full_size_only_claims_are_not_checked_in_quick_mode(capsys, monkeypatch):
    monkeypatch.setattr(claims, "STRICT", True)
    monkeypatch.setattr(config, "QUICK", True)
    claim("flat within 2x", False, full_size_only=True)          # would raise if it were checked
    assert "checked at full size only" in capsys.readouterr().out
    monkeypatch.setattr(config, "QUICK", False)
    with pytest.raises(ClaimFailed):
        claim("flat within 2x", False, full_size_only=True)


def test_ratio_ranks_only_when_the_spreads_do_not_overlap():
    slow, fast = Timing([1.0, 1.2, 1.4]), Timing([0.5, 0.6, 0.7])
    assert ratio(slow, fast).faster and not ratio(slow, fast).tie
    assert ratio(fast, slow).slower
    overlapping = Timing([0.9, 1.0, 1.5])
    assert ratio(slow, overlapping).tie and not ratio(slow, overlapping).faster


def test_the_talks_50_percent_is_read_from_the_range_not_the_rounded_median():
    before = Timing([1.0, 1.0, 1.0])
    assert saving(before, Timing([0.49, 0.5, 0.51])).against(50) == "not distinguishable from"
    assert saving(before, Timing([0.3, 0.35, 0.4])).against(50) == "more than"
    assert saving(before, Timing([0.6, 0.65, 0.7])).against(50) == "less than"


def test_target_status_uses_the_whole_spread():
    assert target_status(Timing([0.01, 0.02]), 0.05) == "meets"
    assert target_status(Timing([0.06, 0.07]), 0.05) == "misses"
    assert target_status(Timing([0.04, 0.06]), 0.05) == "on the edge"


def test_ratios_print_without_exponents():
    assert [times(x) for x in (0.4213, 3.14159, 27.04, 2790.4)] == ["0.42", "3.14", "27", "2,790"]


def test_show_table_aligns_timings_and_text(capsys):
    show_table({"python": {"median": Timing([0.01, 0.012, 0.02]), "target": "meets"},
                "reference": {"median": Timing([1.5, 1.6, 1.7]), "target": "misses"}})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["median", "target"] and set(lines[1]) <= {"-", " "}
    assert "12.0 ms (10.0-20.0 ms)" in lines[2] and "1.60 s (1.50-1.70 s)" in lines[3]
    assert len({len(line.rstrip()) for line in lines[2:]}) == 1

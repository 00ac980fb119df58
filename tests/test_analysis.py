"""Analysis of experiment results: the numbers agree with scipy and with hand calculation,
and say "unknown" rather than invent a value where the data are silent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from clustersim.experiment import analysis
from clustersim.survival import survival_at


def partnerships(groups: dict[str, tuple[list[float], list[bool]]]) -> pd.DataFrame:
    """A partnership table by hand: scenario -> (durations, dissolved)."""
    frames = [
        pd.DataFrame(
            {
                "scenario": name,
                "point": 0,
                "replication": np.arange(len(d)) % 2,
                "duration": d,
                "dissolved": e,
            }
        )
        for name, (d, e) in groups.items()
    ]
    return pd.concat(frames, ignore_index=True)


A = (
    [2, 5, 3, 7, 7, 9, 12, 4, 4, 6],
    [True, True, False, False, True, True, False, True, True, False],
)
B = ([1, 1, 2, 8, 3, 10, 11, 2, 5], [True, True, True, False, True, True, False, True, False])


def censored(durations, dissolved) -> stats.CensoredData:
    d, e = np.asarray(durations, float), np.asarray(dissolved, bool)
    return stats.CensoredData(uncensored=d[e], right=d[~e])


def test_curves_and_horizons_agree_with_scipy_ecdf():
    frame = partnerships({"a": A, "b": B})
    curves = analysis.survival_curves(frame)
    at = analysis.survival_at_horizons(frame, horizons=(3, 6, 9))
    for name, data in (("a", A), ("b", B)):
        sf = stats.ecdf(censored(*data)).sf
        band = sf.confidence_interval(0.95)
        c = curves[curves["scenario"] == name]
        assert c["time"].iloc[0] == 0 and c["survival"].iloc[0] == 1
        np.testing.assert_allclose(c["time"].iloc[1:], sf.quantiles)
        np.testing.assert_allclose(c["survival"].iloc[1:], sf.probabilities)
        np.testing.assert_allclose(c["ci_low"].iloc[1:], band.low.probabilities)
        np.testing.assert_allclose(c["ci_high"].iloc[1:], band.high.probabilities)
        h = at[at["scenario"] == name]
        np.testing.assert_allclose(h["survival"], sf.evaluate([3, 6, 9]))
        np.testing.assert_allclose(h["ci_low"], band.low.evaluate([3, 6, 9]))
        np.testing.assert_allclose(h["ci_high"], band.high.evaluate([3, 6, 9]))
        assert (h["partnerships"] == len(data[0])).all()


def test_kaplan_meier_by_hand():
    # Four partnerships; the one lasting 2 months is still active (censored).
    frame = partnerships({"x": ([1, 2, 3, 4], [True, False, True, True])})
    at = analysis.survival_at_horizons(frame, horizons=(0, 1, 2, 3, 4)).set_index("horizon")
    assert at.loc[0, "survival"] == 1
    assert at.loc[1, "survival"] == pytest.approx(3 / 4)  # 1 of 4 at risk ended
    assert at.loc[2, "survival"] == pytest.approx(3 / 4)  # censoring is no event
    assert at.loc[3, "survival"] == pytest.approx(3 / 4 * 1 / 2)  # 1 of the 2 left ended
    assert at.loc[4, "survival"] == 0
    assert list(at["at_risk"]) == [4, 4, 3, 2, 1]


def test_horizon_beyond_longest_observation_is_nan():
    frame = partnerships({"x": ([5, 8, 10], [True, False, False])})
    at = analysis.survival_at_horizons(frame, horizons=(10, 11, 60)).set_index("horizon")
    assert at.loc[10, "survival"] == pytest.approx(2 / 3)
    assert at.loc[[11, 60], ["survival", "ci_low", "ci_high"]].isna().all().all()


def test_horizon_after_every_partnership_ended_is_zero_as_in_a_single_run():
    frame = partnerships({"x": ([5, 8, 10], [True, True, True])})
    at = analysis.survival_at_horizons(frame, horizons=(8, 60)).set_index("horizon")
    assert at.loc[8, "survival"] == pytest.approx(1 / 3) and at.loc[60, "survival"] == 0.0
    assert survival_at(frame, (8, 60)) == pytest.approx({8: 1 / 3, 60: 0.0})


def test_scenario_without_partnerships_is_a_row_of_nan_not_an_error():
    frame = partnerships({"a": A})
    at = analysis.survival_at_horizons(frame, order=["empty", "a"])
    assert list(pd.unique(at["scenario"])) == ["empty", "a"]
    assert at[at["scenario"] == "empty"]["survival"].isna().all()
    assert (at[at["scenario"] == "empty"]["partnerships"] == 0).all()
    assert "empty" not in set(analysis.survival_curves(frame, ["empty", "a"])["scenario"])
    lr = analysis.logrank_vs_reference(frame, "a", order=["a", "empty"])
    assert lr["pvalue"].isna().all()


def test_logrank_agrees_with_scipy_and_skips_the_reference():
    c = ([6, 7, 9, 9, 12, 15, 20, 20], [True, False, True, True, False, True, False, False])
    frame = partnerships({"b": B, "a": A, "c": c})
    order = analysis.scenario_order(["b", "a", "c"], reference="a")
    assert order == ["a", "b", "c"]
    lr = analysis.logrank_vs_reference(frame, "a", order)
    assert list(lr["scenario"]) == ["b", "c"]
    for name, data in (("b", B), ("c", c)):
        expected = stats.logrank(censored(*data), censored(*A))
        row = lr.set_index("scenario").loc[name]
        assert row["statistic"] == pytest.approx(expected.statistic)
        assert row["pvalue"] == pytest.approx(expected.pvalue)
        assert row["dissolved"] == sum(data[1])
    # b's partnerships end sooner than a's: positive z
    assert lr.set_index("scenario").loc["b", "statistic"] > 0


def runs_frame(values: dict[str, list[float]], **extra: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for name, formed in values.items():
        for rep, f in enumerate(formed):
            row = {"scenario": name, "point": 0, "replication": rep, "partnerships_formed": f}
            row["share_collaborated"] = f / 100
            row.update({k: v[name][rep] for k, v in extra.items()})
            rows.append(row)
    return pd.DataFrame(rows)


def test_formation_interval_contains_the_mean_and_matches_scipy():
    runs = runs_frame({"a": [10, 14, 9, 17, 12], "b": [30, 30, 30], "c": [5]})
    table = analysis.formation(runs).set_index(["scenario", "outcome"])
    a = table.loc[("a", "partnerships_formed")]
    assert a["mean"] == pytest.approx(12.4) and a["runs"] == 5
    assert a["ci_low"] < a["mean"] < a["ci_high"]
    ci = stats.ttest_1samp([10, 14, 9, 17, 12], 0).confidence_interval(0.95)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((ci.low, ci.high))
    share = table.loc[("a", "share_collaborated")]
    assert share["ci_low"] < share["mean"] < share["ci_high"]
    # no spread: the interval is the mean itself; one run: no interval at all
    assert table.loc[("b", "partnerships_formed"), ["ci_low", "ci_high"]].tolist() == [30, 30]
    one = table.loc[("c", "partnerships_formed")]
    assert one["mean"] == 5 and np.isnan(one["ci_low"]) and np.isnan(one["ci_high"])


def test_dissolution_causes_are_means_per_run_from_either_table():
    parts = pd.DataFrame(
        {
            "scenario": ["a"] * 5 + ["b"] * 2,
            "point": 0,
            "replication": [0, 0, 0, 1, 1, 0, 1],
            "duration": 5,
            "dissolved": [True, True, False, True, True, True, False],
            "cause": ["stalled", "shock", None, "stalled", "trust_collapsed", "shock", None],
        }
    )
    from_parts = analysis.dissolution_causes(parts).set_index("scenario")
    assert from_parts.loc["a", "stalled"] == 1.0  # 2 over 2 runs
    assert from_parts.loc["a", "shock"] == 0.5
    assert from_parts.loc["a", "funds_ran_out"] == 0.0
    assert from_parts.loc["a", "total"] == 2.0
    assert from_parts.loc["b", "shock"] == 0.5
    counts = {c: {"a": [0, 0], "b": [0, 0]} for c in analysis.CAUSES}
    counts["stalled"]["a"] = [1, 1]
    counts["shock"] = {"a": [1, 0], "b": [1, 0]}
    counts["trust_collapsed"]["a"] = [0, 1]
    runs = runs_frame(
        {"a": [3, 2], "b": [1, 1]}, **{f"dissolved_{c}": v for c, v in counts.items()}
    )
    from_runs = analysis.dissolution_causes(runs).set_index("scenario")
    pd.testing.assert_frame_equal(from_runs, from_parts, check_like=True, check_dtype=False)


def test_run_outcomes_take_last_month_spending_and_count_collaboration_by_hand():
    key = {"scenario": "a", "point": 0}
    series = pd.DataFrame(
        [  # cumulative spending, rows out of month order: the last *month* counts
            {**key, "replication": 0, "month": 48, "subsidy_spent_eur": 300.0,
             "matchmaking_spent_eur": 50.0, "manager_spent_eur": 20.0, "policy_spent_eur": 370.0},
            {**key, "replication": 0, "month": 0, "subsidy_spent_eur": 0.0,
             "matchmaking_spent_eur": 0.0, "manager_spent_eur": 0.0, "policy_spent_eur": 0.0},
            {**key, "replication": 1, "month": 48, "subsidy_spent_eur": 0.0,
             "matchmaking_spent_eur": 10.0, "manager_spent_eur": 0.0, "policy_spent_eur": 10.0},
        ]
    )  # fmt: skip
    parts = pd.DataFrame({**key, "replication": 0, "duration": [36, 40, 5]})
    memberships = pd.DataFrame(
        {**key, "replication": 0, "joined": [2, 8, 10],
         "left": pd.array([38, pd.NA, 15], dtype="Int64")}
    )  # fmt: skip
    organisations = pd.DataFrame({**key, "replication": [0] * 4 + [1] * 5, "organisation": 0})
    table = analysis.run_outcomes(series, parts, memberships, organisations)
    one, none = table.set_index("replication").loc[0], table.set_index("replication").loc[1]
    assert one["policy_spent_eur"] == 370.0 and one["manager_spent_eur"] == 20.0
    assert one["months"] == 48
    assert one["survivors"] == 2  # 36 and 40 months; 5 is no survivor
    assert one["partnership_months"] == 81
    assert one["membership_months"] == 36 + (48 - 8) + 5  # the open one counts to month 48
    assert one["membership_months_per_organisation"] == pytest.approx(81 / 4)
    # a run where nothing formed: zero, not missing
    assert none["survivors"] == 0 and none["partnership_months"] == 0
    assert none["membership_months_per_organisation"] == 0 and none["organisations"] == 5


def test_run_outcomes_require_the_spending_of_every_lever():
    series = pd.DataFrame({"scenario": "a", "point": 0, "replication": [0], "month": [1],
                           "subsidy_spent_eur": [0.0], "policy_spent_eur": [0.0]})  # fmt: skip
    empty = pd.DataFrame()
    with pytest.raises(ValueError, match="matchmaking_spent_eur, manager_spent_eur"):
        analysis.run_outcomes(series, empty, empty, empty)


def cost_runs() -> pd.DataFrame:
    """Three paired replications of a free reference and a lever, by hand."""
    base = {"subsidy_spent_eur": [0.0] * 3, "matchmaking_spent_eur": [0.0] * 3,
            "manager_spent_eur": [0.0] * 3, "policy_spent_eur": [0.0] * 3,
            "survivors": [2, 3, 1], "partnership_months": [100, 120, 80],
            "share_collaborated": [0.30, 0.40, 0.20],
            "membership_months_per_organisation": [2.0, 3.0, 1.0]}  # fmt: skip
    lever = {"subsidy_spent_eur": [600.0, 700.0, 500.0],
             "matchmaking_spent_eur": [400.0, 500.0, 300.0],
             "manager_spent_eur": [0.0] * 3, "policy_spent_eur": [1000.0, 1200.0, 800.0],
             "survivors": [4, 4, 3], "partnership_months": [150, 170, 110],
             "share_collaborated": [0.35, 0.40, 0.30],
             "membership_months_per_organisation": [2.5, 3.0, 2.0]}  # fmt: skip
    frames = [
        pd.DataFrame({"scenario": name, "point": 0, "replication": [0, 1, 2], **values})
        for name, values in (("lever", lever), ("ref", base))
    ]
    return pd.concat(frames, ignore_index=True)


def test_cost_comparison_prices_additional_survivors_from_paired_replications():
    table = analysis.cost_comparison(cost_runs(), "ref", order=["ref", "lever"])
    assert list(pd.unique(table["scenario"])) == ["ref", "lever"]
    row = table.set_index(["scenario", "outcome"])
    # paired: survivors +2, +1, +2 for EUR 1000, 1200, 800 more
    assert row.loc[("lever", "delta_survivors"), "estimate"] == pytest.approx(5 / 3)
    assert row.loc[("lever", "delta_policy_spent_eur"), "estimate"] == 1000.0
    price = row.loc[("lever", "eur_per_additional_survivor")]
    assert price["estimate"] == pytest.approx(1000 / (5 / 3))  # EUR 600
    assert price["ci_low"] < price["estimate"] < price["ci_high"]
    assert price["runs"] == 3
    # the paired interval is the t-interval of the per-replication differences
    ci = stats.ttest_1samp([2, 1, 2], 0).confidence_interval(0.95)
    delta = row.loc[("lever", "delta_survivors")]
    assert (delta["ci_low"], delta["ci_high"]) == pytest.approx((ci.low, ci.high))
    extra = row.loc[("lever", "additional_partnership_months_per_keur"), "estimate"]
    assert extra == pytest.approx((50 + 50 + 30) / 3 / 1.0)  # per EUR 1,000 more
    per_keur = row.loc[("lever", "partnership_months_per_keur"), "estimate"]
    assert per_keur == pytest.approx(430 / 3.0)  # 430 partnership-months for EUR 3,000
    assert row.loc[("lever", "delta_share_collaborated"), "estimate"] == pytest.approx(0.05)
    assert row.loc[("lever", "delta_membership_months_per_organisation"), "estimate"] == (
        pytest.approx(0.5)
    )
    # the reference: levels, no comparison with itself, no collaboration per euro unspent
    assert row.loc[("ref", "survivors"), "estimate"] == 2
    assert ("ref", "delta_survivors") not in row.index
    assert np.isnan(row.loc[("ref", "partnership_months_per_keur"), "estimate"])


def test_no_price_per_survivor_without_additional_survivors():
    runs = cost_runs()
    lever = runs["scenario"] == "lever"
    runs.loc[lever, "survivors"] = [2, 2, 1]  # -0, -1, +0: fewer survive on average
    row = analysis.cost_comparison(runs, "ref").set_index(["scenario", "outcome"])
    price = row.loc[("lever", "eur_per_additional_survivor")]
    assert price[["estimate", "ci_low", "ci_high"]].isna().all()


def test_fieller_interval_is_where_the_paired_t_test_just_accepts_the_ratio():
    spent, gained = [900.0, 1300.0, 700.0, 1100.0], [2.0, 1.0, 2.0, 3.0]
    ratio, low, high = analysis.ratio_interval(spent, gained)
    assert ratio == pytest.approx(4000 / 8)
    for bound in (low, high):  # at each bound, spent - R * gained has t exactly at 97.5 %
        d = np.asarray(spent) - bound * np.asarray(gained)
        t = d.mean() / (d.std(ddof=1) / 2)
        assert abs(t) == pytest.approx(stats.t.ppf(0.975, 3))
    # a gain not clearly above zero puts no bound on the price
    assert analysis.ratio_interval([10.0, 12.0, 8.0], [1.0, -1.0, 0.5])[1:] == (-np.inf, np.inf)
    # a certain gain: the interval is the numerator's t-interval over that gain
    ci = stats.ttest_1samp([10.0, 12.0, 8.0], 0).confidence_interval(0.95)
    _, low, high = analysis.ratio_interval([10.0, 12.0, 8.0], [2.0, 2.0, 2.0])
    assert (low, high) == pytest.approx((ci.low / 2, ci.high / 2))


def test_tables_follow_the_given_order_with_reference_first():
    frame = partnerships({"b": B, "a": A})
    runs = runs_frame({"b": [1, 2], "a": [3, 4]})
    order = analysis.scenario_order(["b", "a"], reference="a")
    assert list(analysis.formation(runs, order)["scenario"].unique()) == ["a", "b"]
    assert list(analysis.survival_at_horizons(frame, order=order)["scenario"].unique()) == [
        "a",
        "b",
    ]
    assert list(analysis.survival_curves(frame, order)["scenario"].unique()) == ["a", "b"]

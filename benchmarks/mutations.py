"""A catalogue of deliberate bugs: does the test suite notice wrong economics?

Each mutation is a named, deliberate bug: one or more search/replace edits of a source file.
For each, the repository (package, scenarios, tests, benchmarks, data, docs) is copied to a
temporary folder, the edit applied there, and the suite run against the copy
(``python -m pytest -x -q``, the tests of sizes and identities first, with the copy first on
the path; at most two mutants at a time).
A mutant the suite fails on is *killed*; one it passes *survives*, a hole in the tests.

An edit whose text is not found exactly once stops the catalogue with an error naming the
mutation: when code moves, the catalogue must be re-targeted, not silently skipped
(tests/test_mutations_catalogue.py checks this on every test run). The
engine now advances a batch of worlds on arrays with a leading member axis
(simulator/engine/worlds.py and members.py; simulator/model.py is a thin Mesa facade over a
batch of one): mutations of the engine's files are marked ``[engine]``, and every mutation
whose text had moved was re-targeted to the same bug in the member-axis engine (checked
against main abac478). The last group plants bugs of the member axis itself, which a single
run cannot show: tests/test_members.py compares each member of a batch with its run alone.
None touches markets/firms.py (the firms as arrays, once agents/firm.py);
markets/sourcing.py (the continuum buyers, rewritten with the engine) is mutated once.

Run on demand, not in CI (about 50 minutes on two cores, 6 of them the unmutated suite)::

    python benchmarks/mutations.py                 # the whole catalogue
    python benchmarks/mutations.py --list          # names and the bug each plants
    python benchmarks/mutations.py --only dollar_appreciation_doubled tariff_sign_flipped

Exit status: 0 when every mutant is killed, 1 when any survives, 2 on a catalogue error.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COPY = [
    "simulator",
    "scenarios",
    "tests",
    "benchmarks",
    "data-raw",
    "docs",
    "pyproject.toml",
    "README.md",
]
# the member-axis engine (simulator/model.py is its Mesa facade): its mutations are marked
ENGINE_REWRITE = {"simulator/model.py", "simulator/engine/worlds.py", "simulator/engine/members.py"}
AVOID = {"simulator/markets/firms.py"}
TIMEOUT_S = 1200
# the fast tests of sizes and identities run first, so most mutants are killed within seconds;
# only a mutant that passes them runs the whole suite. The batch-versus-alone tests come last
# among them: a bug of the member axis is invisible to single runs, and in the whole suite
# it would meet the browser tests' timings (flaky on two busy cores) before tests/test_members
FIRST = [
    "tests/test_sizes.py",
    "tests/test_interactions.py",
    "tests/test_identities.py",
    "tests/test_mechanisms.py",
    "tests/test_engine.py",
    "tests/test_members.py",
]


class CatalogueError(Exception):
    """A mutation's text is not in its file (the code moved): re-target the mutation."""


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str
    edits: tuple[tuple[str, str], ...]
    bug: str

    def apply(self, root: Path) -> None:
        path = root / self.file
        text = path.read_text(encoding="utf-8")
        for old, new in self.edits:
            found = text.count(old)
            if found != 1:
                raise CatalogueError(
                    f"{self.name}: expected the text once in {self.file}, found it {found} "
                    f"times; re-target this mutation:\n    {old!r}"
                )
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")


def m(name: str, file: str, bug: str, *edits: tuple[str, str]) -> Mutation:
    return Mutation(name, file, tuple(edits), bug)


CATALOGUE = [
    # --- sizes the issue names
    m("dollar_appreciation_doubled", "simulator/markets/exchange.py",
      "the dollar appreciates twice as much per dollar of inflows",
      ("np.exp(inflow_elasticity / 100.0", "np.exp(2.0 * inflow_elasticity / 100.0")),
    m("income_feedback_sign_flipped", "simulator/engine/worlds.py",
      "a rise in income cuts next month's spending",
      ("+ p.income_feedback[:, None] * self.gdp_gap[:, last] / gdp",
       "- p.income_feedback[:, None] * self.gdp_gap[:, last] / gdp")),
    m("twin_deficit_tripled", "simulator/engine/worlds.py",
      "tariff revenue cuts absorption three times as much",
      ("- p.twin_deficit[:, None] * self.extra_revenue[:, last] / gdp",
       "- 3.0 * p.twin_deficit[:, None] * self.extra_revenue[:, last] / gdp")),
    m("prices_ignore_buyers_response", "simulator/engine/worlds.py",
      "producers ask for the supply curve's price at today's output (the old, cycling cobweb)",
      ("self.members.demand_elasticity.reshape(n_m, -1),",
       "0.0 * self.members.demand_elasticity.reshape(n_m, -1),")),
    m("home_demand_elasticity_shares_swapped", "simulator/markets/pricing.py",
      "a home seller's demand elasticity weights the two nests by the wrong shares",
      ("e_home = sd * imports + composite * w_home", "e_home = sd * w_home + composite * imports")),
    m("capacity_premium_tripled", "simulator/markets/production.py",
      "the price premium above capacity is three times its supply-curve value",
      ("return below * over**power", "return below * (1.0 + 3.0 * (over**power - 1.0))"),
      ("return below * (1.0 - share_over + utilisation**power * weighted_over)",
       "return below * (1.0 + 3.0 * (utilisation**power * weighted_over - share_over))")),
    m("front_loading_ignores_pass_through", "simulator/engine/worlds.py",
      "importers stock up as if buyers paid the whole tariff",
      ("                    self.rho[:, None],\n                    p.carrying_cost[:, None],",
       "                    1.0,\n                    p.carrying_cost[:, None],")),
    m("tariff_sign_flipped", "simulator/engine/worlds.py",
      "a tariff lowers the landed price",
      ("tariff_factor = ((1.0 + tau) / (1.0 + self.tau0)) ** _cube(self.rho)",
       "tariff_factor = ((1.0 + self.tau0) / (1.0 + tau)) ** _cube(self.rho)")),
    # --- incidence and substitution
    m("pass_through_ignored", "simulator/engine/members.py",
      "buyers always bear the whole tariff",
      ("rho=np.where(on.pass_through, stack(lambda p: p.pass_through), 1.0),",
       "rho=np.ones(len(resolved)),")),
    m("domestic_elasticity_equals_import", "simulator/engine/members.py",
      "domestic goods and imports substitute as easily as import origins",
      ("sigma_domestic = sigma_import * ratio[:, None]",
       "sigma_domestic = sigma_import.copy()")),
    m("domestic_nest_not_capped_under_exit", "simulator/engine/members.py",
      "with exporters' entry and exit, import varieties become complements (sigma_D > sigma_F)",
      ("entry[:, None], np.minimum(sigma_domestic, sigma_firm), sigma_domestic",
       "entry[:, None], sigma_domestic, sigma_domestic")),
    m("composite_demand_exponent_flipped", "simulator/engine/worlds.py",
      "dearer sectors attract more spending",
      ("* price_index ** (1.0 - _table(self.members.eta))",
       "* price_index ** (_table(self.members.eta) - 1.0)")),
    m("supply_curve_steeper", "simulator/markets/production.py",
      "the supply elasticity is read as half its value",
      ("below = utilisation ** (1.0 / supply_elasticity)",
       "below = utilisation ** (2.0 / supply_elasticity)")),
    # --- tariff schedules and revenue
    m("revenue_ignores_exemption", "simulator/engine/worlds.py",
      "exempt AI hardware pays the full new tariff in the revenue",
      ("return (customs - exempt) * tau + exempt * self.exempt_rates[:, t]",
       "return customs * tau")),
    m("tariff_whole_month", "simulator/policy/tariffs.py",
      "a tariff effective mid-month counts for the whole month",
      ("return np.maximum((hi - lo).astype(np.int64), 0) / (m1 - m0).astype(np.int64)",
       "return ((hi - lo).astype(np.int64) > 0).astype(float)")),
    m("set_mode_stacks_on_base", "simulator/policy/tariffs.py",
      "a 'set' (all-in) rate is added to the base-year rate",
      ("add = (e.rate - base[cells]) * w", "add = e.rate * w")),
    m("exempt_partners_ignored", "simulator/policy/tariffs.py",
      "exempt partners pay the tariff",
      ("p_idx = [i for i in p_idx if i not in exempt]", "p_idx = list(p_idx)")),
    m("cancelled_threat_applies", "simulator/policy/tariffs.py",
      "a withdrawn threat takes effect anyway",
      ("return [e for e in self.entries if e.withdrawn is None]",
       "return list(self.entries)")),
    m("importers_foresee_unannounced", "simulator/policy/tariffs.py",
      "importers know every tariff before it is announced",
      ("entries = [] if cutoff is None else self._expected(cutoff)",
       "entries = [e for e in self.entries if e.withdrawn is None]")),
    # --- retaliation
    m("retaliation_one_month_late", "simulator/policy/retaliation.py",
      "retaliation starts a month after its lag",
      ("start = t + self.spec.lag_months", "start = t + self.spec.lag_months + 1")),
    m("truce_ignored", "simulator/policy/retaliation.py",
      "retaliation continues after the truce",
      ("self.in_force -= active_fraction(spec.truce, None, first, n_months)",
       "self.in_force -= 0.0 * active_fraction(spec.truce, None, first, n_months)")),
    m("value_match_wrong_direction", "simulator/policy/retaliation.py",
      "value-matching uses the retaliator's own exports as the base",
      ("self.exports_hit = base_flows[self._hit].sum()",
       "self.exports_hit = base_flows[np.ix_(i, j, self.hit_sectors)].sum()")),
    m("trigger_threshold_as_fraction", "simulator/policy/retaliation.py",
      "the trigger threshold (percent) is compared with a fraction",
      ("m * 100.0 >= spec.trigger.threshold", "m >= spec.trigger.threshold")),
    m("retaliation_rounds_unlimited", "simulator/policy/retaliation.py",
      "a rule answers every escalation, whatever its number of rounds",
      ("fires = escalates & (self.rounds_used < spec.rounds)", "fires = escalates")),
    m("retaliation_cap_ignored", "simulator/policy/retaliation.py",
      "a fixed-rate rule escalates past its cap",
      ("rate = np.minimum(self.rounds_used * (spec.rate or 0.0) / 100.0, cap)",
       "rate = self.rounds_used * (spec.rate or 0.0) / 100.0")),
    # --- shocks and data
    m("demand_shock_never_ends", "simulator/policy/shocks.py",
      "a demand shock lasts past its end month",
      ("last = month_index(end) if end else months[-1]", "last = months[-1]")),
    m("ai_inflow_share_doubled", "simulator/policy/shocks.py",
      "twice the AI capex is financed by capital inflows",
      ("self.ai_inflows[:, r] = scenario.parameters.dollar.ai_inflow_share * self.capex",
       "self.ai_inflows[:, r] = 2.0 * scenario.parameters.dollar.ai_inflow_share * self.capex")),
    m("exchange_path_starts_below_par", "simulator/policy/shocks.py",
      "a currency path starts at 0.9 before its first month, not at the base year's 1",
      ("interpolate(rate.path, first, n_months, before=1.0)",
       "interpolate(rate.path, first, n_months, before=0.9)")),
    m("base_tariff_sector_beats_partner", "simulator/calibration/dataset.py",
      "a sector row of the base tariffs overrides a partner row (wrong specificity)",
      ('level = 2 * (row.partner != "*") + (row.sector != "*")',
       'level = (row.partner != "*") + 2 * (row.sector != "*")')),
    # --- AI capex and services
    m("ai_exemption_ignored", "simulator/policy/shocks.py",
      "AI hardware pays the new tariffs although exempt",
      ("rate = tau0 if self.ai.tariff_exempt else tau0 + extra", "rate = tau0 + extra")),
    m("ai_import_content_ignored", "simulator/policy/shocks.py",
      "all AI capex is imported",
      ("landed = self.capex[t] * self.ai.import_content * self.ai_origin",
       "landed = self.capex[t] * self.ai_origin")),
    m("services_per_capex_doubled", "simulator/policy/shocks.py",
      "digital-services exports grow twice as fast with AI capex",
      ("flows[r, :, s] = self.digital_per_capex * self.capex[t]",
       "flows[r, :, s] = 2.0 * self.digital_per_capex * self.capex[t]")),
    # --- the dollar
    m("invoicing_ignored", "simulator/engine/worlds.py",
      "no import price is sticky in dollars",
      ("fx_ratio = fx[:, :, None] ** (1.0 - invoicing[:, None, :]) / fx[:, None, :]",
       "fx_ratio = fx[:, :, None] / fx[:, None, :]")),
    m("us_import_invoicing_ignored", "simulator/engine/members.py",
      "US imports are invoiced like other trade",
      ("invoicing[:, us] = stack(lambda p: p.dollar.us_import_invoicing_share)",
       "invoicing[:, us] = stack(lambda p: p.dollar.invoicing_share)")),
    m("dollar_path_not_inverted", "simulator/markets/exchange.py",
      "a stronger dollar strengthens the other currencies",
      ("fx = fx_path[None, :] / dollar[:, None]", "fx = fx_path[None, :] * dollar[:, None]")),
    m("inflows_not_annualised", "simulator/markets/exchange.py",
      "monthly inflows are compared with annual GDP",
      ("inflow_pct_gdp = 100.0 * 12.0 * inflows[:, us]",
       "inflow_pct_gdp = 100.0 * inflows[:, us]")),
    # --- front-loading
    m("carrying_cost_not_per_month", "simulator/markets/inventory.py",
      "holding stock for k months costs as much as for one",
      ("/ (cells(carrying_cost) * k))", "/ cells(carrying_cost))")),
    m("drawdown_immediate", "simulator/markets/inventory.py",
      "the extra stock is run down in one month",
      ("run_down = (target - stock) / drawdown_months", "run_down = target - stock")),
    m("max_build_ignored", "simulator/markets/inventory.py",
      "importers can stock up without limit in a month",
      ("build = np.minimum((target - stock) / months_left, max_build * use)",
       "build = (target - stock) / months_left")),
    m("front_loading_believes_every_threat", "simulator/engine/worlds.py",
      "importers stock up as if every announced increase were certain",
      ("expected = self.tau0[cells] + self.expectations.expected_rates(now, announced)",
       "expected = self.tau0[cells] + np.broadcast_to(\n"
       "                    announced, (len(now), *announced.shape[1:])\n"
       "                )")),
    m("announced_path_misses_retaliation", "simulator/engine/worlds.py",
      "the path firms read is not rebuilt when a retaliation is decided",
      ("key = (tuple(s.known_cutoff(t) for s in self.schedules), self.retaliation_revision)",
       "key = (tuple(s.known_cutoff(t) for s in self.schedules), 0)")),
    m("tariff_segments_drop_the_tail", "simulator/markets/expectations.py",
      "the last announced rate does not persist beyond the scenario's end",
      ("w[:, -1] += beta[:, 0] ** n / (1.0 - beta[:, 0])", "w[:, -1] += 0.0")),
    m("shipping_lead_ignored", "simulator/engine/worlds.py",
      "orders placed now are priced at the rate expected now, not on arrival",
      ("arrival = t + self.lead_months", "arrival = t")),
    # --- macro and national accounts
    m("growth_path_off_centre", "simulator/engine/worlds.py",
      "the baseline's 2024 no longer averages the base year",
      ("** ((months[:, None] - 5.5) / 12.0)", "** ((months[:, None] - 0.0) / 12.0)")),
    m("gdp_gap_omits_investment", "simulator/engine/worlds.py",
      "AI investment is left out of GDP",
      ("* absorption + investment + nx - nx_base", "* absorption + nx - nx_base")),
    m("twin_deficit_on_total_revenue", "simulator/engine/worlds.py",
      "the budget tightens by all tariff revenue, not the extra revenue",
      ("self.extra_revenue[:, t] = revenue.sum(axis=(1, 3)) - base_revenue",
       "self.extra_revenue[:, t] = revenue.sum(axis=(1, 3))")),
    m("saving_change_sign", "simulator/results/result.py",
      "saving falls when net exports rise",
      ('series["saving_change"] = series["investment_change"] + series["net_exports_change"]',
       'series["saving_change"] = series["investment_change"] - series["net_exports_change"]')),
    m("effective_rate_over_all_imports", "simulator/results/result.py",
      "the effective tariff rate divides by goods and services imports",
      ("dutiable = flows[..., g].sum(axis=(1, 3))", "dutiable = flows.sum(axis=(1, 3))")),
    m("nx_contribution_not_annualised", "simulator/results/result.py",
      "net exports' contribution to growth is a quarterly, not an annualised, rate",
      ("out[starts[1:] + 2] = (nx[1:] - nx[:-1]) / output[:-1] * 400.0",
       "out[starts[1:] + 2] = (nx[1:] - nx[:-1]) / output[:-1] * 100.0")),
    m("trade_frame_partner_swapped", "simulator/results/result.py",
      "the trade table's import rows name the importer as partner",
      ('"partner": pd.Categorical.from_codes(np.concatenate([d, o]), dtype=regions)',
       '"partner": pd.Categorical.from_codes(np.concatenate([d, d]), dtype=regions)')),
    # --- outputs and analysis (issue 21: survivors of the whole suite, and the cost outputs)
    m("deadweight_loss_in_millions", "simulator/results/incidence.py",
      "the deadweight loss is reported in $m, not $bn (x 1e6 instead of x 1e9)",
      ('"deadweight_loss": dwl * BN}', '"deadweight_loss": dwl * 1e6}')),
    m("ensemble_upper_band_at_90th", "simulator/runs/ensemble.py",
      "the upper end of the ensemble's 90 % interval is the 90th, not the 95th, percentile",
      ('"high_95": grouped.quantile(0.95) / BN', '"high_95": grouped.quantile(0.90) / BN')),
    m("government_revenue_on_exports", "simulator/agents/government.py",
      "Government.tariff_revenue sums the duties on the region's exports, not its imports",
      ("self.model.revenue[t, :, self.index, :].sum()",
       "self.model.revenue[t, self.index, :, :].sum()")),
    m("ppi_weighted_by_purchases", "simulator/results/costs.py",
      "the producer price index weights producer prices by purchases, not by output",
      ('"producer_price_index": producer_price_index(output0, m.prices[:n]),',
       '"producer_price_index": producer_price_index(m.spending0, m.prices[:n]),')),
    m("shapley_se_ignores_antithetic_pairs", "simulator/analysis/decomposition.py",
      "the sampled Shapley standard error treats the orders of antithetic pairs as independent",
      ('"standard_error": float(np.std(pairs, ddof=1) / np.sqrt(len(pairs))),',
       '"standard_error": float(np.std(gains, ddof=1) / np.sqrt(len(gains))),')),
    m("one_at_a_time_sign_reversed", "simulator/analysis/decomposition.py",
      "a one-at-a-time effect is the deficit without the channel less the deficit with it",
      ('rows[c]["one_at_a_time"] = values[all_on] - values[all_on - {c}]',
       'rows[c]["one_at_a_time"] = values[all_on - {c}] - values[all_on]')),
    m("ai_origin_group_split_equally", "simulator/policy/shocks.py",
      "a group's AI-capex origin share is split equally over its members, not by base-year imports",
      ("        return by_member(ai.origin_shares, imports, data)",
       "        return by_member(ai.origin_shares, np.ones_like(imports), data)")),
    m("annual_effective_rate_over_all_imports", "simulator/results/result.py",
      "the annual effective tariff rate divides revenue by goods and services imports",
      ('table["tariff_revenue"] / table["goods_imports"]',
       'table["tariff_revenue"] / table["imports"]')),
    m("effective_rates_weighted_with_services", "simulator/results/effective_rates.py",
      "the published-style effective rates weight by goods and services imports",
      ("keep = origins[:, None] & goods[None, :]",
       "keep = origins[:, None] & np.ones_like(goods)[None, :]")),
    # --- what it costs (simulator/costs, simulator/results/costs.py)
    m("cpi_fallback_weights_wrong_axis", "simulator/results/costs.py",
      "without consumption data, the CPI's purchase weights are normalised over regions",
      ("weights = m.spending0 / m.spending0.sum(axis=1, keepdims=True)",
       "weights = m.spending0 / m.spending0.sum(axis=0, keepdims=True)")),
    m("cpi_margins_at_sector_price", "simulator/costs/prices.py",
      "the CPI prices trade and transport margins at the good's price, not the margin price",
      ("+ margin_share * margin_price[..., None]", "+ margin_share * sector_price")),
    m("household_margins_at_sector_price", "simulator/costs/households.py",
      "households' margins cost what the good costs, not the margin price",
      ("margin_price[:, None] - 1.0", "sector_price - 1.0")),
    m("terms_of_trade_import_sign_flipped", "simulator/costs/welfare.py",
      "dearer imports improve the terms of trade",
      ("terms_of_trade=exports - imports,", "terms_of_trade=exports + imports,")),
    m("welfare_revenue_not_converted_by_fx", "simulator/costs/welfare.py",
      "tariff revenue enters real income in dollars, not the region's currency at base rates",
      ("revenue=(revenue - baseline_revenue) / fx,", "revenue=revenue - baseline_revenue,")),
    m("exporters_receipts_in_importer_currency", "simulator/costs/welfare.py",
      "what exporters receive is converted at the importer's exchange rate",
      ("received = unit_value / fx[:, :, None, None]",
       "received = unit_value / fx[:, None, :, None]")),
    m("consumer_surplus_eta_misplaced", "simulator/costs/welfare.py",
      "consumers' surplus scales today's quantity by P^-eta instead of P^eta",
      ("scale = quantity * price**eta", "scale = quantity * price**-eta")),
    m("real_gdp_adds_imports", "simulator/costs/welfare.py",
      "real GDP adds import volumes instead of subtracting them",
      ("+ trade.sum(axis=(2, 3)) - trade.sum(axis=(1, 3))",
       "+ trade.sum(axis=(2, 3)) + trade.sum(axis=(1, 3))")),
    m("final_demand_share_not_clipped", "simulator/costs/supply_chains.py",
      "the final-demand share goes negative where the table's intermediate use exceeds purchases",
      ("return np.clip(share, 0.0, 1.0)", "return share")),
    m("unit_cost_without_value_added", "simulator/costs/supply_chains.py",
      "the unit cost index leaves out the value-added share",
      ('return value_added + np.einsum("rks,...rk->...rs", coefficients, input_price)',
       'return np.einsum("rks,...rk->...rs", coefficients, input_price)')),
    m("price_before_substitution_over_destinations", "simulator/costs/prices.py",
      "the pre-substitution price sums the base-year basket over destinations, not origins",
      ("return (base_weights * rel_price).sum(axis=-3)",
       "return (base_weights * rel_price).sum(axis=-2)")),
    m("cpi_pre_at_post_substitution_prices", "simulator/results/costs.py",
      "the CPI before substitution is computed from the prices after substitution",
      ("consumer_price_index(weights, margins, m.sector_prices_pre[:n], margin_price)",
       "consumer_price_index(weights, margins, m.sector_prices[:n], margin_price)")),
    m("household_average_weighted_by_income", "simulator/results/costs.py",
      "the all-households cost is weighted by income, not by the number of households",
      ("np.column_stack([cost, household_costs.average(cost, count)])",
       "np.column_stack([cost, household_costs.average(cost, h.income)])")),
    m("real_income_per_household_monthly", "simulator/results/costs.py",
      "the real-income change per household is a monthly figure labelled a year",
      ("self.real_income.total[:, r] * 12.0 * BN / h.count.sum()",
       "self.real_income.total[:, r] * BN / h.count.sum()")),
    m("real_income_pct_as_fraction", "simulator/results/costs.py",
      "the real-income change as a share of GDP is a fraction labelled a percentage",
      ('"real_income_change_pct": income.total / baseline_gdp * 100.0,',
       '"real_income_change_pct": income.total / baseline_gdp,')),
    m("summary_cpi_change_as_fraction", "simulator/results/costs.py",
      "summary.md's consumer-price change is a fraction in a row labelled %",
      ('"Consumer prices, change, %": list((annual.consumer_price_index - 1) * 100),',
       '"Consumer prices, change, %": list(annual.consumer_price_index - 1),')),
    # --- the member axis (a batch of worlds must equal its members run alone)
    m("member_pass_through_from_first", "simulator/engine/worlds.py",
      "every member of a batch passes tariffs on at the first member's pass-through",
      ("self.rho = p.rho", "self.rho = np.broadcast_to(p.rho[:1], p.rho.shape)")),
    m("firm_groups_member_axis_swapped", "simulator/engine/worlds.py",
      "the firms' groups are laid out destination-major across members, so buyers of one "
      "member re-source with another member's prices and contract parameters",
      ("return cube.transpose(0, 2, 3, 1).reshape(-1, cube.shape[1])",
       "return cube.transpose(2, 0, 3, 1).reshape(-1, cube.shape[1])")),
    m("retaliation_written_into_every_member", "simulator/policy/retaliation.py",
      "a member's retaliation decision is written into every member's tariff path",
      ("path[member][start:, j, i, s] += delta[:, None, None, None]",
       "path[:, start:, j, i, s] += delta[:, None, None, None]")),
    m("continuum_contracts_never_decay", "simulator/markets/sourcing.py",
      "in the continuum, the contracts left after a month's expiries are not scaled by 1 - h: "
      "expired mass is counted again as still held",
      ("decay = decay * (1.0 - h)\n", "decay = decay.copy()\n")),
    m("price_solver_stops_at_first_cell", "simulator/markets/pricing.py",
      "the anticipated-price iteration stops every cell as soon as one has converged",
      ("going = np.abs(fy) >= TOLERANCE",
       "going = np.abs(fy) >= TOLERANCE\n        going &= going.all()")),
    # --- mechanism switches as member arrays (members of a batch switch channels apart)
    m("frictionless_members_sign_at_expected_prices", "simulator/engine/worlds.py",
      "in a batch mixing members with and without switching frictions, the frictionless "
      "members' buyers price their new mixes at expected, not today's, prices",
      ("bar = np.where(group[:, None], bar, now[0])",
       "bar = np.where(group[:, None], bar, bar)")),
    m("retaliation_rules_act_in_switched_off_members", "simulator/policy/retaliation.py",
      "retaliation rules fire in the members of a batch that switched retaliation off",
      ("np.abs(new_rate - self.rate) > _TOL) & self.active",
       "np.abs(new_rate - self.rate) > _TOL)")),
    m("frictionless_buyers_keep_contracts_with_firms", "simulator/markets/sourcing.py",
      "with firms, the buyers of members without switching frictions do not all re-source",
      ("moved[every] = self.mass[every]\n                self.vintage[rows] = v_new",
       "self.vintage[rows] = v_new")),
]  # fmt: skip


def copy_repository(dest: Path, source: Path = REPO) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache")
    for name in COPY:
        src = source / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, dest / name)


def run_suite(root: Path) -> tuple[int, str]:
    """Run the suite in a copy (the fast tests first); return the exit code and the first
    failing test."""
    env = {**os.environ, "PYTHONPATH": str(root), "MPLBACKEND": "Agg"}
    env.pop("TRADESIM_TEST_INSTALLED", None)
    # one process per suite (-n 0): the catalogue itself runs mutants side by side
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-n", "0", "-p", "no:cacheprovider"]
    for stage in (FIRST, ["tests"]):
        try:
            done = subprocess.run(
                [*cmd, *stage], cwd=root, env=env, capture_output=True, text=True,
                timeout=TIMEOUT_S,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return -1, f"timed out after {TIMEOUT_S} s"
        out = done.stdout + done.stderr
        tested = re.search(r"tradesim: tested simulator from (\S+)", out)
        if tested is None or Path(tested.group(1)).resolve() != (root / "simulator").resolve():
            raise CatalogueError(f"the suite did not test the copy in {root}:\n{out[-2000:]}")
        if done.returncode != 0:
            failed = re.search(r"^(FAILED|ERROR) (\S+)", out, flags=re.MULTILINE)
            return done.returncode, failed.group(2) if failed else out[-300:]
    return 0, ""


def try_mutant(mutation: Mutation | None, snapshot: Path = REPO) -> tuple[str, int, str, float]:
    """Copy the snapshot, plant the bug, run the suite. ``None``: the unmutated copy."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tradesim-mutant-") as folder:
        root = Path(folder)
        copy_repository(root, snapshot)
        if mutation is not None:
            mutation.apply(root)
        code, first = run_suite(root)
    name = mutation.name if mutation else "(unmutated)"
    return name, code, first, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutations")
    parser.add_argument("--list", action="store_true", help="list the catalogue and exit")
    parser.add_argument("--workers", type=int, default=2, help="mutants at a time (at most 2)")
    args = parser.parse_args(argv)
    names = [mu.name for mu in CATALOGUE]
    assert len(set(names)) == len(names), "duplicate mutation names"
    assert not {mu.file for mu in CATALOGUE} & AVOID
    if args.list:
        for mu in CATALOGUE:
            tag = " [engine]" if mu.file in ENGINE_REWRITE else ""
            print(f"{mu.name:38} {mu.file}{tag}\n{'':38} {mu.bug}")
        return 0
    chosen = CATALOGUE
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            print(f"unknown mutations: {unknown}", file=sys.stderr)
            return 2
        chosen = [mu for mu in CATALOGUE if mu.name in args.only]
    with tempfile.TemporaryDirectory(prefix="tradesim-snapshot-") as folder:
        # one snapshot of the repository: edits made while the catalogue runs do not leak in
        snapshot = Path(folder)
        copy_repository(snapshot)
        return run_catalogue(chosen, snapshot, max(1, min(args.workers, 2)))


def run_catalogue(chosen: list[Mutation], snapshot: Path, workers: int) -> int:
    try:
        with tempfile.TemporaryDirectory() as check:  # every edit still finds its text
            copy_repository(Path(check), snapshot)
            for mu in chosen:
                mu.apply(Path(check))
                shutil.copy2(snapshot / mu.file, Path(check) / mu.file)
        name, code, first, seconds = try_mutant(None, snapshot)
        if code != 0:
            print(f"the unmutated suite fails ({first}); fix it first", file=sys.stderr)
            return 2
        print(f"unmutated suite passes in {seconds:.0f} s; {len(chosen)} mutants, "
              f"{workers} at a time", flush=True)  # fmt: skip
        survivors = []
        with ThreadPoolExecutor(max_workers=workers) as pool:
            runs = pool.map(lambda mu: try_mutant(mu, snapshot), chosen)
            for mu, (name, code, first, seconds) in zip(chosen, runs, strict=True):
                tag = " [engine]" if mu.file in ENGINE_REWRITE else ""
                if code == 0:
                    verdict = "SURVIVED"
                    survivors.append(mu)
                elif code == 1:
                    verdict = f"killed by {first}"
                else:
                    verdict = f"killed (exit {code}: {first or 'no test ran'})"
                print(f"{name:38} {seconds:5.0f} s  {verdict}{tag}", flush=True)
    except CatalogueError as err:
        print(f"catalogue error: {err}", file=sys.stderr)
        return 2
    print(f"\n{len(chosen) - len(survivors)} of {len(chosen)} mutants killed; "
          f"{len(survivors)} survived")  # fmt: skip
    for mu in survivors:
        print(f"  survivor: {mu.name} ({mu.file}): {mu.bug}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())

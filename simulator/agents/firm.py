"""Firms as Mesa agents: a view on one row of the firms' arrays
(:mod:`simulator.markets.firms`), created on request for inspection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import mesa
import numpy as np

from simulator.calibration.parameters import RAUCH_CLASSES

if TYPE_CHECKING:
    from simulator.model import TradeModel


class Firm(mesa.Agent):
    """One firm, seen through the model's arrays (created on request, for inspection)."""

    model: TradeModel

    def __init__(self, model: TradeModel, row: int) -> None:
        super().__init__(model)
        firms = model.firms
        self.role: Literal["producer", "buyer"] = "producer" if row < firms.n_producers else "buyer"
        self.row = row if self.role == "producer" else row - firms.n_producers
        pop = firms.producers if self.role == "producer" else firms.buyers
        group = int(pop.group[self.row])
        # a buyer's group is also split by the kind of good it trades
        cell, self._kind = divmod(group, model.n_kinds) if self.role == "buyer" else (group, 0)
        n_s = model.data.n_sectors
        self.region = model.data.regions[cell // n_s]
        self.sector = model.data.sectors[cell % n_s]
        self._group, self._cell = group, cell

    def __repr__(self) -> str:
        return f"Firm({self.role}, {self.region}, {self.sector}, {self.describe()})"

    def describe(self) -> dict[str, object]:
        """What the firm is, what it decided last month and why, for a person to read."""
        return self._producer() if self.role == "producer" else self._buyer()

    def _producer(self) -> dict[str, object]:
        m = self.model
        r, s = divmod(self._group, m.data.n_sectors)
        pop = m.firms.producers
        share = float(pop.share[self.row])
        z = float(pop.profit_ratio[self.row])
        serves, left = [], []
        for d, code in enumerate(m.data.regions):
            if d == r:
                continue
            (serves if z >= m.entry_threshold[self._group, d] else left).append(code)
        if z < 1.0 and not serves:
            left = []  # a firm that never exported has stopped nothing
        return {
            "market_share_in_group": share,
            "productivity": float(m.firms.productivity[self.row]),
            "spare_capacity": float(pop.headroom[self.row]),
            "price_index": float(m.price[r, s]),
            "sales_usd_bn_month": float(m.output_value[r, s]) * share,
            "utilisation": float(m.utilisation[r, s]) / (1.0 + float(pop.headroom[self.row])),
            "export_profit_over_fixed_cost": z,
            "expected_profit_vs_base": {
                m.data.regions[d]: float(m.export_profit[r, d, s])
                for d in range(m.data.n_regions)
                if d != r
            },
            "serves": serves,
            "exported_in_base_year": z >= 1.0,
            "does_not_serve": left,
        }

    def _buyer(self) -> dict[str, object]:
        m = self.model
        d, s = divmod(self._cell, m.data.n_sectors)
        pop = m.firms.buyers
        i = self.row
        vintage = int(pop.vintage[i])
        mix = pop.history[self._group, vintage] * m.expected_price[:, d, s]
        mix = mix / mix.sum()
        top = int(np.argmax(mix))
        cost = float(pop.kappa[i])
        out: dict[str, object] = {
            "size_share_in_group": float(pop.size[i]),
            "goods_class": RAUCH_CLASSES[int(m.members.class_kinds[s, self._kind])],
            "switching_cost_months_of_imports": cost,
            "contract_expires": m.month_label(int(pop.expiry[i])),
            "last_resourced": m.month_label(vintage - 1) if vintage else "base year",
            "main_origin": m.data.regions[top],
            "main_origin_share": float(mix[top]),
            "origin_shares": {m.data.regions[o]: float(v) for o, v in enumerate(mix) if v > 0},
        }
        groups = m.data.supplier_groups
        if m.members.kind_weights is not None and m.data.regions[d] == groups.importer:
            # products grouped by lead supplier: the buyer's group, by its lead ("other"); with
            # classes within sectors too, a kind is a group's class (kind 3 g + c)
            per_group = m.members.class_kinds.shape[1] // groups.imports.shape[2]
            group = self._kind // per_group
            out["supplier_group"] = groups.labels[s][group] if groups.labels[s] else None
        last = pop.last
        if last is None:
            return out
        hit = np.flatnonzero(last.switched == i)
        before = int(last.previous_vintage[hit[0]]) if hit.size else vintage
        saving = float(last.saving[self._group, before])
        if hit.size and last.expired[hit[0]]:
            decision = "re-sourced: its contract expired"
        elif hit.size:
            decision = (
                f"re-sourced: the saving it expected ({saving:.2f} months of imports) "
                f"beat its switching cost ({cost:.2f})"
            )
        else:
            decision = (
                f"kept its suppliers: the saving it expected ({saving:.2f} months of imports) "
                f"did not cover its switching cost ({cost:.2f})"
            )
        stock = float(m.stock_change[:, d, s].sum())
        out.update(
            {
                "month": m.month_label(last.month),
                "saving_seen_months": saving,
                "decision": decision,
                "group_stocking_up": stock > 0,
            }
        )
        return out

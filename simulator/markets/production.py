"""Producer firms: output shares, capacity and the producer price of each region × sector.

A group's output ``Q[g]`` is split across its firms by fixed market shares ``w[i]``
(proportional to productivity ** (sigma - 1), the CES allocation with fixed relative prices),
so each firm runs at ``x[g] = Q[g] / Qbar[g]`` of its baseline output. Its desired price is

    p_i / p_base = x ** (1 / eps) * max(1, x / (1 + h_i)) ** (1 / eps_cap)

with ``eps`` the supply elasticity below capacity, ``h_i`` the firm's spare capacity and
``eps_cap`` the (small) elasticity once capacity binds. Each month the group price moves a share
``theta`` of the way, in logs, toward the share-weighted price its firms want at the month's
output: ``p' = p ** (1 - theta) * p_desired ** theta`` (partial adjustment; the fixed point is
the supply curve).
"""

from __future__ import annotations

import numpy as np


class ProducerPopulation:
    """Producer firms' market shares and spare capacity, vectorised."""

    def __init__(
        self,
        group: np.ndarray,
        share: np.ndarray,
        headroom: np.ndarray,
        n_groups: int,
        mean_headroom: float,
    ) -> None:
        self.group = group.astype(np.int64)
        self.share = share
        self.headroom = headroom
        self.n_groups = n_groups
        self.mean_headroom = mean_headroom

    def desired_price(
        self, utilisation: np.ndarray, supply_elasticity: float, capacity_elasticity: float | None
    ) -> np.ndarray:
        """Share-weighted desired price per group (relative to base), given output/baseline."""
        below = utilisation ** (1.0 / supply_elasticity)
        if capacity_elasticity is None:
            return below
        if self.group.size == 0:
            over = np.maximum(1.0, utilisation / (1.0 + self.mean_headroom))
            return below * over ** (1.0 / capacity_elasticity)
        x = utilisation[self.group]
        over = np.maximum(1.0, x / (1.0 + self.headroom)) ** (1.0 / capacity_elasticity)
        extra = np.bincount(self.group, weights=self.share * over, minlength=self.n_groups)
        return below * extra

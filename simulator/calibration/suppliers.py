"""Goods of a sector grouped by their lead supplier: each group's own origin weights.

With ``parameters.sourcing.products: by_lead_supplier`` the buyers of a sector in the importer
(the US) split into groups of products by the origin that led their 2024 supply
(``supplier_groups.csv``): the products China sold the US most of, those Mexico did, and so on.
Each group is an Armington nest of its own whose base-year weights are the importer's landed
purchases of the group's products. Origin ``o``'s purchases of sector ``s`` are split across
the groups as its 2024 imports of them were, ``f[o, s, g]``; domestic purchases as US
producers' estimated supply of the group's products (``supplier_groups_home.csv``), or without
that table as the sector's imports from all origins were (the same import penetration in every
group). With ``classes: within_sectors`` too, each group splits further by Rauch class (kinds
``3 g + c``), in the same way. A kind's share of the sector's
spending and its weights,

    L[o, s, g] = L[o, s] f[o, s, g],    w[s, g] = sum_o L[o, s, g] / sum_o L[o, s],
    a[g, o, s] = L[o, s, g] / sum_k L[k, s, g],

add up to the sector's: ``sum_g w[s, g] a[g, o, s] = a[o, s]``, so the base year is the same,
and with one group a sector is the sector's nest. Other importers' groups all keep the
sector's weights (the data describe US imports only), so their demand is the sector's.
"""

from __future__ import annotations

import numpy as np


def supplier_weights(
    imports: np.ndarray,
    home: int,
    landed: np.ndarray,
    fallback: np.ndarray,
    home_supply: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The kinds' shares of each sector's spending, ``[sector, kind]`` (the importer's, used
    for every destination), and their Armington weights, ``[kind, origin, destination,
    sector]``, from the importer's (region ``home``) base-year imports by kind ``[origin,
    sector, kind]`` and the base-year landed flows ``[origin, destination, sector]``. A sector
    without imports in the table is all of kind ``fallback[sector]``. Home producers' sales
    split as ``home_supply[sector, kind]`` where given (and not all zero for the sector),
    otherwise as the sector's imports from all origins."""
    n_r, _, n_s = landed.shape
    n_k = imports.shape[2]
    total = imports.sum(axis=0)  # [sector, kind]: from every origin
    covered = total.sum(axis=1) > 0
    all_origins = np.where(
        covered[:, None],
        total / np.where(covered, total.sum(axis=1), 1.0)[:, None],
        np.eye(n_k)[fallback],
    )
    by_origin = imports.sum(axis=2, keepdims=True)  # [origin, sector, 1]
    fraction = np.where(
        by_origin > 0, imports / np.where(by_origin > 0, by_origin, 1.0), all_origins[None]
    )
    fraction[home] = all_origins  # domestic purchases: the sector's import mix, or
    if home_supply is not None:  # where home producers' supply lies
        supplied = home_supply.sum(axis=1, keepdims=True)
        own = home_supply / np.where(supplied > 0, supplied, 1.0)
        fraction[home] = np.where(supplied > 0, own, all_origins)
    split = landed[:, home, :, None] * fraction  # [origin, sector, kind]
    spending = split.sum(axis=0)  # [sector, kind]
    shares = spending / spending.sum(axis=1, keepdims=True)
    sector_weights = landed / landed.sum(axis=0)
    weights = np.broadcast_to(sector_weights, (n_k, n_r, n_r, n_s)).copy()
    own = split / np.where(spending > 0, spending, 1.0)[None]  # [origin, sector, kind]
    weights[:, :, home, :] = np.where(
        (spending > 0).T[:, None, :], own.transpose(2, 0, 1), sector_weights[None, :, home, :]
    )
    return shares, weights

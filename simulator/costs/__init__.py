"""What tariffs cost: supply chains, prices, real incomes and households.

The model feeds these functions plain arrays; results, summaries, reports, the dashboard and
the game read what they compute. Money is US$ bn per month at base-year prices and exchange
rates (a region's currency valued at its 2024 rate), unless a name says otherwise.

- :mod:`.supply_chains`: a sector's unit cost from the prices of its intermediate inputs;
- :mod:`.prices`: the price buyers pay for a sector's goods (before and after they re-source),
  consumer and producer price indices;
- :mod:`.welfare`: real income against the no-policy path and its parts (consumers, producers,
  tariff revenue; terms of trade and efficiency), and real GDP;
- :mod:`.households`: the cost per household, on average and by income decile.
"""

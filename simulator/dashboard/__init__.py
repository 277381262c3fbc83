"""The classroom dashboard (a Solara app; optional extra ``tradesim[dashboard]``)."""

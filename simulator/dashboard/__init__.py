"""The classroom dashboard (a Solara app; its optional extra: ``pip install ".[dashboard]"``
in a checkout)."""

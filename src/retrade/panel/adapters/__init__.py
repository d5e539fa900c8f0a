"""Source adapters: one module per raw-store source, each with ``to_panel(raw) -> panel rows``.

The panel builder imports ``retrade.panel.adapters.<source>`` for every source in
the raw store; modules whose name starts with an underscore are helpers.
"""

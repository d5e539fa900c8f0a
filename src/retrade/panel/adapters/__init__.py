"""Source adapters: each turns one source's raw rows into panel rows.

The panel builder imports ``retrade.panel.adapters.<source>`` by name and calls
its ``to_panel(raw, *, source=...)``; every adapter returns rows that satisfy
:mod:`retrade.panel.schema`.
"""

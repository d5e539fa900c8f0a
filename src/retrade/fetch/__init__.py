"""Fetchers and importers: bring data from APIs and hand-downloaded files, as it came.

Everything here returns raw tables with provenance and hands them to
:mod:`retrade.store`; nothing here harmonizes (that is :mod:`retrade.panel`).
"""

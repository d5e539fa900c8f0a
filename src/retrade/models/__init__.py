"""Models: estimators and descriptive models that take panels or series and return results.

Models never fetch, never know store paths and never write files. Each module
owns one thing; import the module you need (``from retrade.models import breaks``).
"""

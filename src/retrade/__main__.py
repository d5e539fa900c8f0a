"""``python -m retrade`` runs the command-line interface."""

from retrade.cli import main

main()

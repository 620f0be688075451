"""``python -m kratom_report`` runs the command line."""

from .cli import main

main(prog_name="kratom-report")

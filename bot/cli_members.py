"""`studybot members …` (placeholder until the roster import lands)."""
import typer

members_cli = typer.Typer(help="成员与支部名册。", no_args_is_help=True)

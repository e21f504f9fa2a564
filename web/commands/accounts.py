"""``flask --app app create-admin USERNAME``: the first administrator (and any later one), from the server's shell.

The password is asked twice without echo, or read from ``PARKATLAS_ADMIN_PASSWORD``
(for scripted set-ups); it is never an argument, so it does not land in the
shell's history or the process list.
"""

from __future__ import annotations

import os

import click
from flask.cli import with_appcontext

from layers.accounts import AccountError


@click.command("create-admin")
@with_appcontext
@click.argument("username")
@click.option("--name", "display_name", default="", help="Display name (e.g. 张三).")
@click.option("--role", type=click.Choice(["admin", "editor", "viewer"]), default="admin", show_default=True,
              help="Role of the new account.")
def create_admin_command(username: str, display_name: str, role: str) -> None:
    """Create an account (an administrator by default) in the accounts file."""
    from web.auth import accounts, create_account

    password = os.environ.get("PARKATLAS_ADMIN_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    try:
        made = create_account(accounts(), username, password, role=role, display_name=display_name)
    except AccountError as exc:
        click.echo(f"not created: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(f"account {made.username} ({made.role}) created in {accounts().path}")

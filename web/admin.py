"""Account administration (administrators only, by the permission table): create, change role, disable, reset.

Accounts are never deleted (their names stay in the audit trail); disabling one
ends its sessions at once.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for

from layers.accounts import ROLES, AccountError
from web.auth import account_message, accounts, check_password_rules, create_account, current_user, hash_password
from web.i18n import tr

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
def users():
    """Every account with its role and state, and the form to add one."""
    return render_template("admin/users.html", accounts=accounts().all(), roles=ROLES)


@bp.post("/users")
def create_user():
    form = request.form
    try:
        made = create_account(accounts(), form.get("username", ""), form.get("password", ""),
                              role=form.get("role", "viewer"), display_name=form.get("display_name", ""),
                              actor=_actor(), actor_role="admin")
    except AccountError as exc:
        flash(account_message(exc), "error")
    else:
        current_app.logger.info("account %s (%s) created by %s", made.username, made.role, _me())
        flash(tr(f"已创建账户 {made.username}", f"account {made.username} created"), "ok")
    return redirect(url_for("admin.users"), code=303)


def _me() -> str:
    user = current_user()
    return user.username if user else "local"


def _actor() -> str | None:
    """The signed-in administrator, whose role the write checks again in its transaction (none without accounts)."""
    user = current_user()
    return user.username if user else None


@bp.post("/users/<username>")
def update_user(username: str):
    """Change ``role``, ``disabled`` (1/0) and/or set a new ``password``, all in one transaction or nothing."""
    form = request.form
    try:
        password_hash = None
        if form.get("password"):
            check_password_rules(form["password"], username=username)
            password_hash = hash_password(form["password"])
        disabled = form["disabled"] == "1" if "disabled" in form else None
        updated = accounts().change(username, role=form.get("role"), disabled=disabled, password_hash=password_hash,
                                    actor=_actor(), actor_role="admin")
    except AccountError as exc:
        flash(account_message(exc), "error")
    else:
        current_app.logger.info("account %s changed by %s: %s", updated.username, _me(),
                                ", ".join(k for k in form if k not in ("csrf_token", "password"))
                                + (" password" if password_hash else ""))
        flash(tr(f"账户 {updated.username} 已更新", f"account {updated.username} updated"), "ok")
    return redirect(url_for("admin.users"), code=303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

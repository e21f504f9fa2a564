"""Account administration (administrators only, by the permission table): create, change role, disable, reset.

Accounts are never deleted (their names stay in the audit trail); disabling one
ends its sessions at once.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for

from layers.accounts import ROLES, AccountError
from web.auth import accounts, create_account, current_user, hash_password
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
                              min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        current_app.logger.info("account %s (%s) created by %s", made.username, made.role, _me())
        flash(tr(f"已创建账户 {made.username}", f"account {made.username} created"), "ok")
    return redirect(url_for("admin.users"), code=303)


def _me() -> str:
    user = current_user()
    return user.username if user else "local"


@bp.post("/users/<username>")
def update_user(username: str):
    """Change one thing about an account: ``role``, ``disabled`` (1/0) or a new ``password``."""
    form = request.form
    store = accounts()
    try:
        if username == _me() and ("role" in form or form.get("disabled") == "1"):
            raise AccountError(tr("不能修改自己的角色或停用自己的账户", "you cannot change your own role or disable yourself"))
        if "role" in form:
            store.set_role(username, form["role"])
        if "disabled" in form:
            store.set_disabled(username, form["disabled"] == "1")
        if form.get("password"):
            from web.auth import check_password_rules

            check_password_rules(form["password"], min_length=current_app.config["PASSWORD_MIN_LENGTH"])
            store.set_password(username, hash_password(form["password"]))
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        current_app.logger.info("account %s changed by %s: %s", username, _me(),
                                ", ".join(k for k in form if k != "csrf_token" and k != "password")
                                + (" password" if form.get("password") else ""))
        flash(tr(f"账户 {username} 已更新", f"account {username} updated"), "ok")
    return redirect(url_for("admin.users"), code=303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

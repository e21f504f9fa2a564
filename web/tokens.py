"""Personal API tokens on the account page: create (shown once), list, revoke.

A signed-in user creates a token for QGIS, GDAL or a script, names it, copies it
from the page that answers the creation (the only time it is shown: the accounts
file keeps its hash), and revokes it there when the machine or the script goes.
Tokens are managed with the browser's sign-in only (``tokens.*`` is a ``self``
rule, which header credentials may not use: :func:`web.auth.enforce`).
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Flask, current_app, flash, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound

from layers.accounts import AccountError
from layers.api_tokens import create_token, list_tokens, revoke_token
from web.auth import account_message, accounts, current_user
from web.i18n import tr

bp = Blueprint("tokens", __name__)


def _user():
    user = current_user()
    if user is None:  # a deployment without accounts (development mode) has no tokens
        raise NotFound(tr("未启用账户，没有 API 令牌", "accounts are not enabled: there are no API tokens"))
    return user


def account_tokens() -> list:
    """The signed-in user's tokens, newest first (the account page lists them)."""
    user = current_user()
    return list_tokens(accounts(), user.username) if user is not None else []


@bp.post("/account/tokens")
def create():
    """Create a token named by the form; the answer shows it once and is never cached."""
    user = _user()
    try:
        secret, token = create_token(accounts(), user.username, request.form.get("name", ""),
                                     most=int(current_app.config["API_TOKENS_MAX"]))
    except AccountError as exc:
        flash(account_message(exc), "error")
        return redirect(url_for("auth.account"), code=303)
    current_app.logger.info("API token %r created by %s", token.name, user.username)
    page = render_template("auth/account.html", user=user, new_token=secret, new_token_name=token.name)
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke(token_id: int):
    """Revoke one of the user's own tokens: the next request with it is refused."""
    user = _user()
    if revoke_token(accounts(), user.username, token_id):
        current_app.logger.info("API token %s revoked by %s", token_id, user.username)
        flash(tr("令牌已撤销", "token revoked"), "ok")
    else:
        flash(tr("没有这个令牌（可能已撤销）", "no such token (it may be revoked already)"), "error")
    return redirect(url_for("auth.account"), code=303)


def utc_time(unix_s: float) -> str:
    """A Unix time as ``YYYY-MM-DDTHH:MM:SS+00:00`` (the account page's "last used")."""
    return dt.datetime.fromtimestamp(float(unix_s), dt.UTC).isoformat(timespec="seconds")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["account_tokens"] = account_tokens
    app.jinja_env.filters["utc_time"] = utc_time
    app.register_blueprint(bp)

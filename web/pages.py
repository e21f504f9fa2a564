"""HTML pages. (Overview map: see issue 2; filled in by the web work.)"""

from flask import Blueprint, render_template

bp = Blueprint("pages", __name__)


@bp.get("/")
def overview():
    return render_template("overview.html")

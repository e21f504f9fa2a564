"""JSON API (OGC API Features shape for layers)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

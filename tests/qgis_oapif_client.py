"""QGIS adding every OGC API – Features collection of a landing page, headless; run by Debian's python3.

Not a test module: ``tests/test_clients_qgis.py`` starts it as a subprocess with
``/usr/bin/python3`` (where Debian's ``python3-qgis`` lives, not the project's venv)
and ``QT_QPA_PLATFORM=offscreen``. Given only the landing page's URL it does what
a QGIS user does in "Add WFS / OGC API – Features layer": reads the landing page,
follows its ``data`` link to the collections, and adds each one as an ``OAPIF``
layer, through QGIS's own network stack. With ``--user``/``--password`` every
request is signed by a QGIS authentication configuration of type Basic, stored
in a throw-away authentication database (``--auth-dir``).

Prints one JSON object: ``{"collections": [...], "layers": {id: {"valid",
"feature_count", "features", "fields": {name: type}, "crs", "extent"}}}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("landing")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--auth-dir", help="folder of the throw-away QGIS authentication database")
    return parser.parse_args(argv)


def auth_config(user: str, password: str) -> str:
    """The id of a new Basic authentication configuration holding ``user``/``password``."""
    from qgis.core import QgsApplication, QgsAuthMethodConfig

    manager = QgsApplication.authManager()
    manager.setMasterPassword("parkatlas-test-master", True)
    config = QgsAuthMethodConfig("Basic")
    config.setName("ParkAtlas")
    config.setConfig("username", user)
    config.setConfig("password", password)
    stored = manager.storeAuthenticationConfig(config)
    ok = stored[0] if isinstance(stored, tuple) else stored
    if not ok or not config.id():
        raise SystemExit("QGIS refused to store the authentication configuration")
    return config.id()


def fetch_json(url: str, authcfg: str | None) -> dict:
    """A JSON document fetched through QGIS's network stack (with the authentication configuration)."""
    from qgis.core import QgsBlockingNetworkRequest
    from qgis.PyQt.QtCore import QUrl
    from qgis.PyQt.QtNetwork import QNetworkRequest

    request = QNetworkRequest(QUrl(url))
    request.setRawHeader(b"Accept", b"application/json")
    blocking = QgsBlockingNetworkRequest()
    if authcfg:
        blocking.setAuthCfg(authcfg)
    if blocking.get(request) != QgsBlockingNetworkRequest.NoError:
        raise SystemExit(f"QGIS could not fetch {url}: {blocking.errorMessage()}")
    return json.loads(bytes(blocking.reply().content()).decode("utf-8"))


def find_link(document: dict, rel: str) -> str:
    for link in document.get("links", []):
        if link.get("rel") == rel and link.get("type", "application/json") == "application/json":
            return link["href"]
    raise SystemExit(f"no {rel!r} link of type application/json in {document.get('links')}")


def describe(layer) -> dict:
    """What QGIS made of one layer."""
    found = {"valid": layer.isValid()}
    if not layer.isValid():
        found["error"] = layer.dataProvider().error().message() if layer.dataProvider() else ""
        return found
    extent = layer.extent()
    found.update({
        "feature_count": layer.featureCount(),
        "features": sum(1 for _ in layer.getFeatures()),
        "fields": {field.name(): field.typeName() for field in layer.fields()},
        "crs": layer.crs().authid(),
        "extent": None if extent.isNull() else
        [extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()],
    })
    return found


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    if args.auth_dir:
        os.environ["QGIS_AUTH_DB_DIR_PATH"] = args.auth_dir
    from qgis.core import QgsApplication, QgsDataSourceUri, QgsVectorLayer

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    authcfg = auth_config(args.user, args.password) if args.user else None
    landing = fetch_json(args.landing, authcfg)
    listing = fetch_json(find_link(landing, "data"), authcfg)
    ids = [collection["id"] for collection in listing["collections"]]
    layers = {}
    for name in ids:
        uri = QgsDataSourceUri()
        uri.setParam("url", args.landing)
        uri.setParam("typename", name)
        if authcfg:
            uri.setAuthConfigId(authcfg)
        layer = QgsVectorLayer(uri.uri(False), name, "OAPIF")
        layers[name] = describe(layer)
        del layer
    print(json.dumps({"collections": ids, "layers": layers}, ensure_ascii=False))
    sys.stdout.flush()
    # exitQgis() after the layers are gone; its teardown may still crash on some builds, after the answer.
    app.exitQgis()


if __name__ == "__main__":
    main(sys.argv[1:])

"""Hostile text in every text field of every layer, on every page, in a real headless Chromium: no script runs.

The park holds markup in every free-text field of every layer (ids included:
a parcel is called ``<img src=x onerror=…>P1``) and in the audit trail. An
administrator (who sees every page) signs in through the login form; the test
visits every HTML page the app serves (discovered from ``app.url_map``, so
pages added later are swept too), opens a popup of every map layer, and checks
that no payload ran (``window.__xss`` stays unset), that the browser reported
no Content-Security-Policy violation (an injected handler would be one, and so
would a page script without the nonce), and that no page error occurred.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote

import pandas as pd
import pytest
from auth_helpers import PASSWORD, CsrfClient, auth_config, make_account, signed_in
from browser_helpers import launch, serve
from playwright import sync_api

from layers.registry import REGISTRY
from layers.store import GeoPackageStore
from tests.conftest import TINY_META, tiny_frames

pytestmark = pytest.mark.browser

#: In ids (no slash: ids travel in URL paths).
ID_PAYLOAD = "<img src=x onerror=window.__xss=1>"
#: In every other text field: breaks out of attributes, tags, scripts and templates if anything is unescaped.
TEXT_PAYLOAD = "\"'><script>window.__xss=2</script><img src=x onerror=window.__xss=3><svg onload=window.__xss=4>{{7*7}}"
#: Text fields whose content is parsed or checked against a code list: a payload there is refused on import.
PARSED_FIELDS = {"land_use", "land_use_original", "floor_heights_m"}
REFERENCE_FIELDS = {"parcel_id", "building_id", "unit_id", "enterprise_id", "case_id"}


def hostile_frames() -> dict[str, pd.DataFrame]:
    frames = tiny_frames()
    frames["leases"] = pd.DataFrame({"lease_id": ["L1"], "unit_id": ["U1"], "enterprise_id": ["E1"],
                                     "start": ["2025-01-01"], "end": ["2027-12-31"], "rent_yuan_m2_month": [18.0]})
    frames["cases"] = pd.DataFrame({"case_id": ["C1"], "parcel_id": ["P2"], "problem": ["idle_land"],
                                    "status": ["identified"], "opened": ["2026-01-05"]})
    frames["enterprise_years"] = pd.DataFrame({"record_id": ["EY1"], "enterprise_id": ["E1"], "year": [2025],
                                               "tax_wan": [120.0], "output_wan": [3000.0]})
    for name, frame in frames.items():
        spec = REGISTRY[name]
        for field in spec.fields:
            if field.kind != "str" or field.name in PARSED_FIELDS or field.name not in frame.columns:
                continue
            if field.name == spec.id_field or field.name in REFERENCE_FIELDS:
                frame[field.name] = frame[field.name].map(lambda v: None if pd.isna(v) else ID_PAYLOAD + str(v))
            else:
                frame[field.name] = TEXT_PAYLOAD
    return frames


def hostile_id(plain: str) -> str:
    return ID_PAYLOAD + plain


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    from app import create_app

    folder = tmp_path_factory.mktemp("xss")
    store = GeoPackageStore(folder / "hostile.gpkg")
    store.save_park(hostile_frames(), {**TINY_META, "park_name": TEXT_PAYLOAD})
    app = create_app(auth_config(store.path, folder / "accounts.sqlite", BASEMAP="none"))
    make_account(app, "admin1", "admin")
    # Hostile text in the audit trail and the case ledger too, written through the editor.
    writer = signed_in(app, "admin", username="writer")
    parcel = quote(hostile_id("P1"), safe="")
    data = writer.get(f"/edit/parcels/{parcel}?format=json").get_json()
    response = writer.post(f"/edit/parcels/{parcel}", json={"values": {"name": TEXT_PAYLOAD + " 2"},
                                                            "version": data["version"],
                                                            "fingerprint": data["fingerprint"],
                                                            "reason": TEXT_PAYLOAD})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert writer.post("/edit/cases/new", data={"problem": "vacant_factory", "notes": TEXT_PAYLOAD}).status_code == 303
    with serve(app) as url:
        yield SimpleNamespace(url=url, app=app, store=store)


SAMPLE = {
    "layer": "parcels", "record_id": hostile_id("P1"), "item_id": hostile_id("P1"), "case_id": "C-0",
    "username": "writer", "fmt": "csv", "z": 0, "x": 0, "y": 0,
}


def html_pages(app) -> list[str]:
    """Every GET URL of the app that answers an HTML page to a signed-in administrator."""
    app.test_client_class = CsrfClient
    client = signed_in(app, "admin", username="sweeper")
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in ("static", "auth.logout"):
                continue
            values = {}
            for name in rule.arguments:
                converter = rule._converters[name]
                kind = type(converter).__name__
                values[name] = (0 if kind in ("IntegerConverter", "NumberConverter")
                                else sorted(converter.items)[0] if kind == "AnyConverter" else SAMPLE.get(name, "x"))
            url = rule.build(values, append_unknown=False)[1]
            layers = [url]
            if "layer" in rule.arguments:  # every layer, not just parcels, where the URL names one
                layers = [rule.build({**values, "layer": name, **({"record_id": first_id(app, name)}
                                                                  if "record_id" in rule.arguments else {})},
                                     append_unknown=False)[1] for name in REGISTRY]
            for candidate in layers:
                response = client.get(candidate)
                if response.status_code == 200 and response.mimetype == "text/html":
                    urls.append(candidate)
                response.close()
    return sorted(set(urls))


def first_id(app, layer: str) -> str:
    from web.park import park

    with app.app_context():
        frame = park().layer(layer)
        ids = frame[REGISTRY[layer].id_field].dropna()
        return ids.iloc[0] if len(ids) else "none"


def test_no_payload_runs_on_any_page(hostile_server):
    pages = html_pages(hostile_server.app)
    assert any(p.startswith("/edit/parcels/") for p in pages) and "/" in pages and "/history/" in pages
    ran, violations, errors = [], [], []
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(locale="zh-CN")
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(hostile_server.url)
                      else route.abort())
        context.add_init_script("""
            window.__csp = [];
            document.addEventListener('securitypolicyviolation',
                e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || '')));
        """)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        page.on("dialog", lambda dialog: (ran.append(f"{page.url}: dialog {dialog.message}"), dialog.dismiss()))
        page.goto(hostile_server.url + "/login")
        page.fill('input[name="username"]', "admin1")
        page.fill('input[name="password"]', PASSWORD)
        page.click('form.form button[type="submit"]')
        page.wait_for_url(hostile_server.url + "/")
        for path in pages:
            page.goto(hostile_server.url + path, wait_until="networkidle")
            page.evaluate("""() => {
                const layers = (window.parkatlas && window.parkatlas.layers) || {};
                for (const group of Object.values(layers)) {
                    const first = group.getLayers && group.getLayers()[0];
                    if (first && first.openPopup) { first.openPopup(); }
                }
            }""")
            page.wait_for_timeout(50)
            state = page.evaluate("() => ({xss: window.__xss, csp: window.__csp, text: document.body.innerText})")
            if state["xss"] is not None:
                ran.append(f"{path}: payload {state['xss']} ran")
            violations += [f"{path}: {v}" for v in state["csp"]]
            if "window.__xss=4>49" in state["text"]:
                ran.append(f"{path}: a template expression in the data was evaluated")
        context.close()
        browser.close()
    assert len(pages) >= 10, pages
    assert ran == []
    assert violations == []
    assert errors == [], "\n".join(errors)

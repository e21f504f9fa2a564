"""Overview page weight and time to first render in headless Chromium: inline GeoJSON vs vector tiles.

    .venv/bin/python bench/bench_pages.py [--geojson 20000] [--tiles 1000000]

Demo parks (bench/out/, built when absent) are served on 127.0.0.1; Debian's
chromium opens the overview page at 1400×900. Printed per park:

* ``html_kB``: the page itself; ``total_kB``: every response body until the network is
  idle (scripts, styles and, in tile mode, the tiles of the first view);
* ``server_s``: time to the page's last byte (building the map server-side, layers cached);
* ``render_1st_s``/``render_2nd_s``: navigation start until the parcels are drawn
  (GeoJSON: the layer exists and two frames have painted; tiles: the tile set's first
  ``load`` event), for a first visitor (tiles encoded on demand) and the next one.

``--geojson`` parks are forced inline (tile threshold above their size), ``--tiles``
parks use the app's default threshold. Nothing leaves 127.0.0.1 (other requests are
aborted and counted).
"""

from __future__ import annotations

import argparse
import time
from urllib.parse import urlsplit

from common import LoopbackServer, demo_park, get, machine, record

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1400, "height": 900}


def measure(n_plots: int, *, inline: bool) -> dict:
    from playwright import sync_api

    path = demo_park(n_plots)
    config = {"PARK_PATH": str(path), "DATABASE_URL": None, "BASEMAP": "none"}
    if inline:
        config["TILE_FEATURE_THRESHOLD"] = 10**9
    with LoopbackServer(config) as server:
        base = f"http://127.0.0.1:{server.port}"
        _, body, _, first = get(server.port, "/", timeout=3600)  # loads and validates the layers once (cached)
        _, body, _, server_s = get(server.port, "/", timeout=3600)
        outside: list[str] = []
        visits = []
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            for _ in range(2):  # a first visitor (tiles encoded on demand), then a second (tiles cached)
                visits.append(visit(browser, base, outside))
            browser.close()
    first_visit, second_visit = visits
    return {"html_kB": len(body) / 1024, "total_kB": second_visit["bytes"] / 1024, "server_s": server_s,
            "first_s": first, "render_s": first_visit["render_s"], "render2_s": second_visit["render_s"],
            "tiled": second_visit["tiled"], "zoom": second_visit["zoom"], "outside": len(outside)}


def visit(browser, base: str, outside: list[str]) -> dict:
    """Open the overview in a fresh context; bytes received and seconds until the parcels are drawn."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    sizes: list[int] = []

    def guard(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("requestfinished", lambda request: sizes.append(request.sizes()["responseBodySize"]))
    page.add_init_script(DRAWN_SCRIPT)
    page.goto(base + "/", wait_until="load", timeout=600_000)
    page.wait_for_function("() => window.__drawn !== null", timeout=600_000, polling=50)
    render_ms = page.evaluate("() => window.__drawn")
    page.wait_for_load_state("networkidle", timeout=600_000)
    tiled = page.evaluate("() => !!window.parkatlas.layers.parcels.grid")
    zoom = page.evaluate("() => window.parkatlas.map.getZoom()")
    context.close()
    return {"bytes": sum(sizes), "render_s": render_ms / 1000, "tiled": tiled, "zoom": zoom}


#: Marks when the parcels are drawn: GeoJSON after two frames, tiles at their tile set's first 'load'.
DRAWN_SCRIPT = """
    window.__drawn = null;
    document.addEventListener('DOMContentLoaded', () => {
      const ready = () => window.parkatlas && window.parkatlas.layers && window.parkatlas.layers.parcels;
      const watch = () => {
        if (!ready()) { return setTimeout(watch, 5); }
        const layer = window.parkatlas.layers.parcels;
        if (layer.grid) {
          layer.grid.once('load', () => requestAnimationFrame(() => { window.__drawn = performance.now(); }));
        } else {
          requestAnimationFrame(() => requestAnimationFrame(() => { window.__drawn = performance.now(); }));
        }
      };
      watch();
    });
"""



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geojson", type=int, nargs="*", default=[20_000], help="demo plots, page with inline GeoJSON")
    parser.add_argument("--tiles", type=int, nargs="*", default=[1_000_000], help="demo plots, page with vector tiles")
    args = parser.parse_args()
    print(f"overview page in headless Chromium on {machine()}")
    print(" plots     mode     parcels  html_kB  total_kB  server_s  render_1st_s  render_2nd_s  (first page build s)")
    for n, inline in [(n, True) for n in args.geojson] + [(n, False) for n in args.tiles]:
        from layers.store import GeoPackageStore

        start = time.perf_counter()
        r = measure(n, inline=inline)
        parcels = len(GeoPackageStore(demo_park(n)).load("parcels"))
        mode = "tiles" if r["tiled"] else "geojson"
        print(f"{n:>7}  {mode:>7}  {parcels:>9}  {r['html_kB']:>7.0f}  {r['total_kB']:>8.0f}  {r['server_s']:>8.2f}"
              f"  {r['render_s']:>12.2f}  {r['render2_s']:>12.2f}  ({r['first_s']:.1f}; {time.perf_counter() - start:.0f} s in all;"
              f" opens at zoom {r['zoom']}; {r['outside']} outside requests)", flush=True)
        case = f"{mode} {parcels} parcels"
        record("pages", case, "html", r["html_kB"], "kB")
        record("pages", case, "total", r["total_kB"], "kB")
        record("pages", case, "server", r["server_s"], "s")
        record("pages", case, "first_render_first_visit", r["render_s"], "s")
        record("pages", case, "first_render_second_visit", r["render2_s"], "s")


if __name__ == "__main__":
    main()

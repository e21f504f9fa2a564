"""Overview page weight and time to first render in headless Chromium: inline GeoJSON vs vector tiles.

    .venv/bin/python bench/bench_pages.py [--geojson 20000] [--tiles 1000000] [--seed-zooms auto]

Demo parks (bench/out/, built when absent) are served on 127.0.0.1; Debian's
chromium opens the overview page at 1400×900. Printed per park:

* ``html_kB``: the page itself; ``total_kB``: every response body until the network is
  idle (scripts, styles and, in tile mode, the tiles of the first view);
* ``server_s``: time to the page's last byte (building the map server-side, layers cached);
* ``render_1st_s``/``render_2nd_s``: navigation start until the parcels are drawn
  (GeoJSON: the layer exists and two frames have painted; tiles: the tile set's first
  ``load`` event), for a first visitor and the next one (each in a fresh browser
  context: nothing in the browser's cache).

Tile parks are measured twice, each time on a freshly started server with a new,
empty tile cache file in bench/out/: *on demand* (the first visitor's tiles are
encoded as they are asked for) and *seeded* (``web.tiles.seed`` — what
``flask seed-tiles`` runs — renders every tile of ``--seed-zooms`` first, by default
the zooms the first visitor asked tiles of on demand; then the two visitors). ``encoded`` counts the
layer tiles made on demand during each visit.

Large parks open on their whole extent, below the zoom from which large layers are
drawn (``TILE_MIN_ZOOM``): there the first render has no parcels. ``--zoom-in Z`` then
moves the map to the middle parcel of the park at zoom Z and times it until the
parcels' tiles there are drawn (also part of what the first visitor asks for, so
seeded by default).

``--geojson`` parks are forced inline (tile threshold above their size), ``--tiles``
parks use the app's default threshold. Nothing leaves 127.0.0.1 (other requests are
aborted and counted).
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from urllib.parse import urlsplit

from common import OUT, LoopbackServer, demo_park, get, machine, record

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1400, "height": 900}


def parcel_at(path, zoom: int) -> tuple[float, float, int]:
    """(lat, lon, zoom) of the middle parcel of the park's file (a place where parcels are)."""
    import pyogrio

    count = pyogrio.read_info(path, layer="parcels")["features"]
    one = pyogrio.read_dataframe(path, layer="parcels", skip_features=count // 2, max_features=1)
    point = one.geometry.to_crs(4326).representative_point().iloc[0]
    return point.y, point.x, zoom


def measure(n_plots: int, *, inline: bool, seed_zooms: list[int] | None = None, zoom_in: int | None = None) -> dict:
    """Page weight and first-render seconds; tile parks with a new tile cache, seeded at ``seed_zooms`` if given."""
    from playwright import sync_api

    import web.tiles
    from service.tiles import TileService

    path = demo_park(n_plots)
    config = {"PARK_PATH": str(path), "DATABASE_URL": None, "BASEMAP": "none"}
    if inline:
        config["TILE_FEATURE_THRESHOLD"] = 10**9
    else:
        cache = OUT / f"pages_{path.stem}_{'seeded' if seed_zooms else 'on_demand'}.tiles.sqlite"
        for old in OUT.glob(cache.name + "*"):
            old.unlink()
        config["TILE_CACHE_PATH"] = str(cache)
    encoded: list[tuple] = []
    original = TileService.render

    def counting(self, names, z, x, y, **kwargs):
        encoded.extend((name, z, x, y) for name in names)
        return original(self, names, z, x, y, **kwargs)

    TileService.render = counting
    try:
        with LoopbackServer(config) as server:
            base = f"http://127.0.0.1:{server.port}"
            _, body, _, first = get(server.port, "/", timeout=3600)  # loads and validates the layers once (cached)
            _, body, _, server_s = get(server.port, "/", timeout=3600)
            seeding = None
            if seed_zooms:
                from layers.registry import REGISTRY

                names = [name for name, spec in REGISTRY.items() if not spec.is_table]
                with server.app.app_context():
                    seeding = web.tiles.seed(names, seed_zooms)
                encoded.clear()
            outside: list[str] = []
            visits = []
            with sync_api.sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                     args=["--no-sandbox", "--disable-gpu"])
                zoom_to = parcel_at(path, zoom_in) if zoom_in and not inline else None
                for _ in range(2):  # a first visitor, then a second
                    before = len(encoded)
                    visits.append({**visit(browser, base, outside, zoom_to), "encoded": len(encoded) - before,
                                   "zooms": sorted({z for _, z, _, _ in encoded[before:]})})
                browser.close()
    finally:
        TileService.render = original
    first_visit, second_visit = visits
    return {"html_kB": len(body) / 1024, "total_kB": second_visit["bytes"] / 1024, "server_s": server_s,
            "first_s": first, "render_s": first_visit["render_s"], "render2_s": second_visit["render_s"],
            "encoded": first_visit["encoded"], "encoded2": second_visit["encoded"], "seeding": seeding,
            "asked_zooms": sorted({*first_visit["zooms"], int(second_visit["zoom"])}),
            "zoomed": first_visit["zoomed_s"], "zoomed2": second_visit["zoomed_s"],
            "tiled": second_visit["tiled"], "zoom": second_visit["zoom"], "outside": len(outside)}


def visit(browser, base: str, outside: list[str], zoom_to: tuple[float, float, int] | None = None) -> dict:
    """Open the overview in a fresh context; bytes received and seconds until the parcels are drawn.

    ``zoom_to`` (lat, lon, zoom): then move the map there and time it until the parcels' tiles are drawn.
    """
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
    page_bytes = sum(sizes)
    zoomed = None
    if tiled and zoom_to is not None:
        zoomed = page.evaluate(ZOOM_SCRIPT, list(zoom_to)) / 1000
        page.wait_for_load_state("networkidle", timeout=600_000)
    context.close()
    return {"bytes": page_bytes, "render_s": render_ms / 1000, "tiled": tiled, "zoom": zoom, "zoomed_s": zoomed}


#: Moves the map and resolves with the milliseconds until the parcels' tile set has loaded the new view.
ZOOM_SCRIPT = """
    ([lat, lon, z]) => new Promise((resolve) => {
      const grid = window.parkatlas.layers.parcels.grid;
      const start = performance.now();
      grid.once('load', () => requestAnimationFrame(() => resolve(performance.now() - start)));
      window.parkatlas.map.setView([lat, lon], z, {animate: false});
    })
"""


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
    parser.add_argument("--zoom-in", type=int, default=14,
                        help="tile parks: after the first render, move to the middle parcel at this zoom and time "
                             "its tiles (0: not)")
    parser.add_argument("--seed-zooms", default="auto",
                        help="zooms seeded before the seeded visits (e.g. 12-14); auto: those the first visitor on demand "
                             "asked tiles of (the page opens at zoom 1, then fits the park); "
                             "none: no seeded run")
    args = parser.parse_args()
    print(f"overview page in headless Chromium on {machine()}; load average {os.getloadavg()[0]:.1f}")
    print(" plots     mode     parcels  html_kB  total_kB  server_s  render_1st_s  render_2nd_s  encoded 1st/2nd"
          "  (first page build s)")
    runs = [(n, True, False) for n in args.geojson] + [(n, False, False) for n in args.tiles]
    if args.seed_zooms != "none":
        runs += [(n, False, True) for n in args.tiles]
    asked: dict[int, list[int]] = {}
    for n, inline, seeded in runs:
        from layers.store import GeoPackageStore
        from web.commands.seed_tiles import parse_zooms

        start = time.perf_counter()
        zooms = None
        if seeded:
            zooms = asked[n] if args.seed_zooms == "auto" else parse_zooms(args.seed_zooms)
        r = measure(n, inline=inline, seed_zooms=zooms, zoom_in=args.zoom_in)
        gc.collect()  # the server and its park go before the next one loads
        asked.setdefault(n, r["asked_zooms"])
        parcels = len(GeoPackageStore(demo_park(n)).load("parcels"))
        mode = ("tiles, seeded" if seeded else "tiles") if r["tiled"] else "geojson"
        seeding = ""
        if r["seeding"]:
            seeding = (f"; seeded zoom {','.join(map(str, zooms))}: {r['seeding']['tiles']} layer tiles, "
                       f"{r['seeding']['bytes'] / 1e6:.1f} MB in {r['seeding']['seconds']:.1f} s")
        if r["zoomed"] is not None:
            seeding += (f"; zoomed in to {args.zoom_in} on a parcel: parcels drawn after {r['zoomed']:.2f} s "
                        f"(1st visitor), {r['zoomed2']:.2f} s (2nd)")
        print(f"{n:>7}  {mode:>13}  {parcels:>9}  {r['html_kB']:>7.0f}  {r['total_kB']:>8.0f}  {r['server_s']:>8.2f}"
              f"  {r['render_s']:>12.2f}  {r['render2_s']:>12.2f}  {r['encoded']:>7}/{r['encoded2']:<7}"
              f"  ({r['first_s']:.1f}; {time.perf_counter() - start:.0f} s in all; opens at zoom {r['zoom']};"
              f" {r['outside']} outside requests{seeding}; load average {os.getloadavg()[0]:.1f})", flush=True)
        case = f"{mode} {parcels} parcels"
        record("pages", case, "html", r["html_kB"], "kB")
        record("pages", case, "total", r["total_kB"], "kB")
        record("pages", case, "server", r["server_s"], "s")
        record("pages", case, "first_page_build", r["first_s"], "s")
        record("pages", case, "first_render_first_visit", r["render_s"], "s")
        record("pages", case, "first_render_second_visit", r["render2_s"], "s")
        record("pages", case, "tiles_encoded_first_visit", r["encoded"], "layer tiles")
        if r["zoomed"] is not None:
            record("pages", case, f"zoom_in_{args.zoom_in}_first_visit", r["zoomed"], "s")
            record("pages", case, f"zoom_in_{args.zoom_in}_second_visit", r["zoomed2"], "s")
        if r["seeding"]:
            record("pages", case, "seeding", r["seeding"]["seconds"], "s")


if __name__ == "__main__":
    main()

"""``flask --app app analyse``: run the land analysis and write ``parcel_analysis``."""

from __future__ import annotations

import sys
import time

import click
from flask import current_app, has_app_context

#: What the land analysis judges (``geo.judged``): the command says which of these the park lacks the layers for.
ANALYSIS_TOPICS = ("utilisation", "idle_land", "inefficient_land", "muju", "vacancy", "readiness")



def counts_text(values) -> str:
    """Each value with its count, then the records not judged (missing): ``idle 2, active 5, not judged 1``;
    ``none`` for no records (never an empty label)."""
    parts = [f"{key} {int(n)}" for key, n in values.value_counts().items()]
    missing = int(values.isna().sum())
    if missing:
        parts.append(f"not judged {missing}")
    return ", ".join(parts) or "none"

@click.command("analyse")
@click.option("--park", "park_path", default=None,
              help="Park GeoPackage or postgresql:// URL (default: PARKATLAS_DATABASE_URL, PARKATLAS_PARK).")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Day judged (default: the park's reference date, else today).")
@click.option("--out", "out", default=None, type=click.Path(dir_okay=False),
              help="Write parcel_analysis to FILE.geojson, .csv, .xlsx or .gpkg.")
@click.option("--engine", type=click.Choice(["single", "dask"]), default="single", show_default=True,
              help="dask: run the per-parcel steps partition-wise on a dask cluster (geo.partition).")
@click.option("--scheduler", default=None, metavar="ADDR",
              help="With --engine dask: an existing scheduler (tcp://host:8786); default a local cluster.")
@click.option("--readiness-thread/--readiness-inline", "readiness_thread", default=None,
              help="One process: readiness beside the land steps in a second thread (the default: at 10⁶ parcels "
                   "26 s instead of 30 s on two cores, 0.4 GB more) or after them (--readiness-inline: less memory).")
@click.option("--timeout", "timeout_s", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="With --scheduler: seconds to try reaching it.")
def analyse_command(park_path: str | None, as_of: str | None, out: str | None, engine: str,
                    scheduler: str | None, readiness_thread: bool | None, timeout_s: float) -> None:
    """Utilisation, idle land, inefficient land, 亩均 and vacancy of the park as of a day.

    Prints the counts per idle status and inefficiency category, what could not be
    judged, and the vacancy rate; writes parcel_analysis with the DESIGN.md field
    names when --out is given. Exits 2 when the input is rejected.
    """
    from geo.analysis import analyse_land
    from geo.judged import layer_states, not_judged
    from geo.records import in_force
    from layers.analysis_io import FORMATS, write_analysis
    from layers.registry import REGISTRY
    from layers.rules import RulesError
    from layers.store import ParkStoreError
    from layers.stores import close_store, open_park
    from layers.validate import LayerValidationError
    from service import DayRange, ParkService

    location = park_path or current_app.config.get("DATABASE_URL") or current_app.config["PARK_PATH"]
    if out is not None and not out.lower().endswith(FORMATS):
        click.echo(f"analyse: --out {out!r}: allowed formats are {', '.join(FORMATS)}", err=True)
        sys.exit(2)
    if scheduler and engine != "dask":
        click.echo("analyse: --scheduler needs --engine dask", err=True)
        sys.exit(2)
    if readiness_thread is not None and engine != "single":
        flag = "--readiness-thread" if readiness_thread else "--readiness-inline"
        click.echo(f"analyse: {flag} is for --engine single (dask workers run one step at a time)", err=True)
        sys.exit(2)
    started = time.perf_counter()
    try:
        # The app's day range when the command runs in its context (``flask analyse``); the same defaults otherwise.
        days = DayRange.of(current_app.config["AS_OF_EARLIEST"], current_app.config["AS_OF_LATEST"]) \
            if has_app_context() else DayRange()
        service = ParkService(open_park(location), days=days)
        try:
            meta = service.meta()
            day = service.day(as_of, name="--as-of")
            layers = service.layers(REGISTRY)
            present = service.store.layer_names()
            rules = service.rules()
        finally:
            close_store(service.store)
    except (ParkStoreError, LayerValidationError, RulesError, FileNotFoundError, ValueError) as exc:
        click.echo(f"analyse: {exc}", err=True)
        sys.exit(2)
    loaded = time.perf_counter()
    from contextlib import ExitStack, nullcontext
    from functools import partial

    from geo.analysis import parcel_steps

    if engine == "dask":
        from geo.partition import dask_engine

        engine_context = dask_engine(scheduler=scheduler, connect_timeout_s=timeout_s)
    else:
        engine_context = nullcontext(partial(parcel_steps, background=readiness_thread is not False))
    with ExitStack() as stack:
        try:
            steps = stack.enter_context(engine_context)
        except OSError as exc:  # the scheduler cannot be reached (refused, unknown host, timed out)
            click.echo(f"analyse: cannot reach the dask scheduler at {scheduler}: {exc}", err=True)
            sys.exit(2)
        result = analyse_land(layers, as_of=day, rules=rules.land, infra_rules=rules.infrastructure, steps=steps,
                              status_rules=rules.evaluation.status)
    analysed = time.perf_counter()
    parcels = result.parcels
    click.echo(f"{meta.get('park_name') or location}: {len(parcels)} parcels as of {day.isoformat()} "
               f"(loaded in {loaded - started:.1f} s, analysed in {analysed - loaded:.1f} s)")
    states = layer_states({name: len(in_force(frame)) for name, frame in layers.items()}, present)
    for item in not_judged(states, ANALYSIS_TOPICS):
        click.echo(item.message("en"))
    click.echo("idle status: " + counts_text(parcels["idle_status"]))
    for reason, n in parcels["idle_not_judged"].dropna().value_counts().items():
        click.echo(f"  not judged ({int(n)}): {reason}")
    fees = parcels["idle_fee_wan"].sum(min_count=1)
    click.echo(f"idle fees due: {0.0 if fees != fees else fees:,.1f} 万元")
    from geo.inefficiency import CATEGORIES

    click.echo("inefficient land: " + ", ".join(f"{c} {int(parcels[c].sum())}" for c in CATEGORIES))
    vacancy = result.park_vacancy
    rate = vacancy["vacancy_rate"]
    click.echo(f"factory vacancy: {vacancy['vacant_m2']:,.0f} of {vacancy['leasable_m2']:,.0f} m² leasable"
               + ("" if rate != rate else f" ({rate:.1%})")
               + f"; overlapping leases {len(result.overlaps)}")
    for row in result.overlaps.itertuples():
        click.echo(f"  overlapping leases on unit {row.unit_id}: {row.lease_a} and {row.lease_b} "
                   f"({row.overlap_days} days)")
    if out is not None:
        path = write_analysis(parcels, out)
        click.echo(f"parcel_analysis written to {path}")

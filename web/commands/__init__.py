"""CLI commands (``flask --app app <command>``): thin wrappers over layers/geo.

Each command lives in its own module and is registered here. Commands exit 0 on
success and 2 when the user's input is rejected, printing the report.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from web.commands import analyse, copy_park, demo
    from web.commands import io as io_commands

    app.cli.add_command(demo.demo_command)
    app.cli.add_command(copy_park.copy_park_command)
    app.cli.add_command(io_commands.import_command)
    app.cli.add_command(io_commands.export_command)
    app.cli.add_command(io_commands.mappings_group)
    app.cli.add_command(analyse.analyse_command)
    from web.commands import accounts, backup

    app.cli.add_command(accounts.create_admin_command)
    app.cli.add_command(backup.backup_command)
    app.cli.add_command(backup.restore_command)
    app.cli.add_command(backup.check_park_command)
    from web.commands import seed_tiles

    app.cli.add_command(seed_tiles.seed_tiles_command)
    from web.commands import serve

    app.cli.add_command(serve.serve_command)
    from web.commands import i18n

    app.cli.add_command(i18n.i18n_catalogue_command)

"""The `i2i` command: thin wrappers over domain functions (also `flask --app wsgi ...`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from app import accounts, analysis, create_app, queue, reports, results, tag_hours
from app.clock import parse_day_or_time
from app.database import write_transaction
from app.errors import Refused
from app.intake import demo, incidents_jsonl, notes_jsonl, servicenow, statuspage
from app.reports import formats as report_formats
from app.search import index


def _fail(message: str) -> None:
    """Exit non-zero with a one-line reason on standard error (DESIGN section 6)."""
    click.echo(f"i2i: {message}", err=True)
    sys.exit(1)


@click.group("users", help="Manage accounts.")
def users_group() -> None:
    pass


@users_group.command("create")
@click.argument("username")
@click.option("--role", default="responder", show_default=True)
@click.option("--display-name", default=None)
@with_appcontext
def create_user_command(username: str, role: str, display_name: str | None) -> None:
    """Create USERNAME; the password is read from standard input."""
    password = (
        sys.stdin.readline().rstrip("\r\n")
        if not sys.stdin.isatty()
        else click.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    try:
        user = accounts.create_user(
            username, role=role, password=password, display_name=display_name
        )
    except Refused as error:
        _fail(error.message)
    click.echo(f"created @{user.username} ({user.role})")


@click.command(
    "demo", help="Build the simulated organisation, with planted patterns and their ground truth."
)
@click.option("--notes", "note_count", default=6000, show_default=True, type=click.IntRange(0))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--days", default=42, show_default=True, type=click.IntRange(1, 3650))
@with_appcontext
def demo_command(note_count: int, seed: int, days: int) -> None:
    try:
        summary = demo.build_demo(
            notes=note_count,
            seed=seed,
            days=days,
            instance_dir=Path(current_app.config["I2I_INSTANCE_DIR"]),
            progress=_progress,
        )
    except Refused as error:
        _fail(error.message)
    results.forget(current_app)
    click.echo(summary)


@click.group("import", help="Import records and notes from other systems.")
def import_group() -> None:
    pass


@import_group.command("servicenow")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_servicenow_command(path: Path) -> None:
    """Import a ServiceNow incident export (CSV, optionally gzipped)."""
    _report(servicenow.import_servicenow, path, policy=current_app.config["I2I_POLICY"])


@import_group.command("statuspage")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def import_statuspage_command(folder: Path) -> None:
    """Import Statuspage incident JSON files (as GitHub's status history is kept)."""
    _report(statuspage.import_statuspage, folder)


@import_group.command("incidents")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_incidents_command(path: Path) -> None:
    """Import incidents from JSON Lines (DESIGN section 6)."""
    _report(incidents_jsonl.import_incidents, path, policy=current_app.config["I2I_POLICY"])


@import_group.command("notes")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_notes_command(path: Path) -> None:
    """Import notes from JSON Lines (DESIGN section 6); idempotent by note id."""
    _report(notes_jsonl.import_notes, path, pattern=current_app.config["I2I_INCIDENT_PATTERN"])


@click.group("export", help="Export records as JSON Lines.")
def export_group() -> None:
    pass


@export_group.command("incidents")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_incidents_command(path: Path) -> None:
    """Write every incident to PATH as JSON Lines (DESIGN section 6)."""
    click.echo(f"exported {incidents_jsonl.export_incidents(path)} incidents to {path}")


@click.group("search", help="Look after the search index.")
def search_group() -> None:
    pass


@search_group.command("rebuild")
@with_appcontext
def search_rebuild_command() -> None:
    """Rebuild the search index from the database (search keeps working meanwhile)."""
    click.echo(str(index.rebuild(progress=_progress)))


@search_group.command("verify")
@with_appcontext
def search_verify_command() -> None:
    """Report notes missing from, stale in or left over in the search index."""
    try:
        report = index.verify(progress=_progress)
    except index.Unavailable as error:
        _fail(f"{error}; run `i2i search rebuild`")
    if not report.clean:
        _fail(f"{report} Run `i2i search rebuild`.")
    click.echo(str(report))


@export_group.command("notes")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_notes_command(path: Path) -> None:
    """Write every note (not retracted) to PATH as JSON Lines (DESIGN section 6)."""
    click.echo(f"exported {notes_jsonl.export_notes(path)} notes to {path}")


@click.group(
    "insights",
    invoke_without_command=True,
    help="Trends, correlations and the people graph of a period (DESIGN section 5).",
)
@click.option(
    "--from", "first", metavar="DATE", help="First day, YYYY-MM-DD (or a time, ISO 8601)."
)
@click.option("--to", "last", metavar="DATE", help="Last day, YYYY-MM-DD (or the end, ISO 8601).")
@click.option("--tag", "tag_names", multiple=True, help="Only notes with this tag (repeatable).")
@click.option("--service", "services", multiple=True, help="Only this service (repeatable).")
@click.option("--as", "username", help="What this person may see (default: nothing restricted).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@with_appcontext
def insights_group(ctx, first, last, tag_names, services, username, as_json) -> None:
    if ctx.invoked_subcommand is not None:
        return
    if not first or not last:
        _fail("give the period: --from YYYY-MM-DD --to YYYY-MM-DD")
    viewer = None
    if username:
        viewer = accounts.find_user(username)
        if viewer is None:
            _fail(f"no account @{username}")
    found = analysis.insights_summary(
        viewer,
        parse_day_or_time(first, "--from"),
        parse_day_or_time(last, "--to"),
        tag_names=tag_names,
        services=services,
    )
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, default=str))
        return
    for key, rows in found.items():
        click.echo(f"\n{key.replace('_', ' ')}")
        if isinstance(rows, dict):
            rows = [{"tag": tag, "people": ", ".join(people)} for tag, people in rows.items()]
        if not rows:
            click.echo("  (none)")
        for row in rows:
            click.echo("  " + "  ".join(f"{k}={_cell(v)}" for k, v in row.items()))


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


@insights_group.command("rebuild")
@with_appcontext
def insights_rebuild_command() -> None:
    """Recreate the tag × hour aggregates from the notes."""
    with write_transaction():
        rows = tag_hours.recount()
    results.forget(current_app)
    click.echo(f"rebuilt the tag × hour aggregates: {rows:,} rows; kept results dropped")


@click.command("report")
@click.option("--from", "first", metavar="DATE", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "last", metavar="DATE", required=True, help="Last day, YYYY-MM-DD.")
@click.option("--tag", "tag_names", multiple=True, help="Only notes with this tag (repeatable).")
@click.option("--service", "services", multiple=True, help="Only this service (repeatable).")
@click.option("--team", "teams", multiple=True, help="Only this assignment group (repeatable).")
@click.option("--priority", "priorities", multiple=True, help="Only this priority, P1-P5.")
@click.option("--incident", "numbers", multiple=True, help="Only this incident (repeatable).")
@click.option("--as", "username", help="What this person may see (default: nothing restricted).")
@click.option("--format", "kind", required=True, type=click.Choice(list(report_formats.FORMATS)))
@click.option("--out", "path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--names", is_flag=True, help="Keep people's names (default: P-01, P-02…).")
@click.option("--mask-incidents", is_flag=True, help="Mask incident numbers (INC-A…).")
@with_appcontext
def report_command(
    first, last, tag_names, services, teams, priorities, numbers, username, kind, path, names,
    mask_incidents,
) -> None:  # fmt: skip
    """A pattern report of a period, written to FILE, with a progress bar."""
    viewer = None
    if username:
        viewer = accounts.find_user(username)
        if viewer is None:
            _fail(f"no account @{username}")
    params = reports.report_params(
        first=first,
        last=last,
        tags=tag_names,
        services=services,
        teams=teams,
        priorities=priorities,
        incidents=numbers,
        pseudonymise=not names,
        mask_incidents=mask_incidents,
    )
    with click.progressbar(length=1000, label="report", file=sys.stderr) as bar:

        def progress(done: int, total: int, step: str) -> None:
            bar.label = step
            bar.update(max(done - bar.pos, 0))

        data = reports.build_file(viewer, params, kind, progress)
    path.write_bytes(data)
    click.echo(f"wrote {path} ({len(data):,} bytes)")


@click.group("jobs", help="The job queue (reports, heavy analyses).")
def jobs_group() -> None:
    pass


@jobs_group.command("work")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 16))
@with_appcontext
def jobs_work_command(workers: int) -> None:
    """Consume the job queue in this process until stopped (Ctrl+C or SIGTERM): a worker
    for another machine when REDIS_URL is set (the duty leader of a site consumes too)."""
    queue.standalone_consumer(current_app._get_current_object(), workers).run()


def _report(run_import, source: Path, **settings) -> None:
    """Run an import with a progress bar and print its summary; fail with one line when
    it could not run, or (after importing the good records) when it refused some."""
    try:
        summary = run_import(source, progress=_progress, **settings)
    except UnicodeDecodeError:
        raise  # said alike for every command (_OneLineErrors)
    except (ValueError, Refused) as error:
        _fail(str(getattr(error, "message", error)))
    click.echo(str(summary))
    if summary.refused:
        _fail(f"{summary.refused:,} refused (listed above); the others were imported")


def _progress(iterable, length: int, label: str):
    return click.progressbar(iterable, length=length, label=label, file=sys.stderr)


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_group)
    app.cli.add_command(demo_command)
    app.cli.add_command(import_group)
    app.cli.add_command(export_group)
    app.cli.add_command(search_group)
    app.cli.add_command(insights_group)
    app.cli.add_command(jobs_group)
    app.cli.add_command(report_command)


class _OneLineErrors(FlaskGroup):
    """Any failure of a command ends as one line on standard error and exit status 1
    (DESIGN section 6): a refusal says why, a file problem names the file."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as error:  # a wrong argument: said in one line, status 2
            click.echo(
                f"i2i: {error.format_message()} (see `i2i {ctx.invoked_subcommand} --help`)",
                err=True,
            )
            sys.exit(2)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Refused as error:
            _fail(error.message)
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            _fail(f"{where}{error.strerror or error}")
        except UnicodeDecodeError as error:
            _fail(f"the file is not UTF-8 text (byte {error.start}: {error.reason})")
        except index.Unavailable as error:
            _fail(f"{error}; run `i2i search rebuild`")
        except Exception as error:  # noqa: BLE001 — still one line, named by its kind
            _fail(f"{type(error).__name__}: {' '.join(str(error).split())[:300]}")


def main() -> None:
    _OneLineErrors(create_app=create_app, add_version_option=False, load_dotenv=False)(
        prog_name="i2i"
    )

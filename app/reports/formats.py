"""A report document in each format a researcher takes away: a standalone HTML file
(charts as inline SVG, so it opens with no network), PDF (WeasyPrint, the same HTML,
charts as vector graphics), CSV (a zip of one table per section and a README of the
columns), XLSX (openpyxl, one sheet per table, typed cells) and JSON (the document
itself, checked against `report.schema.json`)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime
from functools import cache
from pathlib import Path

import jsonschema
import vl_convert
from flask import current_app
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Font
from weasyprint import HTML

from app import charts
from app.config import ROOT
from app.reports.document import SECTION_TITLES

FORMATS = {
    "html": "text/html",
    "pdf": "application/pdf",
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
EXTENSIONS = {"html": "html", "pdf": "pdf", "csv": "zip", "xlsx": "xlsx", "json": "json"}
SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
CHART_WIDTH = 620


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def pattern_chart_name(key: str) -> str:
    """A chart's name (an HTML id) for the pattern of `key`."""
    return "pattern-" + re.sub(r"[^A-Za-z0-9_-]+", "-", key)[:80]


def pattern_chart(pattern: dict) -> charts.Chart | None:
    """What a pattern found beside what it is compared with: people against the expected
    level (trends), notes or incidents against chance (pairs, attributes), this tag's
    incidents against the others (outcomes)."""
    figures, kind = pattern["figures"], pattern["kind"]
    name = pattern_chart_name(pattern["key"])
    if kind == "trend" and "expected" in figures:
        rows = [{"measure": "people", "value": figures["people"]},
                {"measure": "expected", "value": figures["expected"]}]  # fmt: skip
        caption = "People using the tag in the last hours, against the expected level"
    elif kind in ("pair", "attribute") and figures.get("lift"):
        chance = round(figures["count"] / figures["lift"], 1)
        rows = [{"measure": "found", "value": figures["count"]},
                {"measure": "chance", "value": chance}]  # fmt: skip
        caption = "How often, against what chance would give"
    elif kind == "outcome" and "this" in figures and "others" in figures:
        unit = "median hours" if figures.get("outcome") == "time_to_resolve" else "rate"
        rows = [{"measure": "with the tag", "value": figures["this"]},
                {"measure": "others", "value": figures["others"]}]  # fmt: skip
        caption = f"Incidents with the tag against the others ({unit})"
    else:
        return None
    return charts.bars(name, caption, rows, "measure", "value")


def document_charts(document: dict) -> dict[str, charts.Chart]:
    """The charts of a report, from its own data (the same specs the pages draw)."""
    found: dict[str, charts.Chart] = {}
    for pattern in document["patterns"]:
        chart = pattern_chart(pattern)
        if chart is not None:
            found[chart.name] = chart
    pairs = [p["figures"] for p in document["patterns"] if p["kind"] == "pair"]
    if pairs:
        found["pairs"] = charts.heatmap("report-pairs", pairs)
    leads = [p["figures"] for p in document["patterns"] if p["kind"] == "lead_lag"]
    if leads:
        found["lead_lag"] = charts.lead_lag("report-lead-lag", leads)
    counts = document.get("counts") or {}
    for name, label, caption in (
        ("hour_of_day", "hour", "Tagged notes by hour of day (UTC)"),
        ("weekday", "weekday", "Tagged notes by weekday"),
        ("service", "service", "Tagged notes by service"),
    ):
        if counts.get(name):
            found[name] = charts.bars(f"report-{name}", caption, counts[name], label, "notes")
    by_priority = (document.get("metrics") or {}).get("by_priority") or []
    rows = [
        {"priority": f"P{r['priority']}", "hours": r["mttr_h"]}
        for r in by_priority
        if r.get("mttr_h") is not None
    ]
    if rows:
        found["mttr"] = charts.bars(
            "report-mttr", "Mean time to resolve by priority, hours", rows, "priority", "hours"
        )
    return found


def svg(chart: charts.Chart) -> Markup:
    """A chart as inline SVG (vl-convert: Vega-Lite rendered without a browser)."""
    spec = dict(chart.spec, width=CHART_WIDTH, autosize={"type": "pad"})
    return Markup(vl_convert.vegalite_to_svg(spec))  # noqa: S704 — SVG made by vl-convert from our spec


def standalone(template: str, **context) -> str:
    """A page that stands alone (an exported report or review): our stylesheet inline,
    no script, no link out. The template alone, without the site's context processors:
    a job has no request."""
    style = (ROOT / "static" / "css" / "report.css").read_text()
    return current_app.jinja_env.get_template(template).render(
        style=Markup(style),  # noqa: S704 — our own stylesheet
        inside=False,
        **context,
    )


def pdf_of(page: str) -> bytes:
    """A standalone page as PDF (WeasyPrint: text as text, SVG charts as vectors)."""
    return HTML(string=page).write_pdf()


def drawn(document: dict) -> dict[str, Markup]:
    """Every chart of a report as SVG (drawn once for the HTML and the PDF alike)."""
    return {name: svg(chart) for name, chart in document_charts(document).items()}


def html(document: dict, svgs: dict[str, Markup] | None = None) -> str:
    """The standalone HTML file of a report: charts as inline SVG."""
    return standalone(
        "reports/standalone.html",
        report=document,
        charts=document_charts(document),
        drawn=svgs if svgs is not None else drawn(document),
        section_titles=SECTION_TITLES,
        chart_name=pattern_chart_name,
    )


def pdf(document: dict, svgs: dict[str, Markup] | None = None) -> bytes:
    return pdf_of(html(document, svgs))


def tables(document: dict) -> dict[str, tuple[str, list[str], list[list]]]:
    """Every table of the report: name → (what it holds, columns, rows)."""
    patterns = document["patterns"]
    found = {
        "patterns": (
            "One row per pattern found: its key, kind, section, reading in words, size, q value,"
            " notes and people showing it, and who knows it best.",
            ["key", "kind", "section", "reading", "size", "q", "notes", "people", "follow_up"],
            [
                [
                    p["key"],
                    p["kind"],
                    p["section"],
                    p["reading"],
                    p["size"],
                    p["q"],
                    p["note_count"],
                    p["people_count"],
                    " ".join(p["follow_up"]),
                ]  # fmt: skip
                for p in patterns
            ],
        ),
        "notes": (
            "The representative notes of each pattern, quoted as written.",
            ["pattern", "note", "at", "person", "incident", "text"],
            [
                [p["key"], n["id"], _time(n["at"]), n["person"], n["incident"], n["text"]]
                for p in patterns
                for n in p["notes"]
            ],
        ),
    }
    for by, rows in (document.get("metrics") or {}).items():
        columns = ["priority" if by == "by_priority" else "service", "incidents", "acknowledged",
                   "resolved", "mtta_h", "mttr_h", "median_ttr_h", "sla_met"]  # fmt: skip
        found[f"metrics_{by}"] = (
            f"Incident metrics {by.replace('_', ' ')}: MTTA and MTTR in hours from registration"
            " (means; median time to resolve), share of incidents that met their SLA.",
            columns,
            [[r.get(c) for c in columns] for r in rows],
        )
    for name, rows in (document.get("counts") or {}).items():
        if rows:
            columns = list(rows[0])
            found[f"counts_{name}"] = (
                f"Tagged notes counted by {name.replace('_', ' ')}, with no model.",
                columns,
                [[r[c] for c in columns] for r in rows],
            )
    found["method"] = (
        "How the report was made.",
        ["line"],
        [[line] for line in document["method"]],
    )
    return found


def csv_zip(document: dict) -> bytes:
    """A zip of one CSV per table (UTF-8, header row) and a README of the columns."""
    buffer = io.BytesIO()
    readme = [document["title"], f"Period {document['period']['from']} to "
              f"{document['period']['to']}", ""]  # fmt: skip
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (about, columns, rows) in tables(document).items():
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(columns)
            writer.writerows([_cell(v) for v in row] for row in rows)
            archive.writestr(f"{name}.csv", out.getvalue())
            readme += [f"{name}.csv — {about}", f"  columns: {', '.join(columns)}", ""]
        archive.writestr("README.txt", "\n".join(readme))
    return buffer.getvalue()


def xlsx(document: dict) -> bytes:
    """A workbook of one sheet per table: numbers as numbers, times as times."""
    book = Workbook()
    book.remove(book.active)
    for name, (_about, columns, rows) in tables(document).items():
        sheet = book.create_sheet(name[:31])
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_typed(v) for v in row])
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def as_json(document: dict) -> bytes:
    jsonschema.validate(document, schema())
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def render(document: dict, kind: str, svgs: dict[str, Markup] | None = None) -> bytes:
    """The report in format `kind` (one of FORMATS); `svgs` from `drawn` when the same
    document is rendered in several formats."""
    if kind == "html":
        return html(document, svgs).encode()
    if kind == "pdf":
        return pdf(document, svgs)
    return {"csv": csv_zip, "xlsx": xlsx, "json": as_json}[kind](document)


def _time(value: str):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _cell(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value


def _typed(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel keeps no zone: times are UTC
    return value

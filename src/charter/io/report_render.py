"""A status report (the plain data of services/reports.py) as a PDF (fpdf2, pure Python) or as a standalone
HTML document. Both show the same parts: the RAG table with each colour's rule, the narrative (already
sanitised HTML), milestones, critical-path changes, top risks, open concerns and change requests, and the
earned-value figures with the PV/EV/AC chart."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from functools import cache
from typing import Any

from fpdf import FPDF
from jinja2 import Environment, select_autoescape

from charter.domain.figures import counted

RAG_RGB = {"green": (42, 138, 74), "amber": (214, 140, 0), "red": (200, 55, 45), "grey": (150, 156, 166)}
SERIES_RGB = {"pv": (47, 111, 206), "ev": (42, 138, 74), "ac": (200, 55, 45)}
EVM_KEYS = ("bac", "pv", "ev", "ac", "spi", "cpi", "eac", "vac")
log = logging.getLogger("charter.reports")
FONT, MONO = "DejaVu", "DejaVuMono"
# DejaVu (shipped with matplotlib, a dependency) covers Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew,
# Arabic and many symbols; scripts it lacks (CJK, Indic) come out as empty boxes, never as "?".
_FONT_FILES = {(FONT, ""): "DejaVuSans.ttf", (FONT, "B"): "DejaVuSans-Bold.ttf",
               (FONT, "I"): "DejaVuSans-Oblique.ttf", (FONT, "BI"): "DejaVuSans-BoldOblique.ttf",
               (MONO, ""): "DejaVuSansMono.ttf", (MONO, "B"): "DejaVuSansMono-Bold.ttf",
               (MONO, "I"): "DejaVuSansMono-Oblique.ttf", (MONO, "BI"): "DejaVuSansMono-BoldOblique.ttf"}  # fmt: skip
_CONTROL = {c: None for c in range(32) if c not in (9, 10)}


@cache
def font_dir() -> str:
    import matplotlib

    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf")


def _add_fonts(pdf: FPDF, html: str) -> None:
    """Embed the Unicode TrueType fonts (fpdf2 subsets them and writes a ToUnicode map, so the text of the
    PDF can be searched and copied). Parsing a font takes time: italics and the monospaced family only when
    the narrative uses them."""
    italic = any(tag in html for tag in ("<em", "<i>", "<i ", "<cite", "<blockquote"))
    mono = any(tag in html for tag in ("<code", "<pre", "<kbd", "<samp", "<tt"))
    for (family, style), name in _FONT_FILES.items():
        if (family == MONO and not mono) or ("I" in style and not italic):
            continue
        pdf.add_font(family, style, os.path.join(font_dir(), name))


def _code_styles() -> dict[str, Any]:
    from fpdf.fonts import TextStyle
    from fpdf.html import DEFAULT_TAG_STYLES

    out: dict[str, Any] = {}
    for tag in ("code", "pre"):
        style = DEFAULT_TAG_STYLES[tag]  # "pre" is a TextStyle (with margins), "code" a plain FontFace
        out[tag] = (
            style.replace(font_family=MONO) if isinstance(style, TextStyle) else replace(style, family=MONO)
        )
    return out


def _t(v: Any) -> str:
    """The text as given (the fonts are Unicode), without control characters a PDF cannot show."""
    return ("" if v is None else str(v)).translate(_CONTROL)


def _num(v: Any) -> float | None:
    try:
        return None if v is None else float(v)
    except (TypeError, ValueError):
        return None


def title(r: dict[str, Any]) -> str:
    return f"{r['project_key']} {r['project_name']} - status report, {r['label']}"


# --------------------------------------------------------------------------------------------- PDF


class _Pdf(FPDF):
    def __init__(self, report: dict[str, Any]):
        super().__init__(format="A4")
        self.report = report
        _add_fonts(self, str(report.get("narrative_html") or ""))

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(110, 110, 110)
        r = self.report
        state = "published" if r["status"] == "published" else "DRAFT - figures are live, not final"
        self.cell(0, 6, _t(f"{r['project_key']} - {r['label']} - {state} - page {self.page_no()}"), align="C")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(23, 35, 59)
    pdf.cell(0, 7, _t(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(0, 0, 0)


def _lines(pdf: FPDF, rows: list[str], empty: str) -> None:
    for row in rows or [empty]:
        pdf.multi_cell(0, 5, _t(row), new_x="LMARGIN", new_y="NEXT")


def _chart(pdf: FPDF, trend: list[dict[str, Any]], currency: str) -> None:
    pts = {k: [(i, _num(m.get(k))) for i, m in enumerate(trend)] for k in SERIES_RGB}
    values = [v for series in pts.values() for _, v in series if v is not None]
    if not values:
        _lines(pdf, [], "No earned-value history yet.")
        return
    top = max(max(values), 1.0)
    x0, w, h = pdf.l_margin + 14, 150.0, 45.0
    y0 = pdf.get_y() + 4
    step = w / max(len(trend) - 1, 1)
    pdf.set_draw_color(154, 163, 178)
    pdf.line(x0, y0 + h, x0 + w, y0 + h)
    pdf.line(x0, y0, x0, y0 + h)
    pdf.set_font(FONT, "", 7)
    pdf.set_xy(pdf.l_margin, y0 - 3)
    pdf.cell(30, 4, _t(f"{top:,.0f} {currency}"))
    for key, rgb in SERIES_RGB.items():
        line = [(x0 + i * step, y0 + h - v / top * h) for i, v in pts[key] if v is not None]
        pdf.set_draw_color(*rgb)
        pdf.set_line_width(0.6)
        if len(line) > 1:
            pdf.polyline(line)
        for x, y in line[-1:]:
            pdf.circle(x, y, 1.2)
    pdf.set_line_width(0.2)
    for i, m in enumerate(trend):
        if len(trend) <= 12 or i % max(len(trend) // 12, 1) == 0:
            pdf.set_xy(x0 + i * step - 7, y0 + h + 1)
            pdf.cell(14, 4, _t(m.get("month")), align="C")
    pdf.set_xy(x0 + w + 3, y0 + 2)
    for key, rgb in SERIES_RGB.items():
        pdf.set_text_color(*rgb)
        pdf.set_x(x0 + w + 3)
        pdf.cell(20, 4, key.upper(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "", 9)
    pdf.set_y(y0 + h + 8)


def to_pdf(r: dict[str, Any]) -> bytes:
    pdf = _Pdf(r)
    pdf.set_title(_t(title(r)))
    pdf.set_author(_t(r.get("published_by") or r.get("created_by") or "Charter"))
    pdf.set_creator("Charter")
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 8, _t(f"{r['project_name']} ({r['project_key']})"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 11)
    state = f"published {str(r['published_at'])[:10]}" if r["status"] == "published" else "draft"
    pdf.cell(0, 6, _t(f"Status report, {r['label']} - {state} - figures as of {r.get('as_of')}"),
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    overall = r.get("overall") or "grey"
    pdf.set_fill_color(*RAG_RGB.get(overall, RAG_RGB["grey"]))
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(40, 7, _t(f"Overall: {overall.upper()}"), fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)

    _heading(pdf, "Status by area")
    pdf.set_font(FONT, "", 9)
    for a in r.get("areas") or []:
        pdf.set_fill_color(*RAG_RGB.get(a["rag"], RAG_RGB["grey"]))
        pdf.set_text_color(255, 255, 255)
        pdf.cell(18, 6, _t(a["rag"].upper()), fill=True, align="C")
        pdf.set_text_color(0, 0, 0)
        pdf.cell(30, 6, _t(a["area"].capitalize()))
        pdf.multi_cell(0, 6, _t(a["rule"]), new_x="LMARGIN", new_y="NEXT")

    _heading(pdf, "Narrative")
    html = r.get("narrative_html") or ""
    if html:
        try:
            pdf.write_html(_t(html), font_family=FONT, tag_styles=_code_styles())
        except Exception:  # an HTML construct fpdf2 cannot lay out: fall back to the plain text
            log.warning("report %s: narrative laid out as plain text", r.get("id"), exc_info=True)
            _lines(pdf, (r.get("narrative") or "").splitlines(), "")
    else:
        _lines(pdf, [], "No narrative.")

    _heading(pdf, "Milestones")
    _lines(pdf, [f"{m['name']}: {m['finish'] or '-'} (baseline {m['baseline_finish'] or '-'}"
                 + (f", {m['slip_days']} days late" if (m.get("slip_days") or 0) > 0 else "")
                 + (", done" if m.get("done") else "") + ")" for m in r.get("milestones") or []],
           "No milestone due in the period or late against the baseline.")  # fmt: skip

    _heading(pdf, "Critical path")
    cc, cp = r.get("critical_changes") or {}, r.get("critical_path") or {}
    names = {**(cp.get("names") or {}), **(cc.get("names") or {})}
    rows = [
        f"{counted(len(cp.get('task_ids') or []), 'critical task')}; project finish {cp.get('finish') or '-'}"
    ]
    if cc.get("previous") is None:
        rows.append("No earlier published report to compare with.")
    else:
        rows.append(
            f"Since the previous report: finish {cc.get('finish_before') or '-'} -> {cc.get('finish_after') or '-'}"
        )
        rows.append(
            "Joined: " + (", ".join(names.get(str(t), f"task {t}") for t in cc.get("joined") or []) or "none")
        )
        rows.append(
            "Left: " + (", ".join(names.get(str(t), f"task {t}") for t in cc.get("left") or []) or "none")
        )
    _lines(pdf, rows, "")

    _heading(pdf, "Top risks")
    _lines(pdf, [f"R{x['number']} {x['title']} - {x['kind']}, score {x['score'] if x['score'] is not None else '-'} "
                 f"({x['band']}), {x['status']}, strategy {x['strategy'] or 'none'}" for x in r.get("top_risks") or []],
           "No open risks.")  # fmt: skip

    _heading(pdf, "Open concerns")
    _lines(pdf, [f"{c['subject']} - {c['severity']}, {c['status']}" + (" - PAST ACKNOWLEDGEMENT DEADLINE" if c["past_ack"] else "")
                 for c in r.get("concerns") or []], "No open concerns.")  # fmt: skip

    _heading(pdf, "Change requests")
    _lines(pdf, [f"CR-{c['number']} {c['title']} - {c['status']}, {c['age_days']} days" for c in r.get("change_requests") or []],
           "No open change requests and none approved in the period.")  # fmt: skip

    _heading(pdf, f"Earned value ({r.get('currency')})")
    ev = r.get("evm")
    if ev:
        _lines(
            pdf,
            ["  ".join(f"{k.upper()} {ev.get(k) if ev.get(k) is not None else '-'}" for k in EVM_KEYS)],
            "",
        )
        _chart(pdf, r.get("trend") or [], r.get("currency") or "")
    else:
        _lines(pdf, [], "No earned-value figures (no approved budget).")
    return bytes(pdf.output())


# --------------------------------------------------------------------------------------------- HTML

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_env.globals["counted"] = counted
_HTML = _env.from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#17233b}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #d5dae3;padding:.3rem .5rem;text-align:left}
.rag{color:#fff;font-weight:bold;text-align:center}.green{background:#2a8a4a}.amber{background:#d68c00}
.red{background:#c8372d}.grey{background:#969ca6}.red-text{color:#c8372d;font-weight:bold}.amber-text{color:#a86e00;font-weight:bold}
</style></head><body>
<h1>{{ r.project_name }} ({{ r.project_key }})</h1>
<p>Status report, {{ r.label }} &middot; {{ "published " ~ (r.published_at|string)[:10] if r.status == "published" else "draft" }}
&middot; figures as of {{ r.as_of }} &middot; overall <strong class="rag {{ r.overall }}">{{ r.overall }}</strong></p>
<h2>Status by area</h2>
<table><thead><tr><th>Area</th><th>Status</th><th>Rule</th></tr></thead><tbody>
{% for a in r.areas %}<tr><td>{{ a.area|capitalize }}</td><td class="rag {{ a.rag }}">{{ a.rag }}</td><td>{% if a.reasons %}{% for x in a.reasons %}<span class="{{ x.rag }}-text">{{ x.rag }}</span>: {{ x.text }}{% if not loop.last %}<br>{% endif %}{% endfor %}{% else %}{{ a.rule }}{% endif %}</td></tr>
{% endfor %}</tbody></table>
<h2>Narrative</h2>{{ r.narrative_html|safe if r.narrative_html else "<p>No narrative.</p>"|safe }}
<h2>Milestones</h2>{% if r.milestones %}<ul>{% for m in r.milestones %}<li>{{ m.name }}: {{ m.finish or "-" }} (baseline {{ m.baseline_finish or "-" }}{% if (m.slip_days or 0) > 0 %}, {{ m.slip_days }} days late{% endif %}{% if m.done %}, done{% endif %})</li>{% endfor %}</ul>{% else %}<p>No milestone due in the period or late against the baseline.</p>{% endif %}
<h2>Critical path</h2><p>{{ counted(r.critical_path.task_ids|length, "critical task") }}; project finish {{ r.critical_path.finish or "-" }}.
{% if r.critical_changes.previous %} Since the previous report: finish {{ r.critical_changes.finish_before or "-" }} &rarr; {{ r.critical_changes.finish_after or "-" }}; joined {{ r.critical_changes.joined|length }}, left {{ r.critical_changes.left|length }}.{% else %} No earlier published report to compare with.{% endif %}</p>
<h2>Top risks</h2>{% if r.top_risks %}<ul>{% for x in r.top_risks %}<li>R{{ x.number }} {{ x.title }} &ndash; {{ x.kind }}, score {{ x.score if x.score is not none else "-" }} ({{ x.band }}), {{ x.status }}</li>{% endfor %}</ul>{% else %}<p>No open risks.</p>{% endif %}
<h2>Open concerns</h2>{% if r.concerns %}<ul>{% for c in r.concerns %}<li>{{ c.subject }} &ndash; {{ c.severity }}, {{ c.status }}{% if c.past_ack %} &ndash; past the acknowledgement deadline{% endif %}</li>{% endfor %}</ul>{% else %}<p>No open concerns.</p>{% endif %}
<h2>Change requests</h2>{% if r.change_requests %}<ul>{% for c in r.change_requests %}<li>CR-{{ c.number }} {{ c.title }} &ndash; {{ c.status }}, {{ c.age_days }} days</li>{% endfor %}</ul>{% else %}<p>No open change requests and none approved in the period.</p>{% endif %}
<h2>Earned value ({{ r.currency }})</h2>{% if r.evm %}<table><tr>{% for k in keys %}<th>{{ k|upper }}</th>{% endfor %}</tr><tr>{% for k in keys %}<td>{{ r.evm[k] if r.evm[k] is not none else "-" }}</td>{% endfor %}</tr></table>{{ chart|safe }}{% else %}<p>No earned-value figures (no approved budget).</p>{% endif %}
</body></html>
""")


def chart_svg(trend: list[dict[str, Any]], width: int = 640, height: int = 220, pad: int = 30) -> str:
    """The PV/EV/AC lines per month as an SVG (presentation attributes only, no style element)."""
    pts = {k: [(i, _num(m.get(k))) for i, m in enumerate(trend)] for k in SERIES_RGB}
    values = [v for series in pts.values() for _, v in series if v is not None]
    if not values:
        return ""
    top = max(max(values), 1.0)
    step = (width - 2 * pad) / max(len(trend) - 1, 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img"><title>Planned value, earned value and actual cost per month</title>',
             f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#9aa3b2"/>',
             f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#9aa3b2"/>']  # fmt: skip
    for key, (cr, cg, cb) in SERIES_RGB.items():
        coords = " ".join(f"{pad + i * step:.1f},{height - pad - v / top * (height - 2 * pad):.1f}"
                          for i, v in pts[key] if v is not None)  # fmt: skip
        if coords:
            parts.append(f'<polyline class="series {key}" points="{coords}" fill="none" '
                         f'stroke="rgb({cr},{cg},{cb})" stroke-width="2"><title>{key.upper()}</title></polyline>')  # fmt: skip
    for i, m in enumerate(trend):
        if len(trend) <= 12 or i % max(len(trend) // 12, 1) == 0:
            month = _env.from_string("{{ m }}").render(m=m.get("month"))
            parts.append(f'<text x="{pad + i * step:.1f}" y="{height - pad + 14}" font-size="10" '
                         f'text-anchor="middle">{month}</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def to_html(r: dict[str, Any]) -> str:
    return _HTML.render(r=r, title=title(r), keys=EVM_KEYS, chart=chart_svg(r.get("trend") or []))

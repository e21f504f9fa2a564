"""The import report: what was read, how, what was fixed and what is wrong, by record.

One :class:`ImportReport` travels through an import. Each step adds notices
(things done that lose nothing, or that the user should look at) and problems
(things that make the import fail). The CLI prints :meth:`ImportReport.text`;
the upload page renders the same grouped lines; ``to_dict`` feeds JSON.
"""

from __future__ import annotations

import dataclasses
import re
from collections import OrderedDict
from dataclasses import dataclass, field

from layers.import_text import chinese, field_in, how_in, id_fault_in, layer_in, record_in, reference_in
from layers.source_attributes import KEPT_TYPE_NAMES
from layers.validate import Problem

#: How many record labels a grouped line lists before "… and N more".
GROUP_RECORD_LIMIT = 12
#: How many grouped lines the text report prints per section.
TEXT_LINE_LIMIT = 200


class ImportRejected(ValueError):
    """The input was rejected; ``report`` says why, by record and field."""

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__(report.text())


#: Command-line advice in report messages → what the same advice is on the web (the upload form's fields).
#: Messages are built in layers/io for both; the web shows them through :func:`web_wording`.
_WEB_WORDING = (
    (re.compile(r"given with --(crs|encoding)"), "given on the upload form"),
    (re.compile(r"for import: --crs (\S+)"), r"on the upload form's CRS field: \1"),
    (re.compile(r"give --crs (\w+(?: or \w+)?)"), r"give \1 in the upload form's CRS field"),
    (re.compile(r"(?:give|check|choose) (?:it |the right CRS |the CRS |the encoding |one )?with --crs"),
     "give it in the upload form's CRS field"),
    (re.compile(r"--crs ('[^']*'|\S+)(?= is| needs)"), r"the CRS \1 given on the upload form"),
    (re.compile(r"give --crs"), "give it in the upload form's CRS field"),
    (re.compile(r"check --crs"), "check the upload form's CRS field"),
    (re.compile(r"--crs"), "the upload form's CRS field"),
    (re.compile(r"(?:give (?:it|the encoding) )?with --encoding"), "in the upload form's encoding field"),
    (re.compile(r"--encoding"), "the upload form's encoding field"),
    (re.compile(r"choose one with --source-layer"), "choose one in the upload form's source layer / sheet field"),
    (re.compile(r"--source-layer"), "the upload form's source layer / sheet field"),
    (re.compile(r"send all of its files, e\.g\. zipped together"),
     "choose all of its files together in the upload form's file field (or a zip of them)"),
    (re.compile(r"repeat with --accept-damaged"), "upload it again with 'skip damaged records' ticked"),
    (re.compile(r"--accept-damaged"), "'skip damaged records' on the upload form"),
    (re.compile(r"use --mode upsert"), "choose the mode 'upsert' on the upload form"),
    (re.compile(r"--mode (\w+)"), r"the mode '\1' on the upload form"),
    (re.compile(r"--mapping"), "the preview's field mapping"),
    (re.compile(r"--accept-far"), "the preview's checkbox for records far from the park"),
    (re.compile(r"--id-field"), "the preview's choice of id field"),
)


def web_wording(message: str) -> str:
    """``message`` with its command-line advice (``--crs``, ``--source-layer`` …) said as the web does it."""
    for pattern, replacement in _WEB_WORDING:
        message = pattern.sub(replacement, message)
    return message


def message_for_web(message: str, lang: str = "en") -> str:
    """A message as the upload page says it: in Chinese from the catalogue (:mod:`layers.import_text`)
    in zh, else in English with the upload form's terms (:func:`web_wording`)."""
    said = chinese(message) if lang != "en" else None
    return said if said is not None else web_wording(message)


def for_web(problems: list[Problem], lang: str = "en") -> list[Problem]:
    """``problems`` as the upload page says them in ``lang`` (:func:`message_for_web`)."""
    return [dataclasses.replace(p, message=message_for_web(p.message, lang)) for p in problems]


@dataclass(frozen=True)
class GroupedLine:
    """Notices or problems that share field and message, with the records they concern."""

    field: str
    message: str
    records: tuple[str, ...]
    values: tuple[object, ...]
    #: Records concerned in all (an aggregated notice stands for many).
    count: int = 0

    def text(self, lang: str = "en") -> str:
        """The line: records, field, message and the values got; records and field said in ``lang`` (the
        message is in it already: :func:`for_web`)."""
        zh = lang != "en"
        shown = [record_in(record, lang) for record in self.records[:GROUP_RECORD_LIMIT]]
        more = len(self.records) - len(shown)
        where = ("、" if zh else ", ").join(shown)
        if more > 0:
            where += f" … 等另 {more} 条" if zh else f" … and {more} more"
        if self.count > len(self.records):
            where = f"{self.count} 条记录：{where}" if zh else f"{self.count} records: {where}"
        value = ""
        distinct = [v for v in dict.fromkeys(map(_value_text, self.values)) if v]
        if distinct:
            values = ", ".join(distinct[:5]) + (" …" if len(distinct) > 5 else "")
            value = f"（收到 {values}）" if zh else f" (got {values})"
        return f"{where} · {field_in(self.field, lang)}{'：' if zh else ': '}{self.message}{value}"


def _value_text(value: object, limit: int = 60) -> str:
    if value is None:
        return ""
    text = repr(value.item() if hasattr(value, "item") and callable(value.item) else value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def group(problems: list[Problem]) -> list[GroupedLine]:
    """Merge problems with the same field and message into one line listing their records."""
    groups: OrderedDict[tuple[str, str], tuple[list[str], list[object], list[int]]] = OrderedDict()
    for problem in problems:
        records, values, counts = groups.setdefault((problem.field, problem.message), ([], [], []))
        records.append(problem.record)
        values.append(problem.value)
        counts.append(problem.count)
    return [GroupedLine(f, m, tuple(r), tuple(v), sum(c)) for (f, m), (r, v, c) in groups.items()]


#: Kept types as people read them (zh, en).
TYPE_LABELS = {**KEPT_TYPE_NAMES, "mixed": ("多种类型", "mixed types")}


@dataclass(frozen=True)
class FieldOutcome:
    """What an import did with one source field.

    ``outcome`` is ``mapped`` (onto registry field ``target``; ``also`` the id field
    it gives too), ``yearly`` (a figure of year ``year`` of the layer's yearly table:
    ``target`` is ``<table>.<field>``), ``kept`` (as it is, of type ``kind``; ``target``
    ``<layer>.<field>`` when its ids link that layer's records, :mod:`layers.io.links`),
    ``ignored`` (the mapping drops it), ``geometry`` (read as the geometry), ``types``
    (an export's types of its kept fields) or ``unreadable`` (``reason`` says why, in
    Chinese and English).
    """

    source: str
    outcome: str
    target: str | None = None
    kind: str | None = None
    reason: tuple[str, str] | None = None
    also: str | None = None
    year: int | None = None

    def text(self, lang: str = "en") -> str:
        """The one line the report gives this field, in ``lang`` (zh or en)."""
        zh = lang == "zh"
        if self.outcome == "mapped" and self.also:
            return (f"映射到 {field_in(self.target or '')}，并作为{field_in(self.also)}" if zh
                    else f"mapped to {self.target}, and taken as {self.also}")
        if self.outcome == "mapped":
            return f"映射到 {field_in(self.target or '')}" if zh else f"mapped to {self.target}"
        if self.outcome == "yearly":
            table, _, name = (self.target or "").partition(".")
            return (f"移入{layer_in(table)}：{self.year} 年{field_in(name)}" if zh
                    else f"moved to {table}: {name} of {self.year}")
        if self.outcome == "kept":
            kind = TYPE_LABELS.get(self.kind or "text", (self.kind, self.kind))[0 if zh else 1]
            kept = f"原样保留（{kind}）" if zh else f"kept as is ({kind})"
            if self.target:  # a link column (layers.io.links): its ids link the records of another layer
                layer, _, name = self.target.partition(".")
                return (f"{kept}，并按其中的编号关联{layer_in(layer)}（{field_in(name)}）" if zh
                        else f"{kept}, and links the {layer} it names ({name})")
            return kept
        if self.outcome == "ignored":
            reason = self.reason or ("映射如此指定", "the mapping says so")
            return f"忽略（{reason[0]}）" if zh else f"ignored ({reason[1]})"
        if self.outcome == "geometry":
            return "用作几何" if zh else "used for the geometry"
        if self.outcome == "types":
            return "导出文件的保留字段类型" if zh else "the types of an export's kept fields"
        reason = (self.reason or ("", ""))[0 if zh else 1]
        return f"无法读取（{reason}）" if zh else f"could not be read ({reason})"

    def to_dict(self) -> dict:
        return {"source": self.source, "outcome": self.outcome, "target": self.target, "type": self.kind,
                **({"also": self.also} if self.also else {}), **({"year": self.year} if self.year else {}),
                "zh": self.text("zh"), "en": self.text("en")}


@dataclass
class ImportReport:
    """Everything an import did or found.

    ``problems`` make the import fail; ``notices`` are kept for the record
    (encoding and CRS used, mapping, fixes, review flags, topology findings).
    """

    layer: str
    source: str
    mode: str = "replace"
    dry_run: bool = False
    source_layer: str | None = None
    driver: str | None = None
    encoding: str | None = None
    source_crs: str | None = None
    crs_how: str | None = None
    working_epsg: int | None = None
    new_park: bool = False
    mapping: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    fields: list[FieldOutcome] = field(default_factory=list)
    #: The saved mapping applied (by name), if any.
    mapping_name: str | None = None
    #: Distinct values of each source field, for the web's mapping step (:mod:`layers.io.suggest`).
    profiles: list = field(default_factory=list)
    records_read: int = 0
    records_imported: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    #: Counts of the other layers the import writes with its own (``enterprise_years``: the wide yearly
    #: columns of an enterprise list, :mod:`layers.io.wide_years`), by layer.
    also: dict[str, dict[str, int]] = field(default_factory=dict)
    #: What a link column (an enterprise list's 所在地块, :mod:`layers.io.links`) does to the layer it names, by
    #: layer: counts by outcome (``linked``, ``already``, ``not_found``, ``conflicts``, ``claimed_twice``,
    #: ``retired``), or ``{"unavailable": n}`` (n rows name records of a layer the park does not hold yet).
    links: dict[str, dict[str, int]] = field(default_factory=dict)
    notices: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    archive: str | None = None
    committed: bool = False
    #: Choices the user may change on the preview, each re-previewed: ``encoding`` (the candidates and how
    #: each reads the text), ``id_field`` (why the source's id column is not one, fields that could be).
    choices: dict[str, dict] = field(default_factory=dict)
    #: What the import needs confirmed explicitly before it is written: ``far`` (records far from the park).
    confirmations: dict[str, dict] = field(default_factory=dict)

    # -- building ----------------------------------------------------------------------------------

    def note(self, record: str, field_name: str, message: str, value: object = None) -> None:
        self.notices.append(Problem(record, field_name, value, message))

    def problem(self, record: str, field_name: str, message: str, value: object = None) -> None:
        self.problems.append(Problem(record, field_name, value, message))

    def reject(self, record: str, field_name: str, message: str, value: object = None) -> ImportRejected:
        """Add a problem and return the exception to raise (``raise report.reject(...)``)."""
        self.problem(record, field_name, message, value)
        return ImportRejected(self)

    @property
    def ok(self) -> bool:
        return not self.problems

    # -- output ------------------------------------------------------------------------------------

    def summary(self) -> str:
        if self.problems:
            verb = "rejected"
        elif self.committed:
            verb = "imported"
        else:
            verb = "checked (dry run, nothing written)" if self.dry_run else "checked"
        line = f"{self.source} → layer {self.layer!r} ({self.mode}): {verb}"
        if self.records_read:
            line += f"; {self.records_read} record(s) read"
        if self.records_imported and not self.problems:
            line += f", {self.records_imported} in the layer after import"
        if self.counts and not self.problems:
            line += " (" + ", ".join(f"{k} {v}" for k, v in self.counts.items()) + ")"
        if self.also and not self.problems:
            line += "".join(f"; layer {name!r}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                            for name, counts in self.also.items())
        if self.links and not self.problems:
            line += "".join(f"; links to {name!r}: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())
                            for name, counts in self.links.items())
        return line

    def facts(self) -> list[tuple[str, str]]:
        """Key facts of the read as (label, value) pairs."""
        rows = []
        if self.source_layer:
            rows.append(("source layer", self.source_layer))
        if self.driver:
            rows.append(("format", self.driver))
        if self.encoding:
            rows.append(("encoding", self.encoding))
        if self.source_crs:
            rows.append(("source CRS", f"{self.source_crs} ({self.crs_how})" if self.crs_how else self.source_crs))
        if self.working_epsg:
            rows.append(("park working CRS", f"EPSG:{self.working_epsg}" + (" (new park)" if self.new_park else "")))
        if self.mapping_name:
            rows.append(("saved mapping", self.mapping_name))
        if self.mapping:
            rows.append(("field mapping", ", ".join(f"{s} → {t}" for s, t in self.mapping.items())))
        if self.kept:
            rows.append(("source fields kept as they are", ", ".join(self.kept)))
        if self.archive:
            rows.append(("original archived", self.archive))
        return rows

    def facts_in(self, lang: str = "en") -> list[tuple[str, str]]:
        """:meth:`facts` as a page shows them in ``lang``: in Chinese the mapping names each field by its label
        and the new park's CRS says so in Chinese (the encoding and CRS lines are said by :meth:`worded_for_web`)."""
        rows = self.facts()
        if lang == "en":
            return rows
        shown = []
        for label, value in rows:
            if label == "field mapping":
                value = "，".join(f"{source} → {field_in(target)}" for source, target in self.mapping.items())
            elif label == "source CRS" and self.crs_how:
                value = f"{self.source_crs}（{self.crs_how}）"
            elif label == "park working CRS":
                value = how_in(value, lang)
            shown.append((label, value))
        return shown

    def text(self) -> str:
        lines = [self.summary()]
        lines += [f"  {label}: {value}" for label, value in self.facts()]
        if self.fields:
            lines.append(f"source fields ({len(self.fields)}):")
            lines += [f"  - {f.source}: {f.text('zh')} / {f.text('en')}" for f in self.fields]
        for title, items in (("problems", self.problems), ("notices", self.notices)):
            grouped = group(items)
            if grouped:
                lines.append(f"{title} ({len(items)}):")
                lines += [f"  - {g.text()}" for g in grouped[:TEXT_LINE_LIMIT]]
                if len(grouped) > TEXT_LINE_LIMIT:
                    lines.append(f"  … and {len(grouped) - TEXT_LINE_LIMIT} more lines")
        return "\n".join(lines)

    def worded_for_web(self, lang: str = "en") -> ImportReport:
        """A copy whose messages are said as the upload page says them in ``lang`` (:func:`for_web`), and whose
        CRS and encoding lines say command-line advice as the web does: a page never tells anyone to type a flag.
        In Chinese those lines, the far records' reference and why a column is no id are said in Chinese too
        (:func:`how_in`, :func:`id_fault_in`)."""
        def said(text: str | None) -> str | None:
            # Chinese first (its catalogue knows the flags' phrases); what it lacks still gets the form's terms.
            return text and web_wording(how_in(text, lang))

        confirmations = self.confirmations
        if lang != "en" and "far" in confirmations:
            far = confirmations["far"]
            confirmations = {**confirmations, "far": {
                **far, "reference": reference_in(far["reference"], lang),
                "examples": [(record_in(record, lang), km) for record, km in far.get("examples", [])]}}
        choices = self.choices
        if lang != "en" and (self.choices.get("id_field") or {}).get("fault"):
            ids = self.choices["id_field"]
            choices = {**choices, "id_field": {**ids, "fault": id_fault_in(ids["fault"], lang)}}
        return dataclasses.replace(self, problems=for_web(self.problems, lang), notices=for_web(self.notices, lang),
                                   crs_how=said(self.crs_how), encoding=said(self.encoding),
                                   confirmations=confirmations, choices=choices)

    def to_dict(self) -> dict:
        """The report as JSON."""
        def rows(items: list[Problem]) -> list[dict]:
            return [{"record": p.record, "field": p.field, "message": p.message,
                     "value": None if p.value is None else _value_text(p.value, 200),
                     **({"count": p.count} if p.count > 1 else {})} for p in items]

        return {
            "layer": self.layer, "source": self.source, "mode": self.mode, "dry_run": self.dry_run,
            "ok": self.ok, "committed": self.committed, "summary": self.summary(),
            "facts": dict(self.facts()), "records_read": self.records_read,
            "records_imported": self.records_imported, "counts": self.counts,
            **({"also": self.also} if self.also else {}), **({"links": self.links} if self.links else {}),
            "mapping": self.mapping, "kept": self.kept, "fields": [f.to_dict() for f in self.fields],
            **({"field_values": [p.to_dict() for p in self.profiles]} if self.profiles else {}),
            "problems": rows(self.problems), "notices": rows(self.notices),
            "choices": self.choices, "confirmations": self.confirmations,
        }

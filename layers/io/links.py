"""A list's column naming records of another layer → those records linked to the list's (``LayerSpec.links``).

A park office's enterprise list says where each enterprise is: ``所在地块`` holds the
parcel ids it uses (``P3``, ``1001``, ``A-1、A-2``). The per-mu figures read the link the
other way, from ``parcels.enterprise_id``. :func:`link_column` finds the column among the
list's kept fields by the headers the registry declares (:class:`layers.schema.Link`);
:func:`plan_links` says what the list would do to the linked layer, by these rules:

* a cell may name several ids, split on ``、，,;；/`` and white space (full-width forms
  too); ids are matched as text after trimming (a whole float ``1001.0`` is ``1001``, and
  so is the text ``1001.0`` when the layer has no id ``1001.0``; full-width characters of
  the list read as their ASCII forms: ``Ｌ１`` is ``L1``);
* an id the layer does not hold is not linked (the value stays on the list's record, as
  every kept field does);
* a retired record is not linked;
* a record named by two records of the list is linked to neither;
* a record linked to another record already is not changed: the layer's link wins (a
  planner corrects it there, where its history is); one linked to the same record
  already needs nothing;
* any other record named gets the list record's id.

So a link is only ever added where there is none: importing the same list again, in any
mode, links nothing more and changes nothing (``replace`` retires enterprises the list no
longer has; the parcels they held keep their link, as the register's history).

Pure: frames in, frames out; nothing here reads a file or a park.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.io.mapping import split_unit
from layers.schema import LayerSpec, Link
from layers.values import normalise_text, to_text

#: What separates ids in one cell (after NFKC, which makes ，；／ and the ideographic space ASCII).
SEPARATORS = re.compile(r"[、,;/\s]+")
#: A whole number written with a zero fraction: ``1001.0``.
_WHOLE = re.compile(r"-?\d+\.0+")
#: Ids a notice names before "…" (its count says how many there are).
SHOWN = 8


def link_column(columns: list[str], spec: LayerSpec) -> tuple[Link, str, list[str]] | None:
    """The first of ``columns`` (the list's kept fields) whose header a link of ``spec`` declares (a unit or
    qualifier in brackets aside), the link, and the other columns that name it too; None when none does."""
    for link in spec.links:
        names = {normalise_text(alias) for alias in link.aliases}
        found = [c for c in columns if normalise_text(c) in names or split_unit(str(c))[0] in names]
        if found:
            return link, found[0], found[1:]
    return None


def cell_ids(values: pd.Series) -> list[list[str]]:
    """The ids each cell names, in order, each once: text trimmed, whole floats as integers, split on the
    separators (:data:`SEPARATORS`); a cell holding a list already (:func:`ids_by_name`) names those ids."""
    values = values.reset_index(drop=True)
    if len(values) and all(isinstance(value, list) for value in values.tolist()):
        return [list(dict.fromkeys(value)) for value in values.tolist()]
    text, _ = to_text(values)
    out = []
    for value in text.tolist():
        if not isinstance(value, str):
            out.append([])
            continue
        parts = SEPARATORS.split(unicodedata.normalize("NFKC", value))
        out.append(list(dict.fromkeys(p for p in parts if p)))
    return out


def name_key(value: object) -> str | None:
    """A holder's name as names are compared: NFKC (full-width brackets and letters as ASCII), no white space;
    None for no name."""
    if not isinstance(value, str):
        return None
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
    return key or None


def ids_by_name(names: pd.Series, target: pd.DataFrame, target_spec: LayerSpec, name_field: str) -> list[list[str]]:
    """Per list record (its ``names``), the ids of ``target``'s records whose ``name_field`` is that name
    (:func:`name_key`): the cells :func:`plan_links` takes where a list links by its records' names (``Link.by_name``).
    A name that several list records share names each of their records' parcels: :func:`plan_links` then links them
    to none, as a parcel two rows name."""
    held = _holders(target, target_spec, name_field)
    return [[record for record, _ in held.get(name_key(name) or "", [])] for name in names.astype(object).tolist()]


def _holders(target: pd.DataFrame, target_spec: LayerSpec, name_field: str) -> dict[str, list[tuple[str, str]]]:
    """``target``'s records by their holder's name as compared (:func:`name_key`): key → (record id, the name as
    written); none when the layer has no such field."""
    held: dict[str, list[tuple[str, str]]] = {}
    if name_field not in target.columns:
        return held
    ids = to_text(target[target_spec.id_field])[0].astype(object).tolist()
    for record, holder in zip(ids, target[name_field].astype(object).tolist(), strict=True):
        key = name_key(holder)
        if key is not None and isinstance(record, str):
            held.setdefault(key, []).append((record, holder))
    return held


#: Legal forms written either way for one company (a 有限责任公司 is often written 有限公司, and the other way):
#: compared as one when a near name is looked for (never to link).
_SAME_FORM = (("有限责任公司", "有限公司"),)
#: The fewest characters a name must have for one name holding the other to count as near (a 简称 such as
#: "恒丰精密" inside "浙江恒丰精密机械有限公司"): shorter ones (公司, 集团) are held by too many names.
NEAR_MIN_CHARS = 4


def _form_key(key: str) -> str:
    for longer, shorter in _SAME_FORM:
        key = key.replace(longer, shorter)
    return key


def near_names(names: pd.Series, cells: pd.Series, target: pd.DataFrame, target_spec: LayerSpec,
               name_field: str) -> list[tuple[str, str, str]]:
    """The list's names that name no holder exactly (their ``cells`` empty, :func:`ids_by_name`) but come near one
    holder's name, and only one: the same but for the company's legal form (有限责任公司 for 有限公司), or one name
    inside the other (a 简称, at least :data:`NEAR_MIN_CHARS` characters). (list name, record id, holder's name) each;
    never linked, only said: a near name may be another enterprise.

    Looked up, not compared pair by pair: a name's substrings among the holders' names, and the name in all of them
    joined (one search in C), so a list against a register of 10⁵ parcels stays quick.
    """
    records = _holders(target, target_spec, name_field)
    if not records:
        return []
    by_form: dict[str, set[str]] = {}
    for key in records:
        by_form.setdefault(_form_key(key), set()).add(key)
    keys = list(records)
    joined = "\x00".join(keys)
    starts = np.cumsum([0] + [len(k) + 1 for k in keys[:-1]])
    found = []
    for name, cell in zip(names.astype(object).tolist(), cells.tolist(), strict=True):
        key = name_key(name)
        if cell or key is None:
            continue
        near = set(by_form.get(_form_key(key), ()))
        if len(key) >= NEAR_MIN_CHARS:
            near |= {key[i:j] for i in range(len(key)) for j in range(i + NEAR_MIN_CHARS, len(key) + 1)
                     if key[i:j] in records}
            at = joined.find(key)
            while at >= 0 and len(near) <= 1:
                near.add(keys[int(np.searchsorted(starts, at, side="right")) - 1])
                at = joined.find(key, at + 1)
        if len(near) == 1:
            found += [(str(name), record, holder) for record, holder in sorted(records[near.pop()])]
    return found


def near_note(near: list[tuple[str, str, str]], link: Link, owner: str, column: str) -> str | None:
    """What the report says of :func:`near_names` (English; :mod:`layers.import_text` says it in Chinese)."""
    if not near:
        return None
    items = [f"{name} ≈ {record} {holder}" for name, record, holder in near]
    return (f"{len({name for name, _, _ in near})} name(s) of the {owner} list match no {link.by_name[1]} of "
            f"{link.layer} exactly, but one nearly: not linked (if it is the same, give the {link.layer} id in a "
            f"{column} column) ({_shown(items, '; ')})")


def named_ids(cells: pd.Series) -> list[str]:
    """Every id the cells name, each once, and ``1001`` beside ``1001.0``: the records :func:`plan_links` may look up
    (a store that reads records by id reads just these)."""
    named = dict.fromkeys(i for ids in cell_ids(cells) for i in ids)
    return list(dict.fromkeys([*named, *(i.split(".")[0] for i in named if _WHOLE.fullmatch(i))]))


@dataclass
class LinkResult:
    """What a list does to the linked layer: ``linked`` (id → the list record's id to set), and what it leaves:
    ``already`` (linked to that record already), ``not_found``, ``retired``, ``conflicts`` (id, the record the layer
    links it to, the one of the list), ``claimed`` (id, the list's records naming it)."""

    linked: dict[str, str] = field(default_factory=dict)
    already: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)
    claimed: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Counts by outcome, as the preview's summary gives them (``linked`` always, the others when there are)."""
        counts = {"linked": len(self.linked), "already": len(self.already), "not_found": len(self.not_found),
                  "conflicts": len(self.conflicts), "claimed_twice": len(self.claimed), "retired": len(self.retired)}
        return {k: v for k, v in counts.items() if v or k == "linked"}

    def rechecked(self, now: LinkResult) -> LinkResult:
        """This result with its links as ``now`` finds them (:func:`plan_links` of the records this one links,
        ``only``): one linked or retired since, or linked by someone else, is said so; the rest stands."""
        return LinkResult(dict(now.linked), self.already + now.already, list(self.not_found),
                          self.retired + now.retired, self.conflicts + now.conflicts, list(self.claimed))


def plan_links(owners: pd.Series, cells: pd.Series, target: pd.DataFrame, target_spec: LayerSpec, link: Link, *,
               only: Collection[str] | None = None) -> LinkResult:
    """What the list's rows (``owners``: their records' ids; ``cells``: the link column, aligned) do to ``target``
    (the linked layer's records), by the rules of the module; with ``only``, to those records of ``target`` alone
    (ids it lacks are then not looked at: ``target`` may hold just those records)."""
    claims: dict[str, list[str]] = {}
    for owner, ids in zip(owners.astype(object).tolist(), cell_ids(cells)):
        for named in ids:
            mine = claims.setdefault(named, [])
            if owner not in mine:
                mine.append(owner)
    id_field = target_spec.id_field
    held_ids = to_text(target[id_field])[0].astype(object).tolist()
    position = {value: i for i, value in enumerate(held_ids)}
    folded: dict[str, int] = {}
    for i, value in enumerate(held_ids):
        folded.setdefault(unicodedata.normalize("NFKC", value).strip(), i)
    holders = to_text(target[link.field])[0].astype(object).tolist() if link.field in target else [None] * len(target)
    retired = target["retired_on"].notna().to_numpy() if "retired_on" in target else np.zeros(len(target), dtype=bool)
    out = LinkResult()
    for named, owners_of in claims.items():
        at = position.get(named, folded.get(named))
        if at is None and _WHOLE.fullmatch(named):  # 1001.0 written as text (a CSV made from a number column)
            at = position.get(named.split(".")[0])
        if at is None:
            if only is None:
                out.not_found.append(named)
            continue
        record = held_ids[at]
        if only is not None and record not in only:
            continue
        if retired[at]:
            out.retired.append(record)
        elif len(owners_of) > 1:
            out.claimed.append((record, tuple(owners_of)))
        elif isinstance(holders[at], str) and holders[at] != owners_of[0]:
            out.conflicts.append((record, holders[at], owners_of[0]))
        elif holders[at] == owners_of[0]:
            out.already.append(record)
        else:
            out.linked[record] = owners_of[0]
    return out


def linked_layer(target: pd.DataFrame, target_spec: LayerSpec, link: Link, result: LinkResult, *, today
                 ) -> pd.DataFrame | None:
    """``target`` with the links of ``result`` made (``last_updated`` today on the records linked); None when it
    links nothing."""
    if not result.linked:
        return None
    ids = to_text(target[target_spec.id_field])[0].astype(object)
    owner = ids.map(result.linked)
    rows = owner.notna().to_numpy()
    out = target.copy()
    out.loc[rows, link.field] = owner[rows].to_numpy()
    if "last_updated" in out:
        out.loc[rows, "last_updated"] = pd.Timestamp(today).normalize()
    return out


def _shown(items: list[str], separator: str = ", ") -> str:
    more = ", …" if len(items) > SHOWN else ""
    return separator.join(items[:SHOWN]) + more


def notes(result: LinkResult, link: Link, owner: str, *, by_name: bool = False) -> list[str]:
    """What the report says of ``result`` (English; :mod:`layers.import_text` says it in Chinese), one sentence per
    outcome there is, with the first ids (:data:`SHOWN`) after the count. ``owner`` is the list's layer; ``by_name``:
    the list linked by its records' names (``Link.by_name``), not by a column of ids."""
    layer, said = link.layer, []
    if result.linked and by_name:
        said.append(f"{len(result.linked)} record(s) of {layer} linked by name: their {link.by_name[1]} is the name of "
                    f"the {owner} record ({link.field} set): {_shown(list(result.linked))}")
    elif result.linked:
        said.append(f"{len(result.linked)} record(s) of {layer} linked to the {owner} record whose row names them "
                    f"({link.field} set): {_shown(list(result.linked))}")
    if result.already:
        said.append(f"{len(result.already)} record(s) of {layer} linked to the {owner} record whose row names them "
                    f"already: nothing to do ({_shown(result.already)})")
    if result.not_found:
        said.append(f"{len(result.not_found)} id(s) not in {layer}: not linked, the value is kept on the {owner} "
                    f"record as written ({_shown(result.not_found)})")
    if result.retired:
        said.append(f"{len(result.retired)} record(s) of {layer} retired: not linked ({_shown(result.retired)})")
    if result.conflicts:
        items = [f"{record}: {held}, not {claimed}" for record, held, claimed in result.conflicts]
        said.append(f"{len(result.conflicts)} record(s) of {layer} linked to another {owner} record already: not "
                    f"changed, the link {layer} holds is kept ({_shown(items, '; ')})")
    if result.claimed:
        items = [f"{record}: {' and '.join(owners)}" for record, owners in result.claimed]
        said.append(f"{len(result.claimed)} record(s) of {layer} named by several rows of the list: linked to none "
                    f"of them ({_shown(items, '; ')})")
    return said


def unavailable(link: Link, owner: str, *, has_layer: bool) -> str:
    """Why nothing could be linked: the park has no such layer, or no record in force in it (English)."""
    why = (f"the park has no {link.layer} layer" if not has_layer
           else f"the park's {link.layer} layer holds no record in force")
    return (f"nothing linked: {why}; the column is kept on the {owner} records, and importing the list again once "
            f"the {link.layer} are in the park links them")


__all__ = ["NEAR_MIN_CHARS", "SEPARATORS", "SHOWN", "LinkResult", "cell_ids", "ids_by_name", "link_column",
           "linked_layer", "name_key", "named_ids", "near_names", "near_note", "notes", "plan_links", "unavailable"]

"""What a page could not judge in the current park, for its HTML, JSON twin and XLSX alike.

Views name the topics of ``geo.judged.TOPICS`` their figures rest on; a topic the
park lacks the layers for is listed above the page (``partials/not_judged.html``,
included by ``base.html`` when a view passes ``not_judged``), under ``not_judged``
in the JSON twin and on a sheet of the XLSX: "无法判断：…" / "could not be judged: …".
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from geo.judged import ABSENT, NotJudged, not_judged
from layers.registry import get_layer
from web.i18n import current_lang, tr
from web.park import park


def notices(*topics: str) -> list[NotJudged]:
    """The ``topics`` the current park cannot judge, with the layers it lacks."""
    return not_judged(park().layer_states(), topics)


def notices_json(items: Iterable[NotJudged]) -> list[dict]:
    """The notices for a JSON answer (message in the request's language)."""
    lang = current_lang()
    return [item.as_dict(lang) for item in items]


def notices_sheet(items: Iterable[NotJudged]) -> dict[str, pd.DataFrame]:
    """One XLSX sheet listing the notices (none when there are none), to add to a workbook's sheets: what could
    not be judged, the layers lacking by name, the message, and the topic's code last (for scripts)."""
    items = list(items)
    if not items:
        return {}
    lang = current_lang()
    table = pd.DataFrame({
        tr("无法判断", "Not judged"): [item.topic.label(lang) for item in items],
        tr("缺少的图层", "Layers lacking"): [("；" if lang != "en" else "; ").join(
            missing_layer(name, state, lang) for group in item.lacking for name, state in group) for item in items],
        tr("说明", "Message"): [item.message(lang) for item in items],
        tr("代码", "Code"): [item.topic.key for item in items]})
    return {tr("无法判断", "Not judged"): table}


def missing_layer(name: str, state: str, lang: str) -> str:
    """A layer lacking, by name, and whether the park has none or it holds no records."""
    label = get_layer(name).label(lang)
    if lang == "en":
        return f"{label} ({name}: {'absent' if state == ABSENT else 'no records'})"
    return f"{label}（{name}，{'无此图层' if state == ABSENT else '没有记录'}）"


__all__ = ["missing_layer", "notices", "notices_json", "notices_sheet"]

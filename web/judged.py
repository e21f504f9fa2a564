"""What a page could not judge in the current park, for its HTML, JSON twin and XLSX alike.

Views name the topics of ``geo.judged.TOPICS`` their figures rest on; a topic the
park lacks the layers for is listed above the page (``partials/not_judged.html``,
included by ``base.html`` when a view passes ``not_judged``), under ``not_judged``
in the JSON twin and on a sheet of the XLSX: "无法判断：…" / "could not be judged: …".
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from geo.judged import NotJudged, not_judged
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
    """One XLSX sheet listing the notices (none when there are none), to add to a workbook's sheets."""
    rows = notices_json(items)
    if not rows:
        return {}
    table = pd.DataFrame({tr("无法判断", "topic"): [row["topic"] for row in rows],
                          tr("缺少的图层", "missing layers"): [", ".join(f"{m['layer']} ({m['state']})"
                                                                  for m in row["missing_layers"]) for row in rows],
                          tr("说明", "message"): [row["message"] for row in rows]})
    return {tr("无法判断", "Not judged"): table}


__all__ = ["notices", "notices_json", "notices_sheet"]

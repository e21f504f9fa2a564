"""What a park's analyses cannot judge because layers hold no records, and why.

A park may hold any subset of the registry's layers: a register of parcels alone,
the networks alone, everything. Every analysis still answers (its figures from
empty inputs are empty or zero), and says here which of its topics it could not
judge: a topic needs some layers to hold records, and names the ones that do not,
with whether the layer is empty or absent from the park.

Each topic lists its needs as groups of alternatives: every group must have one
layer with records (the park area needs park-boundary zones *or* parcels).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from layers.registry import get_layer

#: A layer's state in a park: it holds records, it is there without any, or the park lacks it.
HOLDS, EMPTY, ABSENT = "records", "empty", "absent"


@dataclass(frozen=True)
class Topic:
    """A figure or table an analysis judges, and the layers it cannot be judged without."""

    key: str
    label_zh: str
    label_en: str
    needs: tuple[tuple[str, ...], ...]

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


TOPICS: dict[str, Topic] = {topic.key: topic for topic in (
    Topic("park_area", "园区面积", "park area", (("zones", "parcels"),)),
    Topic("land_supply", "供地", "land supplied", (("parcels",),)),
    Topic("utilisation", "容积率、建筑系数与达标", "FAR, building coefficient and compliance",
          (("parcels",), ("buildings",))),
    Topic("idle_land", "闲置土地", "idle land", (("parcels",),)),
    Topic("inefficient_land", "低效用地", "inefficient land", (("parcels",),)),
    Topic("muju", "亩均效益评价", "per-mu performance (亩均)", (("parcels",), ("enterprise_years",))),
    Topic("factory_space", "标准厂房面积", "standard factory space", (("buildings",),)),
    Topic("vacancy", "厂房空置", "factory vacancy", (("units",),)),
    Topic("roads", "道路里程", "road km", (("roads",),)),
    Topic("pipelines", "管线里程", "pipeline km", (("pipelines",),)),
    Topic("readiness", "七通一平（配套）", "site readiness (七通一平)", (("parcels",), ("roads",), ("pipelines",))),
    Topic("clearance", "管线间距冲突", "pipeline clearance conflicts", (("pipelines",),)),
    Topic("road_access", "到出入口、变电站等的路网距离", "road-network distances to gates, substations …",
          (("parcels",), ("roads",), ("facilities",))),
    Topic("constraints", "拓展区约束（农田、生态红线、开发边界等）",
          "expansion constraints (farmland, ecological red line, urban boundary …)", (("zones",),)),
    Topic("capacity", "污水厂、变电站容量校核", "sewage plant and substation capacity", (("facilities",),)),
    Topic("site_land", "可选地块", "available land", (("parcels",),)),
    Topic("site_space", "可租厂房单元", "factory units to let", (("units",),)),
    Topic("cases", "盘活处置案件", "revitalisation cases", (("cases",),)),
    Topic("enterprise_figures", "企业税收、产值与增加值", "enterprises' tax, output and value added",
          (("enterprise_years",),)),
)}


@dataclass(frozen=True)
class NotJudged:
    """A topic that could not be judged: the groups of layers it lacks, each layer with its state."""

    topic: Topic
    lacking: tuple[tuple[tuple[str, str], ...], ...]

    def message(self, lang: str) -> str:
        """'无法判断：…——…' / 'could not be judged: … — …' in ``lang``."""
        if lang == "en":
            reasons = "; ".join(" and ".join(_layer_state(name, state, lang) for name, state in group)
                                for group in self.lacking)
            return f"could not be judged: {self.topic.label_en} — {reasons}"
        reasons = "；".join("且".join(_layer_state(name, state, lang) for name, state in group)
                           for group in self.lacking)
        return f"无法判断：{self.topic.label_zh}——{reasons}"

    def as_dict(self, lang: str) -> dict:
        """For JSON answers: the topic, the layers lacking (name and state) and the message in ``lang``."""
        return {"topic": self.topic.key,
                "missing_layers": [{"layer": name, "state": state} for group in self.lacking for name, state in group],
                "message": self.message(lang)}


def _layer_state(name: str, state: str, lang: str) -> str:
    """Why a layer cannot help: the park has no such layer, or it holds no records (in force)."""
    label = get_layer(name).label(lang)
    if lang == "en":
        return (f"the park has no {label.lower()} layer ({name})" if state == ABSENT
                else f"the {label.lower()} layer ({name}) holds no records")
    # (The Chinese names the layer by its name alone, as the pages do; the JSON answer's missing_layers has its code.)
    return f"园区没有{label}图层" if state == ABSENT else f"{label}图层没有记录"


def layer_states(counts: Mapping[str, int], present: Iterable[str]) -> dict[str, str]:
    """Each layer's state from its record count and the layers the park holds (:data:`HOLDS`, ``EMPTY``, ``ABSENT``)."""
    there = set(present)
    return {name: HOLDS if n > 0 else (EMPTY if name in there else ABSENT) for name, n in counts.items()}


def not_judged(states: Mapping[str, str], topics: Iterable[str]) -> list[NotJudged]:
    """The ``topics`` that cannot be judged in a park whose layers are in ``states`` (:func:`layer_states`).

    A layer missing from ``states`` counts as absent.
    """
    out = []
    for key in topics:
        topic = TOPICS[key]
        lacking = tuple(tuple((name, states.get(name, ABSENT)) for name in group) for group in topic.needs
                        if not any(states.get(name, ABSENT) == HOLDS for name in group))
        if lacking:
            out.append(NotJudged(topic, lacking))
    return out


__all__ = ["ABSENT", "EMPTY", "HOLDS", "TOPICS", "NotJudged", "Topic", "layer_states", "not_judged"]

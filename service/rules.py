"""THE rules in force for a park: every rule family (land, infrastructure, expansion, evaluation) with its overrides.

Each family is the national defaults (``data/*.yaml``), then the override the park keeps
itself (its ``parkatlas_meta`` entry ``rules``: ``{"land": {...}, "infrastructure": {...},
"expansion": {...}}``, in the GeoPackage and in the PostGIS schema alike), then the file
beside a GeoPackage (``<park>.rules.yaml``, ``.infrastructure.yaml``, ``.expansion.yaml``)
or named by ``PARKATLAS_*RULES`` — the later wins. ``layers.rules`` loads, merges,
validates and caches every family the same way; ``version`` names what they depend on,
and every cached result is keyed by it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from layers import evaluation_rules, expansion_rules, infra_rules
from layers.evaluation_rules import EvaluationRules
from layers.expansion_rules import ExpansionRules
from layers.infra_rules import InfraRules
from layers.rules import LAND, LandRules, family_rules, family_stamp, park_rules_entry

#: The families in force, each family's module registering it (``layers.rules.FAMILIES``).
FAMILIES = {"land": LAND, "infrastructure": infra_rules.FAMILY, "expansion": expansion_rules.FAMILY,
            "evaluation": evaluation_rules.FAMILY}


@dataclass(frozen=True)
class RulesInForce:
    """The rule families a park is judged by, and the ``version`` results are keyed by."""

    land: LandRules
    infrastructure: InfraRules
    expansion: ExpansionRules
    evaluation: EvaluationRules
    version: str


def rules_version(park_path: str | os.PathLike | None, park_rules: object = None) -> str:
    """What the park's rules depend on: override files and their versions, the park's own overrides (cheap)."""
    own = park_rules_entry(park_rules)
    return repr(tuple(family_stamp(family, park_path, own.get(name)) for name, family in FAMILIES.items()))


def rules_in_force(park_path: str | os.PathLike | None, park_rules: Mapping | None = None) -> RulesInForce:
    """Every rule family for the park at ``park_path`` (``None``: a database park) with ``park_rules``, the
    overrides it keeps itself (its metadata's ``rules``).

    Raises ``layers.rules.RulesError`` (or its family's subclass) naming source, key, value
    and what is allowed when an override does not validate.
    """
    own = park_rules_entry(park_rules)
    found = {name: family_rules(family, park_path, own.get(name)) for name, family in FAMILIES.items()}
    return RulesInForce(**found, version=rules_version(park_path, park_rules))


def rules_overrides(park_path: str | os.PathLike | None, park_rules: object = None) -> dict[str, tuple[str, ...]]:
    """Each rule family the park overrides → what overrides it (the file, "park" for the overrides it keeps
    itself); a family on the national defaults alone is left out (what a workbook's first sheet says)."""
    own = park_rules_entry(park_rules)
    found = {}
    for name, family in FAMILIES.items():
        path, _, inline = family_stamp(family, park_path, own.get(name))
        sources = tuple(s for s in (path, "park" if inline is not None else None) if s is not None)
        if sources:
            found[name] = sources
    return found

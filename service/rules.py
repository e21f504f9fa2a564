"""THE rules in force for a park: every rule family (land, infrastructure, expansion) with its overrides.

A GeoPackage park is overridden by ``<park>.rules.yaml``, ``<park>.infrastructure.yaml``
and ``<park>.expansion.yaml`` beside it (or the files the ``PARKATLAS_*RULES`` variables
name); each family is loaded, merged and validated by ``layers.rules`` and cached per
file version, so an edited override is seen on the next request. ``version`` names the
override files and their versions: every cached result is keyed by it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from layers.expansion_rules import ExpansionRules, expansion_rules_for_park
from layers.expansion_rules import override_path_for_park as expansion_override
from layers.infra_rules import InfraRules, infra_rules_for_park
from layers.infra_rules import override_path_for_park as infra_override
from layers.rules import LandRules, file_version, rules_for_park
from layers.rules import override_path_for_park as land_override


@dataclass(frozen=True)
class RulesInForce:
    """The three rule families a park is judged by, and the ``version`` results are keyed by."""

    land: LandRules
    infrastructure: InfraRules
    expansion: ExpansionRules
    version: str


def rules_version(park_path: str | os.PathLike | None) -> str:
    """The override files in force for the park and their versions (cheap: a few ``stat`` calls)."""
    overrides = (land_override(park_path), infra_override(park_path), expansion_override(park_path))
    return repr(tuple((str(path), file_version(path)) if path is not None else None for path in overrides))


def rules_in_force(park_path: str | os.PathLike | None) -> RulesInForce:
    """Every rule family for the park at ``park_path`` (``None``: a park without files beside it).

    Raises ``layers.rules.RulesError`` (or its family's subclass) naming file, key, value
    and what is allowed when an override does not validate.
    """
    return RulesInForce(land=rules_for_park(park_path), infrastructure=infra_rules_for_park(park_path),
                        expansion=expansion_rules_for_park(park_path), version=rules_version(park_path))

"""The park service: one Flask-free owner of a park's store, its day, its rules in force and every result.

Pages, JSON twins, exports, CLI commands and the tile seeder all ask a
:class:`~service.park.ParkService` (``web.park.park()`` in a request), so they judge
the same day with the same rules and get the same cached result (DESIGN.md, README
"Architecture").
"""

from service.day import DayError, DayRange, parse_day
from service.park import ParkService, ParkUnavailable
from service.rules import RulesInForce, rules_in_force

__all__ = ["DayError", "DayRange", "ParkService", "ParkUnavailable", "RulesInForce", "parse_day", "rules_in_force"]

"""Places in ticket text: Suzhou's gazetteer, landmarks, a resolver and routing features.

>>> from nlp.places import resolve_ticket
>>> resolve_ticket("工地夜间施工", "横塘有工地夜间施工，吵得睡不着").district
'虎丘区'

Nothing is read at import; the gazetteer and the matcher are built on first use.
"""

from nlp.places.features import PlaceFeatures
from nlp.places.gazetteer import LANDMARK_COLUMNS, LEVELS, PLATFORMS, Place, builtin_places, load_custom_places
from nlp.places.resolver import (
    HOW_GIVEN,
    PlaceMatch,
    PlaceResolver,
    TicketPlaces,
    default_resolver,
    find_places,
    resolve_ticket,
    resolver_for,
)

__all__ = [
    "HOW_GIVEN",
    "LANDMARK_COLUMNS",
    "LEVELS",
    "PLATFORMS",
    "Place",
    "PlaceFeatures",
    "PlaceMatch",
    "PlaceResolver",
    "TicketPlaces",
    "builtin_places",
    "default_resolver",
    "find_places",
    "load_custom_places",
    "resolve_ticket",
    "resolver_for",
]

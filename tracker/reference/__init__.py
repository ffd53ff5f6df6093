"""Reference data: countries from pycountry, blocs and organisations, and their members."""

from tracker.reference.actors import (
    ReferenceActor,
    ReferenceAlias,
    ReferenceMembership,
    reference_actors,
    reference_countries,
    reference_groups,
    reference_memberships,
)

__all__ = [
    "ReferenceActor",
    "ReferenceAlias",
    "ReferenceMembership",
    "reference_actors",
    "reference_countries",
    "reference_groups",
    "reference_memberships",
]

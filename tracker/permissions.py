"""Role checks used by every write, on the server side.

Each write function in the domain layer takes the acting user's id and calls one of these
before touching anything. The user is read again from the database on every call, so a role
taken away or an account disabled takes effect at once, whatever copy a browser session holds.

``user_id=None`` is the *system*: the command line, the demo loader and imports, which run
with direct access to the database and so with its owner's rights. Only the create functions
that those tools call accept it; the web pages always pass a signed-in user's id.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import Session

from tracker.errors import PermissionDenied
from tracker.models import Role, User

WRITERS: tuple[str, ...] = (Role.CONTRIBUTOR, Role.REVIEWER, Role.ADMIN)
REVIEWERS: tuple[str, ...] = (Role.REVIEWER, Role.ADMIN)
ADMINS: tuple[str, ...] = (Role.ADMIN,)

_ROLE_NAMES = {
    WRITERS: "a contributor, reviewer or admin",
    REVIEWERS: "a reviewer or admin",
    ADMINS: "an admin",
}


def acting_user(session: Session, user_id: int | None) -> User:
    """The user as stored now; refuses nobody, unknown and disabled accounts."""
    if user_id is None:
        raise PermissionDenied("sign in first")
    user = session.get(User, user_id, populate_existing=True)
    if user is None:
        raise PermissionDenied("this account no longer exists")
    if user.disabled:
        raise PermissionDenied("this account is disabled")
    return user


def require_role(session: Session, user_id: int | None, roles: Collection[str], doing: str) -> User:
    """The acting user if their current role is one of ``roles``; else PermissionDenied.

    ``doing`` completes the message: "only a reviewer or admin can {doing}".
    """
    user = acting_user(session, user_id)
    if user.role not in roles:
        who = _ROLE_NAMES.get(tuple(roles), "someone with the role " + " or ".join(roles))
        raise PermissionDenied(f"only {who} can {doing}; you are signed in as a {user.role}")
    return user


def require_writer_or_system(session: Session, user_id: int | None, doing: str) -> User | None:
    """For create functions that the CLI and loaders call without a user (see module doc)."""
    if user_id is None:
        return None
    return require_role(session, user_id, WRITERS, doing)


def require_admin_or_system(session: Session, user_id: int | None, doing: str) -> User | None:
    if user_id is None:
        return None
    return require_role(session, user_id, ADMINS, doing)

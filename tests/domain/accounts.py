"""Accounts for domain tests.

Rows are added with one password hash computed once: argon2 is slow on purpose, and these
tests are about roles, not passwords (tests/domain/test_auth.py covers ``create_user``).
"""

from functools import cache

from argon2 import PasswordHasher
from sqlmodel import Session

from tracker.auth import UserView
from tracker.models import User

PASSWORD = "a long enough password"


@cache
def _hash() -> str:
    return PasswordHasher().hash(PASSWORD)


def make_user(session: Session, name: str, role: str = "contributor") -> UserView:
    user = User(username=name, role=role, password_hash=_hash())
    session.add(user)
    session.flush()
    return UserView(id=user.id, username=name, role=role, disabled=False)


def team(session: Session) -> dict[str, UserView]:
    """Two contributors, two reviewers and an admin."""
    return {
        name: make_user(session, name, role)
        for name, role in (
            ("casey", "contributor"),
            ("dana", "contributor"),
            ("rene", "reviewer"),
            ("rosa", "reviewer"),
            ("ada", "admin"),
        )
    }

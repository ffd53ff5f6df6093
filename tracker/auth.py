"""Built-in accounts: argon2 password hashes, roles, and throttled log-ins."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from tracker.errors import ValidationError
from tracker.models import Role, User
from tracker.timeutil import utcnow

_hasher = PasswordHasher()
# A hash of nothing in particular, verified when the user does not exist so that a wrong
# username costs as long as a wrong password and does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("not a real password")

MIN_PASSWORD_LENGTH = 10
FREE_FAILURES = 3
MAX_LOCK = timedelta(minutes=15)


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    role: str
    disabled: bool


def _view(user: User) -> UserView:
    assert user.id is not None
    return UserView(id=user.id, username=user.username, role=user.role, disabled=user.disabled)


def create_user(session: Session, username: str, password: str, role: str) -> UserView:
    problems: dict[str, str] = {}
    name = username.strip()
    if not name or len(name) > 64 or not all(ch.isalnum() or ch in "._-@" for ch in name):
        problems["username"] = "1–64 letters, digits, dots, hyphens, underscores or @"
    elif session.exec(select(User.id).where(User.username == name)).first() is not None:
        problems["username"] = f"the user {name!r} exists already"
    if role not in set(Role):
        problems["role"] = f"choose one of: {', '.join(Role)}"
    if len(password) < MIN_PASSWORD_LENGTH:
        problems["password"] = f"at least {MIN_PASSWORD_LENGTH} characters"
    if problems:
        raise ValidationError(problems)
    user = User(username=name, role=role, password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    return _view(user)


def lock_delay(failures: int) -> timedelta:
    """How long a user is locked after ``failures`` consecutive failed log-ins."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    # Cap the exponent before computing: 2**n seconds overflows timedelta for large n.
    exponent = min(failures - FREE_FAILURES + 1, 20)
    return min(timedelta(seconds=2**exponent), MAX_LOCK)


def authenticate(
    session: Session, username: str, password: str, *, now: datetime | None = None
) -> UserView | None:
    """The user if the password is right and the account usable; commits the failure count."""
    now = now or utcnow()
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user is None or user.password_hash is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return None
    if user.disabled or (user.locked_until is not None and user.locked_until > now):
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        delay = lock_delay(user.failed_logins)
        user.locked_until = now + delay if delay else None
        session.add(user)
        session.commit()
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    session.commit()
    return _view(user)


def list_users(session: Session) -> list[UserView]:
    return [_view(u) for u in session.exec(select(User).order_by(col(User.username))).all()]

"""Accounts: argon2 password hashes, roles, throttled log-ins, and OpenID Connect matching.

Built-in accounts sign in with a password (hashed with argon2; a wrong one locks the account
for a while that doubles with each failure). When the app is configured for OpenID Connect,
people sign in with their identity provider instead and are matched to an account by email:
the account, not the provider, says which role they have.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, func, select

from tracker.errors import ValidationError
from tracker.models import Role, User
from tracker.permissions import require_admin_or_system
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


@dataclass(frozen=True)
class UserDetail:
    """What the Admin page shows about an account (never the hash)."""

    id: int
    username: str
    role: str
    email: str | None
    disabled: bool
    has_password: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime


MAX_PASSWORD_LENGTH = 1000


def _password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"at most {MAX_PASSWORD_LENGTH} characters"
    return None


def _clean_email(email: str | None) -> str | None:
    text = (email or "").strip().lower()
    return text or None


def _email_problem(session: Session, email: str | None, own_id: int | None) -> str | None:
    if email is None:
        return None
    local, _, domain = email.partition("@")
    if (
        not local
        or "." not in domain
        or len(email) > 320
        or any(ch.isspace() for ch in email)
        or domain.startswith(".")
        or domain.endswith(".")
    ):
        return "an email address such as name@example.org"
    other = session.exec(select(User.id).where(User.email == email)).first()
    if other is not None and other != own_id:
        return "another account has this email"
    return None


def create_user(
    session: Session,
    username: str,
    password: str | None,
    role: str,
    *,
    email: str | None = None,
    user_id: int | None = None,
) -> UserView:
    """Add an account. ``password`` may be None only for an account that signs in through
    OpenID Connect (it then needs an email). ``user_id`` is the admin acting (None: the
    command line). Flushes; the caller commits."""
    require_admin_or_system(session, user_id, "add users")
    problems: dict[str, str] = {}
    name = username.strip()
    if not name or len(name) > 64 or not all(ch.isalnum() or ch in "._-@" for ch in name):
        problems["username"] = "1–64 letters, digits, dots, hyphens, underscores or @"
    else:
        # Names differing only in case would read as one person in reviews and histories.
        taken = session.exec(
            select(User.username).where(func.lower(User.username) == name.lower())
        ).first()
        if taken is not None:
            problems["username"] = (
                f"the user {name!r} exists already"
                if taken == name
                else f"the user {taken!r} exists already (names differ only in case)"
            )
    if role not in set(Role):
        problems["role"] = f"choose one of: {', '.join(Role)}"
    clean_email = _clean_email(email)
    email_problem = _email_problem(session, clean_email, None)
    if email_problem:
        problems["email"] = email_problem
    if password is None or password == "":
        if clean_email is None:
            problems["password"] = (
                f"at least {MIN_PASSWORD_LENGTH} characters (or give an email to sign in "
                "through the identity provider)"
            )
    else:
        password_problem = _password_problem(password)
        if password_problem:
            problems["password"] = password_problem
    if problems:
        raise ValidationError(problems)
    user = User(
        username=name,
        role=role,
        email=clean_email,
        password_hash=_hasher.hash(password) if password else None,
    )
    session.add(user)
    session.flush()
    return _view(user)


def _enabled_admins(session: Session) -> list[int]:
    return [
        uid
        for uid in session.exec(
            select(User.id).where(User.role == Role.ADMIN, col(User.disabled).is_(False))
        ).all()
        if uid is not None
    ]


def update_user(
    session: Session,
    target_id: int,
    *,
    user_id: int | None,
    role: str | None = None,
    disabled: bool | None = None,
    email: str | None = None,
    password: str | None = None,
) -> UserView:
    """Admins change an account's role, email ("" removes it; None keeps it), password, or
    disable it. The last enabled
    admin cannot be demoted or disabled (someone must be able to manage accounts). Setting a
    password or enabling an account also lifts a log-in lock. ``user_id`` is the admin acting
    (None: the command line). Flushes; the caller commits."""
    require_admin_or_system(session, user_id, "manage users")
    user = session.get(User, target_id, with_for_update=True, populate_existing=True)
    if user is None:
        raise ValidationError({"user": f"there is no user #{target_id}"})
    problems: dict[str, str] = {}
    if role is not None and role not in set(Role):
        problems["role"] = f"choose one of: {', '.join(Role)}"
    new_email: str | None = user.email
    if email is not None:
        new_email = _clean_email(email)
        email_problem = _email_problem(session, new_email, user.id)
        if email_problem:
            problems["email"] = email_problem
    if password:
        password_problem = _password_problem(password)
        if password_problem:
            problems["password"] = password_problem
    loses_admin = (
        user.role == Role.ADMIN
        and not user.disabled
        and ((role is not None and role != Role.ADMIN) or disabled is True)
    )
    if loses_admin and _enabled_admins(session) == [user.id]:
        problems["role" if role not in (None, Role.ADMIN) else "disabled"] = (
            "this is the last enabled admin: make another admin first"
        )
    if problems:
        raise ValidationError(problems)
    if role is not None:
        user.role = role
    if disabled is not None:
        if user.disabled and not disabled:
            user.failed_logins = 0
            user.locked_until = None
        user.disabled = disabled
    user.email = new_email
    if password:
        user.password_hash = _hasher.hash(password)
        user.failed_logins = 0
        user.locked_until = None
    session.add(user)
    session.flush()
    return _view(user)


def user_by_name(session: Session, username: str) -> UserView | None:
    user = session.exec(select(User).where(User.username == username.strip())).first()
    return _view(user) if user is not None else None


def get_user(session: Session, user_id: int) -> UserView | None:
    """The account as stored now (a signed-in session re-reads it on every page)."""
    user = session.get(User, user_id, populate_existing=True)
    return _view(user) if user is not None else None


def user_for_email(session: Session, email: str | None) -> UserView | None:
    """The enabled account with this email (case-insensitive): how OpenID Connect sign-ins
    get their role. None when no account has it."""
    clean = _clean_email(email)
    if clean is None:
        return None
    user = session.exec(select(User).where(User.email == clean)).first()
    if user is None or user.disabled:
        return None
    return _view(user)


def list_user_details(session: Session) -> list[UserDetail]:
    return [
        UserDetail(
            id=u.id or 0,
            username=u.username,
            role=u.role,
            email=u.email,
            disabled=u.disabled,
            has_password=u.password_hash is not None,
            failed_logins=u.failed_logins,
            locked_until=u.locked_until,
            created_at=u.created_at,
        )
        for u in session.exec(select(User).order_by(col(User.username))).all()
    ]


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
    name = username.strip()
    # No username holds NUL (see create_user) and PostgreSQL refuses it as a parameter: a
    # sign-in sent with one is an unknown user, not a server error.
    user = (
        session.exec(select(User).where(User.username == name)).first()
        if "\x00" not in name
        else None
    )
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

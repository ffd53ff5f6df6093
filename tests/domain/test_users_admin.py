import pytest
from sqlmodel import Session, select

from tests.domain.accounts import PASSWORD, make_user
from tracker.auth import (
    authenticate,
    create_user,
    list_user_details,
    update_user,
    user_for_email,
)
from tracker.errors import PermissionDenied, ValidationError
from tracker.models import User


def test_admin_adds_users_others_cannot(session: Session):
    admin = make_user(session, "ada", "admin")
    reviewer = make_user(session, "rene", "reviewer")
    with pytest.raises(PermissionDenied):
        create_user(session, "eve", PASSWORD, "admin", user_id=reviewer.id)
    made = create_user(session, "omid", PASSWORD, "contributor", user_id=admin.id)
    assert made.role == "contributor"


def test_oidc_account_needs_an_email_not_a_password(session: Session):
    with pytest.raises(ValidationError) as caught:
        create_user(session, "sso", None, "reviewer")
    assert "email" in caught.value.problems["password"]
    with pytest.raises(ValidationError) as caught:
        create_user(session, "sso", None, "reviewer", email="not an email")
    assert "email" in caught.value.problems
    create_user(session, "sso", None, "reviewer", email="Sso@Example.org")
    session.commit()
    assert user_for_email(session, "sso@example.ORG").username == "sso"
    assert user_for_email(session, "nobody@example.org") is None
    assert authenticate(session, "sso", "") is None  # no password: no password sign-in
    with pytest.raises(ValidationError, match="another account"):
        create_user(session, "sso2", None, "reviewer", email="sso@example.org")


def test_admin_changes_role_email_password_and_disables(session: Session):
    admin = make_user(session, "ada", "admin")
    user = make_user(session, "omid")
    for _ in range(4):
        authenticate(session, "omid", "wrong password")
    changed = update_user(
        session,
        user.id,
        user_id=admin.id,
        role="reviewer",
        email="omid@example.org",
        password="a brand new password",
    )
    assert changed.role == "reviewer"
    # A new password lifts the lock at once.
    assert authenticate(session, "omid", "a brand new password") is not None
    update_user(session, user.id, user_id=admin.id, disabled=True)
    assert authenticate(session, "omid", "a brand new password") is None
    assert user_for_email(session, "omid@example.org") is None  # disabled
    update_user(session, user.id, user_id=admin.id, email="")
    stored = session.exec(select(User).where(User.username == "omid")).one()
    assert stored.email is None
    details = {d.username: d for d in list_user_details(session)}
    assert details["omid"].disabled and details["omid"].has_password


def test_the_last_admin_stays(session: Session):
    admin = make_user(session, "ada", "admin")
    with pytest.raises(ValidationError, match="last enabled admin"):
        update_user(session, admin.id, user_id=admin.id, role="reviewer")
    with pytest.raises(ValidationError, match="last enabled admin"):
        update_user(session, admin.id, user_id=admin.id, disabled=True)
    other = make_user(session, "bea", "admin")
    update_user(session, admin.id, user_id=other.id, role="reviewer")
    with pytest.raises(PermissionDenied):
        update_user(session, other.id, user_id=admin.id, role="reviewer")


def test_password_rules(session: Session):
    with pytest.raises(ValidationError, match="at least"):
        create_user(session, "omid", "short", "contributor")
    with pytest.raises(ValidationError, match="at most"):
        create_user(session, "omid", "x" * 1001, "contributor")

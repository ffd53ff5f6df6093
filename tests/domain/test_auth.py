from datetime import timedelta

import pytest
from sqlmodel import Session, select

from tracker.auth import authenticate, create_user, list_users, lock_delay
from tracker.errors import ValidationError
from tracker.models import User
from tracker.timeutil import utcnow


def test_password_is_hashed_with_argon2(session: Session):
    create_user(session, "rana", "correct horse battery", "reviewer")
    session.commit()
    stored = session.exec(select(User)).one()
    assert stored.password_hash.startswith("$argon2")
    assert "correct horse" not in stored.password_hash
    user = authenticate(session, "rana", "correct horse battery")
    assert user is not None and user.role == "reviewer"
    assert authenticate(session, "rana", "wrong") is None
    assert authenticate(session, "nobody", "whatever") is None
    assert [u.username for u in list_users(session)] == ["rana"]


def test_failed_logins_lock_the_account_for_a_while(session: Session):
    create_user(session, "omid", "a long passphrase", "contributor")
    session.commit()
    now = utcnow()
    for _ in range(3):
        assert authenticate(session, "omid", "nope", now=now) is None
    # Locked: even the right password is refused until the lock expires.
    assert authenticate(session, "omid", "a long passphrase", now=now) is None
    later = now + lock_delay(3) + timedelta(seconds=1)
    assert authenticate(session, "omid", "a long passphrase", now=later) is not None


def test_lock_grows_and_is_capped():
    assert lock_delay(2) == timedelta(0)
    assert lock_delay(3) < lock_delay(4) < lock_delay(5)
    assert lock_delay(50) == timedelta(minutes=15)


def test_bad_accounts_are_refused(session: Session):
    with pytest.raises(ValidationError) as caught:
        create_user(session, "<script>", "short", "emperor")
    assert set(caught.value.problems) == {"username", "password", "role"}


def test_a_name_differing_only_in_case_is_refused(session: Session):
    create_user(session, "Rana.K", "correct horse battery", "reviewer")
    session.commit()
    for name in ("Rana.K", "rana.k", "RANA.K"):
        with pytest.raises(ValidationError) as caught:
            create_user(session, name, "another long passphrase", "contributor")
        assert "Rana.K" in caught.value.problems["username"]
    assert [u.username for u in list_users(session)] == ["Rana.K"]
    create_user(session, "rana.k2", "another long passphrase", "contributor")

import pytest

from tracker.config import PROJECT_ROOT, load_settings, parse_database_url
from tracker.errors import ConfigError


def test_default_is_sqlite_file_in_data(monkeypatch):
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    url = load_settings().database_url
    assert url.drivername == "sqlite"
    assert url.database == str(PROJECT_ROOT / "data" / "tracker.db")


def test_postgres_urls_use_psycopg():
    assert parse_database_url("postgresql://u:p@db/tracker").drivername == "postgresql+psycopg"
    assert parse_database_url("postgresql+psycopg://u@db/t").database == "t"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("not a url", "not a database URL"),
        ("mysql://u@h/db", "does not support"),
        ("sqlite://", "must name a SQLite file"),
        ("sqlite:///:memory:", "must name a SQLite file"),
        ("postgresql+psycopg://u@h", "must name a database"),
    ],
)
def test_bad_urls_get_clear_messages(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_database_url(raw)

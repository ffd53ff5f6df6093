"""full-text search over news items and statements

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:00:00

SQLite (FTS5, ``unicode61 remove_diacritics 2`` with marks kept inside words, so Urdu, Persian,
Hebrew and Devanagari words stay whole):

- ``news_item_fts``: external-content index over ``news_item(title, summary)``; the text lives
  only in ``news_item``. Triggers keep it in step with inserts (also bulk ``INSERT … RETURNING``
  from the poller), updates of the title or summary, and deletes.
- ``statement_fts``: an index with its own copy of quote, translation, summary and speaker
  ("name role"), holding live statements only: a soft delete removes the row, a restore puts it
  back, and renaming a speaker re-indexes their statements.

PostgreSQL (``simple`` configuration: no stemming, no stop words, any script):

- ``news_item.search_vector``: a stored generated ``tsvector`` (title weight A, summary B; the
  parser skips HTML tags), GIN-indexed.
- ``statement.search_vector``: kept by a ``BEFORE INSERT OR UPDATE`` trigger (summary and quote
  A, translation B, speaker and role C), GIN-indexed; renaming a speaker refreshes it.

Existing rows are indexed by the upgrade. Note for later migrations: a SQLite batch rebuild
("move and copy") of ``news_item``, ``statement`` or ``speaker`` drops their triggers, which
must then be created again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENIZE = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"

# --- SQLite ------------------------------------------------------------------------------

SQLITE_SPEAKER_TEXT = (
    "trim(coalesce((SELECT name FROM speaker WHERE speaker.id = {row}.speaker_id), '') "
    "|| ' ' || coalesce({row}.speaker_role, ''))"
)


def _statement_fts_insert(row: str, where: str) -> str:
    return (
        "INSERT INTO statement_fts(rowid, quote, translation, summary, speaker) "
        f"SELECT {row}.id, {row}.quote, {row}.translation, {row}.summary, "
        f"{SQLITE_SPEAKER_TEXT.format(row=row)} {where}"
    )


SQLITE_UPGRADE = [
    f"""CREATE VIRTUAL TABLE news_item_fts USING fts5(
        title, summary, content='news_item', content_rowid='id', tokenize="{TOKENIZE}")""",
    "INSERT INTO news_item_fts(news_item_fts, rank) VALUES ('rank', 'bm25(4.0, 1.0)')",
    """CREATE TRIGGER news_item_fts_insert AFTER INSERT ON news_item BEGIN
        INSERT INTO news_item_fts(rowid, title, summary) VALUES (new.id, new.title, new.summary);
    END""",
    """CREATE TRIGGER news_item_fts_delete AFTER DELETE ON news_item BEGIN
        INSERT INTO news_item_fts(news_item_fts, rowid, title, summary)
        VALUES ('delete', old.id, old.title, old.summary);
    END""",
    """CREATE TRIGGER news_item_fts_update AFTER UPDATE OF title, summary ON news_item BEGIN
        INSERT INTO news_item_fts(news_item_fts, rowid, title, summary)
        VALUES ('delete', old.id, old.title, old.summary);
        INSERT INTO news_item_fts(rowid, title, summary) VALUES (new.id, new.title, new.summary);
    END""",
    "INSERT INTO news_item_fts(news_item_fts) VALUES ('rebuild')",
    f"""CREATE VIRTUAL TABLE statement_fts USING fts5(
        quote, translation, summary, speaker, tokenize="{TOKENIZE}")""",
    "INSERT INTO statement_fts(statement_fts, rank) VALUES ('rank', 'bm25(2.0, 1.0, 2.0, 1.0)')",
    f"""CREATE TRIGGER statement_fts_insert AFTER INSERT ON statement BEGIN
        {_statement_fts_insert("new", "WHERE new.deleted_at IS NULL")};
    END""",
    f"""CREATE TRIGGER statement_fts_update AFTER UPDATE ON statement BEGIN
        DELETE FROM statement_fts WHERE rowid = old.id;
        {_statement_fts_insert("new", "WHERE new.deleted_at IS NULL")};
    END""",  # noqa: S608 (constant SQL)
    """CREATE TRIGGER statement_fts_delete AFTER DELETE ON statement BEGIN
        DELETE FROM statement_fts WHERE rowid = old.id;
    END""",
    f"""CREATE TRIGGER statement_fts_speaker AFTER UPDATE OF name ON speaker BEGIN
        DELETE FROM statement_fts
        WHERE rowid IN (SELECT id FROM statement WHERE speaker_id = new.id);
        {_statement_fts_insert("statement", "FROM statement WHERE statement.speaker_id = new.id AND statement.deleted_at IS NULL")};
    END""",  # noqa: S608 (constant SQL)
    _statement_fts_insert("statement", "FROM statement WHERE statement.deleted_at IS NULL"),
]

SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS statement_fts_speaker",
    "DROP TRIGGER IF EXISTS statement_fts_delete",
    "DROP TRIGGER IF EXISTS statement_fts_update",
    "DROP TRIGGER IF EXISTS statement_fts_insert",
    "DROP TABLE IF EXISTS statement_fts",
    "DROP TRIGGER IF EXISTS news_item_fts_update",
    "DROP TRIGGER IF EXISTS news_item_fts_delete",
    "DROP TRIGGER IF EXISTS news_item_fts_insert",
    "DROP TABLE IF EXISTS news_item_fts",
]

# --- PostgreSQL --------------------------------------------------------------------------

PG_UPGRADE = [
    """ALTER TABLE news_item ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(summary, '')), 'B')
    ) STORED""",
    "CREATE INDEX ix_news_item_search ON news_item USING gin (search_vector)",
    "ALTER TABLE statement ADD COLUMN search_vector tsvector",
    """CREATE FUNCTION statement_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector :=
            setweight(to_tsvector('simple'::regconfig, coalesce(NEW.summary, '')), 'A')
            || setweight(to_tsvector('simple'::regconfig, coalesce(NEW.quote, '')), 'A')
            || setweight(to_tsvector('simple'::regconfig, coalesce(NEW.translation, '')), 'B')
            || setweight(to_tsvector('simple'::regconfig,
                   coalesce((SELECT name FROM speaker WHERE speaker.id = NEW.speaker_id), '')
                   || ' ' || coalesce(NEW.speaker_role, '')), 'C');
        RETURN NEW;
    END
    $$""",
    """CREATE TRIGGER statement_search_vector
        BEFORE INSERT OR UPDATE OF quote, translation, summary, speaker_id, speaker_role
        ON statement FOR EACH ROW EXECUTE FUNCTION statement_search_vector()""",
    """CREATE FUNCTION speaker_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE statement SET speaker_id = speaker_id WHERE speaker_id = NEW.id;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER speaker_search_vector AFTER UPDATE OF name ON speaker
        FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
        EXECUTE FUNCTION speaker_search_vector()""",
    "UPDATE statement SET summary = summary",
    "CREATE INDEX ix_statement_search ON statement USING gin (search_vector)",
]

PG_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS speaker_search_vector ON speaker",
    "DROP FUNCTION IF EXISTS speaker_search_vector()",
    "DROP TRIGGER IF EXISTS statement_search_vector ON statement",
    "DROP FUNCTION IF EXISTS statement_search_vector()",
    "DROP INDEX IF EXISTS ix_statement_search",
    "ALTER TABLE statement DROP COLUMN IF EXISTS search_vector",
    "DROP INDEX IF EXISTS ix_news_item_search",
    "ALTER TABLE news_item DROP COLUMN IF EXISTS search_vector",
]


def _run(statements: list[str]) -> None:
    for sql in statements:
        op.execute(sql)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _run(SQLITE_UPGRADE)
    else:
        _run(PG_UPGRADE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _run(SQLITE_DOWNGRADE)
    else:
        _run(PG_DOWNGRADE)

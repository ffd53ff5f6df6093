"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 14:58:50.303231
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "actor",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('country', 'bloc', 'organisation', 'armed_group')", name="ck_actor_kind"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", name="uq_actor_code"),
    )
    op.create_table(
        "feed",
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("site_url", sa.String(length=2000), nullable=True),
        sa.Column("poll_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'failing', 'gone')", name="ck_feed_status"
        ),
        sa.CheckConstraint("url LIKE 'http://%' OR url LIKE 'https://%'", name="ck_feed_url_http"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url", name="uq_feed_url"),
    )
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.create_index("ix_feed_due", ["status", "next_poll_at"], unique=False)

    op.create_table(
        "topic",
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("proposition", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug", name="uq_topic_slug"),
    )
    op.create_table(
        "user",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('contributor', 'reviewer', 'admin')", name="ck_user_role"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email", name="uq_user_email"),
        sa.UniqueConstraint("username", name="uq_user_username"),
    )
    op.create_table(
        "actor_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "kind IN ('name', 'short_name', 'official_name', 'demonym', 'capital', 'abbreviation')",
            name="ck_actor_alias_kind",
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["actor.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("actor_id", "alias", name="uq_actor_alias"),
    )
    with op.batch_alter_table("actor_alias", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actor_alias_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_actor_alias_alias"), ["alias"], unique=False)

    op.create_table(
        "bloc_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bloc_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("bloc_id <> member_id", name="ck_bloc_membership_not_self"),
        sa.ForeignKeyConstraint(["bloc_id"], ["actor.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["actor.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bloc_id", "member_id", name="uq_bloc_membership"),
    )
    with op.batch_alter_table("bloc_membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bloc_membership_bloc_id"), ["bloc_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_bloc_membership_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "event",
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("date_precision", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contributor_id", sa.Integer(), nullable=True),
        sa.Column("external_key", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("date_precision IN ('day', 'month', 'year')", name="ck_event_precision"),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ck_event_ends_after"),
        sa.ForeignKeyConstraint(
            ["contributor_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_starts_on", ["starts_on"], unique=False)

    op.create_table(
        "feed_fetch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("items_new", sa.Integer(), nullable=False),
        sa.Column("bytes_read", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(["feed_id"], ["feed.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feed_fetch", schema=None) as batch_op:
        batch_op.create_index("ix_feed_fetch_feed_started", ["feed_id", "started_at"], unique=False)

    op.create_table(
        "news_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=True),
        sa.Column("guid", sa.String(length=1000), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("canonical_url", sa.String(length=2000), nullable=True),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("same_story_as_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["feed_id"], ["feed.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["same_story_as_id"],
            ["news_item.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("feed_id", "guid", name="uq_news_item_feed_guid"),
    )
    with op.batch_alter_table("news_item", schema=None) as batch_op:
        batch_op.create_index("ix_news_item_canonical_url", ["canonical_url"], unique=False)
        batch_op.create_index("ix_news_item_content_hash", ["content_hash"], unique=False)
        batch_op.create_index("ix_news_item_fetched_at", ["fetched_at"], unique=False)
        batch_op.create_index("ix_news_item_published_at", ["published_at"], unique=False)

    op.create_table(
        "revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=12), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.CheckConstraint(
            "action IN ('create', 'edit', 'review', 'delete', 'restore')", name="ck_revision_action"
        ),
        sa.CheckConstraint(
            "entity_type IN ('statement', 'event', 'topic')", name="ck_revision_entity_type"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_revision_entity", ["entity_type", "entity_id", "id"], unique=False
        )

    op.create_table(
        "speaker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("wikidata_id", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actor.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "actor_id", name="uq_speaker_name_actor"),
        sa.UniqueConstraint("wikidata_id", name="uq_speaker_wikidata"),
    )
    with op.batch_alter_table("speaker", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_speaker_actor_id"), ["actor_id"], unique=False)

    op.create_table(
        "stance_level",
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("rule", sa.String(length=1000), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("value BETWEEN -5 AND 5", name="ck_stance_level_range"),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("topic_id", "value", name="uq_stance_level_topic_value"),
    )
    with op.batch_alter_table("stance_level", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stance_level_topic_id"), ["topic_id"], unique=False)

    op.create_table(
        "event_actor",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actor.id"],
        ),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "actor_id"),
    )
    with op.batch_alter_table("event_actor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_actor_actor_id"), ["actor_id"], unique=False)

    op.create_table(
        "event_topic",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topic.id"],
        ),
        sa.PrimaryKeyConstraint("event_id", "topic_id"),
    )
    with op.batch_alter_table("event_topic", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_topic_topic_id"), ["topic_id"], unique=False)

    op.create_table(
        "news_item_actor",
        sa.Column("news_item_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actor.id"],
        ),
        sa.ForeignKeyConstraint(["news_item_id"], ["news_item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("news_item_id", "actor_id"),
    )
    with op.batch_alter_table("news_item_actor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_news_item_actor_actor_id"), ["actor_id"], unique=False)

    op.create_table(
        "statement",
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("speaker_id", sa.Integer(), nullable=True),
        sa.Column("speaker_role", sa.String(length=200), nullable=True),
        sa.Column("target_actor_id", sa.Integer(), nullable=True),
        sa.Column("said_on", sa.Date(), nullable=False),
        sa.Column("date_precision", sa.String(length=8), nullable=False),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("translation", sa.Text(), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=True),
        sa.Column("stance", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("contributor_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.String(length=2000), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("external_key", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "channel IN ('speech', 'interview', 'press_release', 'press_conference', 'social_media', 'communique', 'vote', 'parliament', 'reported', 'other')",
            name="ck_statement_channel",
        ),
        sa.CheckConstraint(
            "date_precision IN ('day', 'month', 'year')", name="ck_statement_precision"
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'verified', 'rejected', 'retracted')", name="ck_statement_status"
        ),
        sa.CheckConstraint(
            "quote IS NOT NULL OR summary IS NOT NULL", name="ck_statement_quote_or_summary"
        ),
        sa.CheckConstraint("stance BETWEEN -5 AND 5", name="ck_statement_stance_range"),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actor.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contributor_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["speaker_id"],
            ["speaker.id"],
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["statement.id"],
        ),
        sa.ForeignKeyConstraint(
            ["target_actor_id"],
            ["actor.id"],
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topic.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.create_index("ix_statement_said_on", ["said_on"], unique=False)
        batch_op.create_index("ix_statement_status", ["status"], unique=False)
        batch_op.create_index(
            "ix_statement_topic_actor_said", ["topic_id", "actor_id", "said_on"], unique=False
        )

    op.create_table(
        "source",
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("citation", sa.String(length=2000), nullable=True),
        sa.Column("publisher", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("accessed_on", sa.Date(), nullable=True),
        sa.Column("archive_url", sa.String(length=2000), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "archive_url IS NULL OR archive_url LIKE 'http://%' OR archive_url LIKE 'https://%'",
            name="ck_source_archive_http",
        ),
        sa.CheckConstraint(
            "url IS NULL OR url LIKE 'http://%' OR url LIKE 'https://%'", name="ck_source_url_http"
        ),
        sa.CheckConstraint(
            "(statement_id IS NULL) <> (event_id IS NULL)", name="ck_source_one_owner"
        ),
        sa.CheckConstraint("url IS NOT NULL OR citation IS NOT NULL", name="ck_source_url_or_cite"),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["statement_id"], ["statement.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_source_statement_id"), ["statement_id"], unique=False)

    op.create_table(
        "statement_news_item",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("news_item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["news_item_id"], ["news_item.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["statement_id"], ["statement.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("statement_id", "news_item_id"),
    )


def downgrade() -> None:

    op.drop_table("statement_news_item")
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_statement_id"))
        batch_op.drop_index(batch_op.f("ix_source_event_id"))

    op.drop_table("source")
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_index("ix_statement_topic_actor_said")
        batch_op.drop_index("ix_statement_status")
        batch_op.drop_index("ix_statement_said_on")

    op.drop_table("statement")
    with op.batch_alter_table("news_item_actor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_news_item_actor_actor_id"))

    op.drop_table("news_item_actor")
    with op.batch_alter_table("event_topic", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_topic_topic_id"))

    op.drop_table("event_topic")
    with op.batch_alter_table("event_actor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_actor_actor_id"))

    op.drop_table("event_actor")
    with op.batch_alter_table("stance_level", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stance_level_topic_id"))

    op.drop_table("stance_level")
    with op.batch_alter_table("speaker", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_speaker_actor_id"))

    op.drop_table("speaker")
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.drop_index("ix_revision_entity")

    op.drop_table("revision")
    with op.batch_alter_table("news_item", schema=None) as batch_op:
        batch_op.drop_index("ix_news_item_published_at")
        batch_op.drop_index("ix_news_item_fetched_at")
        batch_op.drop_index("ix_news_item_content_hash")
        batch_op.drop_index("ix_news_item_canonical_url")

    op.drop_table("news_item")
    with op.batch_alter_table("feed_fetch", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_fetch_feed_started")

    op.drop_table("feed_fetch")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_starts_on")

    op.drop_table("event")
    with op.batch_alter_table("bloc_membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bloc_membership_member_id"))
        batch_op.drop_index(batch_op.f("ix_bloc_membership_bloc_id"))

    op.drop_table("bloc_membership")
    with op.batch_alter_table("actor_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actor_alias_alias"))
        batch_op.drop_index(batch_op.f("ix_actor_alias_actor_id"))

    op.drop_table("actor_alias")
    op.drop_table("user")
    op.drop_table("topic")
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_due")

    op.drop_table("feed")
    op.drop_table("actor")

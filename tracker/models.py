"""The tracker's tables and their Create/Update schemas.

Layering follows SQLModel's usual pattern: a ``*Base`` with the fields a user supplies, a
``*Create`` / ``*Update`` for input, and the ``table=True`` class that adds keys and
bookkeeping. Enumerations are stored as short strings guarded by CHECK constraints rather
than native PostgreSQL enums, so adding a value is a one-line migration on both engines.
Rules that need other rows (a stance within its topic's scale) live in the domain modules.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracker.timeutil import UTCDateTime, utcnow


class ActorKind(StrEnum):
    COUNTRY = "country"
    BLOC = "bloc"
    ORGANISATION = "organisation"
    ARMED_GROUP = "armed_group"


class AliasKind(StrEnum):
    NAME = "name"
    SHORT_NAME = "short_name"
    OFFICIAL_NAME = "official_name"
    DEMONYM = "demonym"
    CAPITAL = "capital"
    ABBREVIATION = "abbreviation"


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class Channel(StrEnum):
    SPEECH = "speech"
    INTERVIEW = "interview"
    PRESS_RELEASE = "press_release"
    PRESS_CONFERENCE = "press_conference"
    SOCIAL_MEDIA = "social_media"
    COMMUNIQUE = "communique"
    VOTE = "vote"
    PARLIAMENT = "parliament"
    REPORTED = "reported"
    OTHER = "other"


class StatementStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    RETRACTED = "retracted"


class FeedStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    FAILING = "failing"
    GONE = "gone"


class Role(StrEnum):
    CONTRIBUTOR = "contributor"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class EntityType(StrEnum):
    STATEMENT = "statement"
    EVENT = "event"
    TOPIC = "topic"


class RevisionAction(StrEnum):
    CREATE = "create"
    EDIT = "edit"
    REVIEW = "review"
    DELETE = "delete"
    RESTORE = "restore"
    PROPOSE = "propose"
    RETRACT = "retract"
    SUPERSEDE = "supersede"


class EditStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


def one_of(column: str, values: type[StrEnum], name: str) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


# --- actors ------------------------------------------------------------------------------


class ActorBase(SQLModel):
    code: str = Field(max_length=16, description="ISO 3166-1 alpha-3, or a short bloc code")
    name: str = Field(max_length=200)
    kind: str = Field(default=ActorKind.COUNTRY, max_length=20)


class Actor(ActorBase, table=True):
    __table_args__ = (
        UniqueConstraint("code", name="uq_actor_code"),
        one_of("kind", ActorKind, "ck_actor_kind"),
    )
    id: int | None = Field(default=None, primary_key=True)


class ActorAlias(SQLModel, table=True):
    """A name under which news mentions an actor: names, demonyms, capitals."""

    __tablename__ = "actor_alias"
    __table_args__ = (
        UniqueConstraint("actor_id", "alias", name="uq_actor_alias"),
        one_of("kind", AliasKind, "ck_actor_alias_kind"),
    )
    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actor.id", index=True, ondelete="CASCADE")
    alias: str = Field(max_length=200, index=True)
    kind: str = Field(default=AliasKind.NAME, max_length=20)


class BlocMembership(SQLModel, table=True):
    __tablename__ = "bloc_membership"
    __table_args__ = (
        UniqueConstraint("bloc_id", "member_id", name="uq_bloc_membership"),
        CheckConstraint("bloc_id <> member_id", name="ck_bloc_membership_not_self"),
    )
    id: int | None = Field(default=None, primary_key=True)
    bloc_id: int = Field(foreign_key="actor.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="actor.id", index=True, ondelete="CASCADE")


# --- people ------------------------------------------------------------------------------


class Speaker(SQLModel, table=True):
    """A person who speaks for an actor; the role is stored on each statement as held then."""

    __table_args__ = (
        UniqueConstraint("name", "actor_id", name="uq_speaker_name_actor"),
        UniqueConstraint("wikidata_id", name="uq_speaker_wikidata"),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    actor_id: int = Field(foreign_key="actor.id", index=True)
    wikidata_id: str | None = Field(default=None, max_length=20)


class UserBase(SQLModel):
    username: str = Field(max_length=64)
    role: str = Field(default=Role.CONTRIBUTOR, max_length=20)
    email: str | None = Field(default=None, max_length=320)
    disabled: bool = False


class User(UserBase, table=True):
    __table_args__ = (
        UniqueConstraint("username", name="uq_user_username"),
        UniqueConstraint("email", name="uq_user_email"),
        one_of("role", Role, "ck_user_role"),
    )
    id: int | None = Field(default=None, primary_key=True)
    password_hash: str | None = Field(default=None, max_length=255)
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- topics ------------------------------------------------------------------------------


class TopicBase(SQLModel):
    slug: str = Field(max_length=80)
    title: str = Field(max_length=200)
    proposition: str = Field(
        max_length=500, description="The claim positions are taken on, e.g. 'X is justified'"
    )
    description: str | None = Field(default=None, sa_type=Text)


class TopicCreate(TopicBase):
    levels: list[StanceLevelCreate] = []


class TopicUpdate(SQLModel):
    title: str | None = None
    proposition: str | None = None
    description: str | None = None


class Topic(TopicBase, table=True):
    __table_args__ = (UniqueConstraint("slug", name="uq_topic_slug"),)
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StanceLevelCreate(SQLModel):
    value: int = Field(ge=-5, le=5)
    label: str = Field(max_length=80)
    rule: str = Field(max_length=1000, description="How a contributor decides on this level")


class StanceLevel(StanceLevelCreate, table=True):
    """One step of a topic's ordinal stance scale (by default -2..+2)."""

    __tablename__ = "stance_level"
    __table_args__ = (
        UniqueConstraint("topic_id", "value", name="uq_stance_level_topic_value"),
        CheckConstraint("value BETWEEN -5 AND 5", name="ck_stance_level_range"),
    )
    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="topic.id", index=True, ondelete="CASCADE")


# --- statements --------------------------------------------------------------------------


class StatementBase(SQLModel):
    topic_id: int = Field(foreign_key="topic.id")
    actor_id: int = Field(foreign_key="actor.id")
    speaker_id: int | None = Field(default=None, foreign_key="speaker.id")
    speaker_role: str | None = Field(default=None, max_length=200)
    target_actor_id: int | None = Field(default=None, foreign_key="actor.id")
    said_on: date
    date_precision: str = Field(default=DatePrecision.DAY, max_length=8)
    quote: str | None = Field(default=None, sa_type=Text)
    language: str | None = Field(default=None, max_length=8)
    translation: str | None = Field(default=None, sa_type=Text)
    summary: str | None = Field(default=None, max_length=500)
    stance: int
    channel: str = Field(default=Channel.OTHER, max_length=20)


class StatementCreate(StatementBase):
    sources: list[SourceCreate] = []
    news_item_ids: list[int] = []


class StatementUpdate(SQLModel):
    topic_id: int | None = None
    actor_id: int | None = None
    speaker_id: int | None = None
    speaker_role: str | None = None
    target_actor_id: int | None = None
    said_on: date | None = None
    date_precision: str | None = None
    quote: str | None = None
    language: str | None = None
    translation: str | None = None
    summary: str | None = None
    stance: int | None = None
    channel: str | None = None


class Statement(StatementBase, table=True):
    __table_args__ = (
        Index("ix_statement_topic_actor_said", "topic_id", "actor_id", "said_on"),
        Index("ix_statement_said_on", "said_on"),
        Index("ix_statement_status", "status"),
        CheckConstraint(
            "quote IS NOT NULL OR summary IS NOT NULL", name="ck_statement_quote_or_summary"
        ),
        CheckConstraint("stance BETWEEN -5 AND 5", name="ck_statement_stance_range"),
        one_of("status", StatementStatus, "ck_statement_status"),
        one_of("channel", Channel, "ck_statement_channel"),
        one_of("date_precision", DatePrecision, "ck_statement_precision"),
    )
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=StatementStatus.PENDING, max_length=12)
    contributor_id: int | None = Field(default=None, foreign_key="user.id")
    reviewer_id: int | None = Field(default=None, foreign_key="user.id")
    review_note: str | None = Field(default=None, max_length=2000)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    superseded_by_id: int | None = Field(default=None, foreign_key="statement.id")
    external_key: str | None = Field(
        default=None,
        max_length=120,
        description="Stable key of rows loaded from files (demo, imports) so reloading is a no-op",
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StatementNewsItem(SQLModel, table=True):
    """The news items a statement was taken from."""

    __tablename__ = "statement_news_item"
    statement_id: int = Field(foreign_key="statement.id", primary_key=True, ondelete="CASCADE")
    news_item_id: int = Field(foreign_key="news_item.id", primary_key=True, ondelete="CASCADE")


class StatementEdit(SQLModel, table=True):
    """A proposed change to a verified statement, waiting for a reviewer.

    The statement row keeps its verified content until a reviewer accepts the change; the
    proposal holds the whole proposed version (``StatementCreate`` as JSON), not a patch, so
    what the reviewer sees is exactly what will be stored.
    """

    __tablename__ = "statement_edit"
    __table_args__ = (
        Index("ix_statement_edit_status_proposed", "status", "proposed_at"),
        one_of("status", EditStatus, "ck_statement_edit_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statement.id", index=True, ondelete="CASCADE")
    status: str = Field(default=EditStatus.PENDING, max_length=10)
    proposed: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reason: str | None = Field(default=None, max_length=2000)
    proposed_by_id: int | None = Field(default=None, foreign_key="user.id")
    proposed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reviewer_id: int | None = Field(default=None, foreign_key="user.id")
    review_note: str | None = Field(default=None, max_length=2000)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- sources -----------------------------------------------------------------------------


class SourceCreate(SQLModel):
    url: str | None = Field(default=None, max_length=2000)
    citation: str | None = Field(default=None, max_length=2000)
    publisher: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=500)
    published_on: date | None = None
    accessed_on: date | None = None
    archive_url: str | None = Field(default=None, max_length=2000)


class Source(SourceCreate, table=True):
    """Evidence for exactly one statement or one event: a web address or a full citation."""

    __table_args__ = (
        CheckConstraint("(statement_id IS NULL) <> (event_id IS NULL)", name="ck_source_one_owner"),
        CheckConstraint("url IS NOT NULL OR citation IS NOT NULL", name="ck_source_url_or_cite"),
        CheckConstraint(
            "url IS NULL OR url LIKE 'http://%' OR url LIKE 'https://%'", name="ck_source_url_http"
        ),
        CheckConstraint(
            "archive_url IS NULL OR archive_url LIKE 'http://%' OR archive_url LIKE 'https://%'",
            name="ck_source_archive_http",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    statement_id: int | None = Field(
        default=None, foreign_key="statement.id", index=True, ondelete="CASCADE"
    )
    event_id: int | None = Field(
        default=None, foreign_key="event.id", index=True, ondelete="CASCADE"
    )


# --- events ------------------------------------------------------------------------------


class EventBase(SQLModel):
    title: str = Field(max_length=300)
    description: str | None = Field(default=None, sa_type=Text)
    starts_on: date
    ends_on: date | None = None
    date_precision: str = Field(default=DatePrecision.DAY, max_length=8)
    category: str = Field(default="other", max_length=40)


class EventCreate(EventBase):
    actor_ids: list[int] = []
    topic_ids: list[int] = []
    sources: list[SourceCreate] = []


class Event(EventBase, table=True):
    __table_args__ = (
        Index("ix_event_starts_on", "starts_on"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ck_event_ends_after"),
        one_of("date_precision", DatePrecision, "ck_event_precision"),
    )
    id: int | None = Field(default=None, primary_key=True)
    contributor_id: int | None = Field(default=None, foreign_key="user.id")
    external_key: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EventActor(SQLModel, table=True):
    __tablename__ = "event_actor"
    event_id: int = Field(foreign_key="event.id", primary_key=True, ondelete="CASCADE")
    actor_id: int = Field(foreign_key="actor.id", primary_key=True, index=True)


class EventTopic(SQLModel, table=True):
    __tablename__ = "event_topic"
    event_id: int = Field(foreign_key="event.id", primary_key=True, ondelete="CASCADE")
    topic_id: int = Field(foreign_key="topic.id", primary_key=True, index=True)


# --- feeds and news ----------------------------------------------------------------------


class FeedCreate(SQLModel):
    url: str = Field(max_length=2000)
    title: str | None = Field(default=None, max_length=300)
    site_url: str | None = Field(default=None, max_length=2000)
    poll_interval_seconds: int = Field(default=3600, ge=300, le=86400)


class Feed(FeedCreate, table=True):
    __table_args__ = (
        UniqueConstraint("url", name="uq_feed_url"),
        Index("ix_feed_due", "status", "next_poll_at"),
        one_of("status", FeedStatus, "ck_feed_status"),
        CheckConstraint("url LIKE 'http://%' OR url LIKE 'https://%'", name="ck_feed_url_http"),
    )
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=FeedStatus.ACTIVE, max_length=10)
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    body_hash: str | None = Field(default=None, max_length=64)
    next_poll_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_polled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error_count: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FeedFetch(SQLModel, table=True):
    """One fetch of a feed; the poller keeps only the last few per feed."""

    __tablename__ = "feed_fetch"
    __table_args__ = (Index("ix_feed_fetch_feed_started", "feed_id", "started_at"),)
    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", ondelete="CASCADE")
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    duration_ms: int = 0
    http_status: int | None = None
    outcome: str = Field(max_length=20, description="new, unchanged, not_modified, error…")
    items_new: int = 0
    bytes_read: int = 0
    error: str | None = Field(default=None, max_length=2000)


class NewsItem(SQLModel, table=True):
    """A polled story. ``published_at`` is what the feed claims and may be missing;
    ``fetched_at`` is when we stored it."""

    __tablename__ = "news_item"
    __table_args__ = (
        UniqueConstraint("feed_id", "guid", name="uq_news_item_feed_guid"),
        Index("ix_news_item_published_at", "published_at"),
        Index("ix_news_item_fetched_at", "fetched_at"),
        Index("ix_news_item_canonical_url", "canonical_url"),
        Index("ix_news_item_content_hash", "content_hash"),
    )
    id: int | None = Field(default=None, primary_key=True)
    feed_id: int | None = Field(
        default=None, foreign_key="feed.id", ondelete="CASCADE", description="None for files"
    )
    guid: str = Field(max_length=1000)
    url: str | None = Field(default=None, max_length=2000)
    canonical_url: str | None = Field(default=None, max_length=2000)
    title: str = Field(max_length=1000)
    summary: str | None = Field(default=None, sa_type=Text, description="sanitised HTML")
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fetched_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    content_hash: str = Field(max_length=64)
    same_story_as_id: int | None = Field(
        default=None,
        foreign_key="news_item.id",
        description="The first copy of this story seen from another feed",
    )


class NewsItemActor(SQLModel, table=True):
    """An actor a news item mentions (found through the actor's aliases)."""

    __tablename__ = "news_item_actor"
    news_item_id: int = Field(foreign_key="news_item.id", primary_key=True, ondelete="CASCADE")
    actor_id: int = Field(foreign_key="actor.id", primary_key=True, index=True)


# --- history -----------------------------------------------------------------------------


class Revision(SQLModel, table=True):
    """Append-only history of statements, events and topics."""

    __table_args__ = (
        Index("ix_revision_entity", "entity_type", "entity_id", "id"),
        one_of("entity_type", EntityType, "ck_revision_entity_type"),
        one_of("action", RevisionAction, "ck_revision_action"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_type: str = Field(max_length=12)
    entity_id: int
    action: str = Field(max_length=12)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reason: str | None = Field(default=None, max_length=2000)


TopicCreate.model_rebuild()
StatementCreate.model_rebuild()
EventCreate.model_rebuild()

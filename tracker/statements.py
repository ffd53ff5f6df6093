"""Statements: dated, sourced positions an actor stated on a topic.

Life of a statement
-------------------
- **Filed** by a contributor: ``pending``. Nothing is stored unless every rule holds
  (:func:`statement_problems`, the same rules for the form, the CLI and imports).
- **Edited while pending** (or after a rejection) by its contributor or a reviewer: the row
  changes in place and stays (or becomes again) ``pending``.
- **Reviewed** (``tracker.review``): a reviewer who did not file or edit it verifies or rejects
  it, with a note.
- **Edited once verified**: the change does *not* touch the statement. It is stored as a
  proposal (:class:`tracker.models.StatementEdit`, the whole proposed version) and waits in the
  review queue; the verified version is what the timeline and the permalink keep showing until
  a reviewer accepts the proposal, which then replaces the content in one step. Why not a new
  pending statement that supersedes the verified one? Because a correction is the same
  statement: it keeps its permalink, its history stays in one place, the timeline never shows
  the same quote twice, and "superseded" stays free for its real meaning (the actor said
  something newer).
- **Retracted** or **superseded**: kept, marked, linked to its successor.
- **Deleted**: soft (``deleted_at``); an admin can restore it, or any earlier version.

Every one of these steps writes a :class:`tracker.models.Revision` (who, when, a snapshot,
why), and every write checks the acting user's role first (``tracker.permissions``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import and_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from tracker.errors import PermissionDenied, ValidationError
from tracker.feeds.sanitize import html_to_text
from tracker.models import (
    Actor,
    Channel,
    DatePrecision,
    EditStatus,
    EntityType,
    Feed,
    NewsItem,
    Revision,
    RevisionAction,
    Source,
    SourceCreate,
    Speaker,
    StanceLevel,
    Statement,
    StatementCreate,
    StatementEdit,
    StatementNewsItem,
    StatementStatus,
    Topic,
    User,
)
from tracker.permissions import (
    ADMINS,
    REVIEWERS,
    WRITERS,
    acting_user,
    require_role,
    require_writer_or_system,
)
from tracker.revisions import get_revision, latest_revision_id, record_revision, snapshot_of
from tracker.sources import SourceView, clean_source, source_problems, sources_by_owner
from tracker.speakers import get_or_create_speaker, speaker_name_problem
from tracker.timeutil import utcnow
from tracker.topics import get_topic
from tracker.validation import (
    blank_to_none,
    check_date,
    check_language,
    check_length,
    parse_input,
)

QUOTE_LIMIT = 20_000
SUMMARY_LIMIT = 500
ROLE_LIMIT = 200
NOTE_LIMIT = 2000

REQUIRED_MESSAGES = {
    "topic_id": "choose a topic",
    "actor_id": "choose a country or bloc",
    "said_on": "the date said is required",
    "stance": "choose a stance on the topic's scale",
}

# Columns a contributor supplies; the rest is bookkeeping.
CONTENT_FIELDS = (
    "topic_id",
    "actor_id",
    "speaker_id",
    "speaker_role",
    "target_actor_id",
    "said_on",
    "date_precision",
    "quote",
    "language",
    "translation",
    "summary",
    "stance",
    "channel",
)


@dataclass(frozen=True)
class StatementView:
    id: int
    topic_id: int
    topic_title: str
    actor_id: int
    actor_code: str
    actor_name: str
    speaker_name: str | None
    speaker_role: str | None
    target_code: str | None
    said_on: date
    date_precision: str
    quote: str | None
    language: str | None
    translation: str | None
    summary: str | None
    stance: int
    stance_label: str
    channel: str
    status: str
    contributor: str | None
    reviewer: str | None
    review_note: str | None
    created_at: datetime
    sources: list[SourceView] = field(default_factory=list)
    news_item_ids: list[int] = field(default_factory=list)
    contributor_id: int | None = None
    reviewer_id: int | None = None
    speaker_id: int | None = None
    target_actor_id: int | None = None
    superseded_by_id: int | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    pending_edit_id: int | None = None
    target_name: str | None = None


@dataclass(frozen=True)
class EditResult:
    """What an edit did: changed the statement (``applied``) or filed a proposal."""

    statement: StatementView
    applied: bool
    edit_id: int | None = None


# --- validation --------------------------------------------------------------------------


def statement_problems(
    session: Session, data: StatementCreate, *, today: date | None = None
) -> dict[str, str]:
    """Every problem with ``data``, keyed by field; empty when it can be stored.

    Tolerates missing required values (``None``) so a form can show every problem at once.
    """
    today = today or utcnow().date()
    problems: dict[str, str] = {}
    topic = get_topic(session, data.topic_id) if data.topic_id else None
    if topic is None:
        problems["topic_id"] = "choose a topic"
    elif data.stance is None:
        problems["stance"] = "choose a stance on the topic's scale"
    elif topic.level(data.stance) is None:
        allowed = ", ".join(f"{lv.value:+d} {lv.label}" for lv in topic.levels)
        problems["stance"] = f"{data.stance} is not on this topic's scale ({allowed})"
    if not data.actor_id or session.get(Actor, data.actor_id) is None:
        problems["actor_id"] = "choose a country or bloc"
    if data.target_actor_id is not None and session.get(Actor, data.target_actor_id) is None:
        problems["target_actor_id"] = "unknown target"
    elif data.target_actor_id is not None and data.target_actor_id == data.actor_id:
        problems["target_actor_id"] = "a country does not address itself: leave it empty"
    if data.speaker_id is not None:
        speaker = session.get(Speaker, data.speaker_id)
        if speaker is None:
            problems["speaker_id"] = "unknown speaker"
        elif speaker.actor_id != data.actor_id:
            problems["speaker_id"] = "this speaker speaks for another country or bloc"
    date_problem = check_date(data.said_on, today=today, field_label="date said")
    if date_problem:
        problems["said_on"] = date_problem
    if data.date_precision not in set(DatePrecision):
        problems["date_precision"] = "choose day, month or year"
    if data.channel not in set(Channel):
        problems["channel"] = "choose a channel from the list"
    quote, summary = blank_to_none(data.quote), blank_to_none(data.summary)
    if quote is None and summary is None:
        problems["quote"] = "give the quote, or a one-line summary when there is no quote"
    for name, value, limit in (
        ("quote", quote, QUOTE_LIMIT),
        ("translation", data.translation, QUOTE_LIMIT),
        ("summary", summary, SUMMARY_LIMIT),
        ("speaker_role", data.speaker_role, ROLE_LIMIT),
    ):
        problem = check_length(value, limit)
        if problem:
            problems[name] = problem
    language_problem = check_language(data.language)
    if language_problem:
        problems["language"] = language_problem
    if quote is not None and not blank_to_none(data.language):
        problems["language"] = "say which language the quote is in"
    if blank_to_none(data.translation) and quote is None:
        problems["translation"] = "a translation needs the quote in its original language"
    if not data.sources:
        problems["sources"] = "add at least one source"
    for i, source in enumerate(data.sources):
        problems.update(source_problems(clean_source(source), today=today, prefix=f"sources.{i}"))
    if data.news_item_ids:
        found = session.exec(
            select(NewsItem.id).where(col(NewsItem.id).in_(data.news_item_ids))
        ).all()
        if len(set(found)) != len(set(data.news_item_ids)):
            problems["news_item_ids"] = "a linked news item does not exist"
    return problems


def check_statement_input(
    session: Session, raw: dict[str, Any], *, today: date | None = None
) -> tuple[StatementCreate | None, dict[str, str]]:
    """Parse and check raw input (a form's values, a CSV row): the statement, or every problem.

    Type errors (pydantic) and the domain rules are reported together, the domain's wording
    winning where both speak about a field.
    """
    type_problems: dict[str, str] = {}
    try:
        data = parse_input(StatementCreate, raw)
    except ValidationError as exc:
        type_problems = exc.problems
        sources = []
        for s in raw.get("sources") or []:
            # A value of the wrong type is set aside (pydantic named it) so the rest is checked.
            values: dict[str, Any] = {
                k: v
                for k, v in s.items()
                if k in SourceCreate.model_fields
                and isinstance(v, date if k in ("published_on", "accessed_on") else str)
            }
            sources.append(SourceCreate.model_construct(**values))
        fields = {k: v for k, v in raw.items() if k in StatementCreate.model_fields}
        fields.setdefault("date_precision", DatePrecision.DAY)
        fields.setdefault("channel", Channel.OTHER)
        fields["sources"] = sources
        ids = raw.get("news_item_ids")
        ids = ids if isinstance(ids, list) else []
        fields["news_item_ids"] = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
        for name in ("topic_id", "actor_id", "stance", "target_actor_id", "speaker_id"):
            value = fields.get(name)
            if not isinstance(value, int) or isinstance(value, bool):
                fields[name] = None
        # Text of the wrong type (a number in a JSON import, say) is set aside like the ids:
        # the rules below measure and compare strings (found by tests/reliability/test_rel_fuzz.py).
        for name in ("quote", "summary", "translation", "language", "speaker_role"):
            if not isinstance(fields.get(name), str):
                fields[name] = None
        if not isinstance(fields.get("said_on"), date):
            fields["said_on"] = None
        data = StatementCreate.model_construct(**fields)
    for name, message in REQUIRED_MESSAGES.items():
        if name in type_problems and raw.get(name) is None:
            type_problems[name] = message
    problems = {**type_problems, **statement_problems(session, data, today=today)}
    # A value of the wrong type was set aside to check the rest: say what was wrong with it,
    # not that it is missing.
    for name, message in type_problems.items():
        if raw.get(name) is not None and name in REQUIRED_MESSAGES:
            problems[name] = message
    return (None if problems else data), problems


def normalized_input(data: StatementCreate) -> StatementCreate:
    """The input as it will be stored: blanks as None, language lower case, clean sources."""
    return StatementCreate(
        topic_id=data.topic_id,
        actor_id=data.actor_id,
        speaker_id=data.speaker_id,
        speaker_role=blank_to_none(data.speaker_role),
        target_actor_id=data.target_actor_id,
        said_on=data.said_on,
        date_precision=data.date_precision,
        quote=blank_to_none(data.quote),
        language=(blank_to_none(data.language) or "").lower() or None,
        translation=blank_to_none(data.translation),
        summary=blank_to_none(data.summary),
        stance=data.stance,
        channel=data.channel,
        sources=[clean_source(s) for s in data.sources],
        news_item_ids=sorted(set(data.news_item_ids)),
    )


def check_note(
    problems: dict[str, str], name: str, note: str | None, *, required: str = ""
) -> None:
    text = blank_to_none(note)
    if text is None and required:
        problems[name] = required
    problem = check_length(text, NOTE_LIMIT)
    if problem:
        problems[name] = problem


# --- reading -----------------------------------------------------------------------------


def _content_snapshot(data: StatementCreate) -> dict[str, Any]:
    values = data.model_dump(mode="json")
    return {key: values[key] for key in (*CONTENT_FIELDS, "sources", "news_item_ids")}


def _content(data: StatementCreate) -> dict[str, Any]:
    return _content_snapshot(normalized_input(data))


def statement_snapshot(session: Session, statement: Statement) -> dict[str, Any]:
    """The row plus its sources and linked news items, JSON-safe: what a revision keeps."""
    assert statement.id is not None
    sources = session.exec(
        select(Source).where(Source.statement_id == statement.id).order_by(col(Source.id))
    ).all()
    news = session.exec(
        select(StatementNewsItem.news_item_id)
        .where(StatementNewsItem.statement_id == statement.id)
        .order_by(col(StatementNewsItem.news_item_id))
    ).all()
    return snapshot_of(
        statement,
        sources=[
            SourceCreate.model_validate(s, from_attributes=True).model_dump(mode="json")
            for s in sources
        ],
        news_item_ids=list(news),
    )


def input_from_snapshot(snapshot: dict[str, Any]) -> StatementCreate:
    """The content of a snapshot (or a stored proposal) as input, to validate and re-apply."""
    values = {key: snapshot.get(key) for key in CONTENT_FIELDS}
    values["sources"] = snapshot.get("sources") or []
    values["news_item_ids"] = snapshot.get("news_item_ids") or []
    return StatementCreate.model_validate(values)


def statement_input(session: Session, statement_id: int) -> StatementCreate | None:
    """A statement's current content as input: what an edit form starts from."""
    statement = session.get(Statement, statement_id)
    if statement is None:
        return None
    return input_from_snapshot(statement_snapshot(session, statement))


def statement_by_external_key(session: Session, key: str) -> int | None:
    return session.exec(select(Statement.id).where(Statement.external_key == key)).first()


SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


def join_statement_context(query: SelectT, target: Any, contributor: Any, reviewer: Any) -> SelectT:
    """Join what a statement is shown with: topic, actor, speaker, target (``target``, an alias
    of Actor), stance level, contributor and reviewer (aliases of User); outer joins where the
    statement may have none. Listings and exports select their columns from these."""
    return (
        query.join(Topic, col(Topic.id) == col(Statement.topic_id))
        .join(Actor, col(Actor.id) == col(Statement.actor_id))
        .join(Speaker, col(Speaker.id) == col(Statement.speaker_id), isouter=True)
        .join(target, col(target.id) == col(Statement.target_actor_id), isouter=True)
        .join(
            StanceLevel,
            and_(
                col(StanceLevel.topic_id) == col(Statement.topic_id),
                col(StanceLevel.value) == col(Statement.stance),
            ),
            isouter=True,
        )
        .join(contributor, col(contributor.id) == col(Statement.contributor_id), isouter=True)
        .join(reviewer, col(reviewer.id) == col(Statement.reviewer_id), isouter=True)
    )


def list_statements(
    session: Session,
    *,
    topic_id: int | None = None,
    statuses: Collection[str] | None = None,
    actor_ids: Collection[int] | None = None,
    ids: Collection[int] | None = None,
    limit: int | None = None,
    oldest_first: bool = False,
    include_deleted: bool = False,
) -> list[StatementView]:
    """Statements with everything a card shows, in a fixed number of queries."""
    target = aliased(Actor)
    contributor = aliased(User)
    reviewer = aliased(User)
    # SQLModel's select() is typed for at most four entities; this wide one uses SQLAlchemy's.
    query = join_statement_context(
        sa_select(
            Statement,
            col(Topic.title),
            col(Actor.code),
            col(Actor.name),
            col(Speaker.name),
            col(target.code),
            col(target.name),
            col(StanceLevel.label),
            col(contributor.username),
            col(reviewer.username),
        ),
        target,
        contributor,
        reviewer,
    )
    if not include_deleted:
        query = query.where(col(Statement.deleted_at).is_(None))
    if topic_id is not None:
        query = query.where(col(Statement.topic_id) == topic_id)
    if statuses is not None:
        query = query.where(col(Statement.status).in_(list(statuses)))
    if actor_ids is not None:
        query = query.where(col(Statement.actor_id).in_(list(actor_ids)))
    if ids is not None:
        query = query.where(col(Statement.id).in_(list(ids)))
    if oldest_first:
        query = query.order_by(col(Statement.created_at), col(Statement.id))
    else:
        query = query.order_by(col(Statement.said_on).desc(), col(Statement.id).desc())
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()

    statement_ids = [row[0].id for row in rows if row[0].id is not None]
    sources = sources_by_owner(session, statement_ids=statement_ids)
    news: dict[int, list[int]] = defaultdict(list)
    pending_edits: dict[int, int] = {}
    if statement_ids:
        for sid, nid in session.exec(
            select(StatementNewsItem.statement_id, StatementNewsItem.news_item_id)
            .where(col(StatementNewsItem.statement_id).in_(statement_ids))
            .order_by(col(StatementNewsItem.news_item_id))
        ).all():
            news[sid].append(nid)
        for sid, eid in session.exec(
            select(StatementEdit.statement_id, StatementEdit.id).where(
                col(StatementEdit.statement_id).in_(statement_ids),
                StatementEdit.status == EditStatus.PENDING,
            )
        ).all():
            if eid is not None:
                pending_edits[sid] = eid

    views = []
    for (
        st,
        topic_title,
        code,
        name,
        speaker,
        target_code,
        target_name,
        label,
        contrib,
        review,
    ) in rows:
        assert st.id is not None
        views.append(
            StatementView(
                id=st.id,
                topic_id=st.topic_id,
                topic_title=topic_title,
                actor_id=st.actor_id,
                actor_code=code,
                actor_name=name,
                speaker_name=speaker,
                speaker_role=st.speaker_role,
                target_code=target_code,
                said_on=st.said_on,
                date_precision=st.date_precision,
                quote=st.quote,
                language=st.language,
                translation=st.translation,
                summary=st.summary,
                stance=st.stance,
                stance_label=label or f"{st.stance:+d}",
                channel=st.channel,
                status=st.status,
                contributor=contrib,
                reviewer=review,
                review_note=st.review_note,
                created_at=st.created_at,
                sources=sources.get(("statement", st.id), []),
                news_item_ids=news.get(st.id, []),
                contributor_id=st.contributor_id,
                reviewer_id=st.reviewer_id,
                speaker_id=st.speaker_id,
                target_actor_id=st.target_actor_id,
                superseded_by_id=st.superseded_by_id,
                updated_at=st.updated_at,
                deleted_at=st.deleted_at,
                pending_edit_id=pending_edits.get(st.id),
                target_name=target_name,
            )
        )
    return views


def get_statement(
    session: Session, statement_id: int, *, include_deleted: bool = False
) -> StatementView | None:
    found = list_statements(session, ids=[statement_id], include_deleted=include_deleted)
    return found[0] if found else None


# --- news items as the origin of a statement ---------------------------------------------


@dataclass(frozen=True)
class NewsPrefill:
    """What a news item gives a new statement: its link, title, date and feed."""

    id: int
    title: str
    url: str | None
    publisher: str | None
    day: date
    summary_text: str


def get_news_item(session: Session, news_item_id: int) -> NewsPrefill | None:
    from tracker.validation import check_http_url

    item = session.get(NewsItem, news_item_id)
    if item is None or item.id is None:
        return None
    feed = session.get(Feed, item.feed_id) if item.feed_id is not None else None
    url = item.canonical_url or item.url
    if url is not None and check_http_url(url, required=True) is not None:
        url = None
    when = item.published_at or item.fetched_at
    return NewsPrefill(
        id=item.id,
        title=html_to_text(item.title) or "(untitled)",
        url=url,
        publisher=(feed.title or None) if feed is not None else None,
        day=when.date(),
        summary_text=html_to_text(item.summary) if item.summary else "",
    )


def news_choices(
    session: Session, *, include: Collection[int] = (), limit: int = 100
) -> dict[int, str]:
    """``id -> "title (date)"`` for the newest news items plus those in ``include``."""
    from sqlalchemy import func

    shown_at = func.coalesce(col(NewsItem.published_at), col(NewsItem.fetched_at))
    query = select(NewsItem).order_by(shown_at.desc(), col(NewsItem.id).desc()).limit(limit)
    items = list(session.exec(query).all())
    missing = set(include) - {i.id for i in items}
    if missing:
        items += list(session.exec(select(NewsItem).where(col(NewsItem.id).in_(missing))).all())
    return {
        item.id: f"{html_to_text(item.title) or '(untitled)'} "
        f"({(item.published_at or item.fetched_at).date().isoformat()})"
        for item in items
        if item.id is not None
    }


# --- who may do what ---------------------------------------------------------------------


@dataclass(frozen=True)
class StatementActions:
    """What one user may do to one statement now: pages show these, writes check them."""

    edit: bool = False
    propose_edit: bool = False
    review: bool = False
    retract: bool = False
    supersede: bool = False
    delete: bool = False
    restore: bool = False
    not_reviewable_because: str | None = None


def has_contributed(session: Session, statement_id: int, user_id: int) -> bool:
    """Whether the user filed or edited this statement (then someone else must review it)."""
    statement = session.get(Statement, statement_id)
    if statement is not None and statement.contributor_id == user_id:
        return True
    found = session.exec(
        select(Revision.id).where(
            Revision.entity_type == EntityType.STATEMENT,
            Revision.entity_id == statement_id,
            col(Revision.action).in_([RevisionAction.CREATE, RevisionAction.EDIT]),
            Revision.user_id == user_id,
        )
    ).first()
    return found is not None


def _actions(session: Session, statement: Statement, user: User) -> StatementActions:
    assert statement.id is not None and user.id is not None
    deleted = statement.deleted_at is not None
    is_reviewer = user.role in REVIEWERS
    is_admin = user.role in ADMINS
    own = statement.contributor_id == user.id
    status = statement.status
    contributed = has_contributed(session, statement.id, user.id)
    return StatementActions(
        edit=not deleted
        and status in (StatementStatus.PENDING, StatementStatus.REJECTED)
        and (own or is_reviewer),
        propose_edit=not deleted and status == StatementStatus.VERIFIED,
        review=not deleted
        and status == StatementStatus.PENDING
        and is_reviewer
        and not contributed,
        retract=not deleted
        and is_reviewer
        and status in (StatementStatus.PENDING, StatementStatus.VERIFIED),
        supersede=not deleted and is_reviewer and status != StatementStatus.REJECTED,
        delete=not deleted
        and (is_admin or (own and status in (StatementStatus.PENDING, StatementStatus.REJECTED))),
        restore=is_admin,
        not_reviewable_because=(
            "you filed or edited it: another reviewer must check it" if contributed else None
        ),
    )


def statement_actions(session: Session, statement_id: int, user_id: int | None) -> StatementActions:
    """The actions open to ``user_id`` (none for visitors and disabled accounts)."""
    statement = session.get(Statement, statement_id)
    if statement is None or user_id is None:
        return StatementActions()
    try:
        user = acting_user(session, user_id)
    except PermissionDenied:
        return StatementActions()
    return _actions(session, statement, user)


def statement_for_update(session: Session, statement_id: int) -> Statement:
    statement = session.get(Statement, statement_id, with_for_update=True, populate_existing=True)
    if statement is None:
        raise ValidationError({"statement": f"there is no statement #{statement_id}"})
    return statement


# --- writing -----------------------------------------------------------------------------


def _write_content(session: Session, statement: Statement, data: StatementCreate) -> None:
    """Set the content columns, sources and news links of ``statement`` from clean input."""
    assert statement.id is not None
    for key in CONTENT_FIELDS:
        setattr(statement, key, getattr(data, key))
    statement.updated_at = utcnow()
    session.add(statement)
    for old in session.exec(select(Source).where(Source.statement_id == statement.id)).all():
        session.delete(old)
    for link in session.exec(
        select(StatementNewsItem).where(StatementNewsItem.statement_id == statement.id)
    ).all():
        session.delete(link)
    session.flush()
    for source in data.sources:
        session.add(Source(statement_id=statement.id, **source.model_dump()))
    for news_id in data.news_item_ids:
        session.add(StatementNewsItem(statement_id=statement.id, news_item_id=news_id))
    session.flush()


def _with_new_speaker(
    session: Session,
    data: StatementCreate,
    new_speaker: str | None,
    problems: dict[str, str],
) -> StatementCreate:
    """Check the name of a speaker to add; create them only once nothing else is wrong."""
    if blank_to_none(new_speaker) is None:
        return data
    problem = speaker_name_problem(new_speaker or "")
    if problem:
        problems["speaker_id"] = problem
    if problems or not data.actor_id:
        return data
    speaker = get_or_create_speaker(session, new_speaker or "", data.actor_id)
    return data.model_copy(update={"speaker_id": speaker.id})


def create_statement(
    session: Session,
    data: StatementCreate,
    *,
    user_id: int | None = None,
    status: str = StatementStatus.PENDING,
    external_key: str | None = None,
    today: date | None = None,
    new_speaker: str | None = None,
) -> StatementView:
    """Validate and store a statement with its sources; nothing is stored if anything is wrong.

    ``user_id`` is the contributor, who must be an enabled contributor, reviewer or admin;
    None only for the system (see ``tracker.permissions``). ``new_speaker`` names a speaker to
    add for the statement's actor (instead of ``speaker_id``). Flushes; the caller commits.
    """
    require_writer_or_system(session, user_id, "file statements")
    if status != StatementStatus.PENDING and user_id is not None:
        raise PermissionDenied("a new statement waits for review: it is filed as pending")
    problems = statement_problems(session, data, today=today)
    data = _with_new_speaker(session, data, new_speaker, problems)
    if problems:
        raise ValidationError(problems)
    clean = normalized_input(data)
    statement = Statement(
        **{key: getattr(clean, key) for key in CONTENT_FIELDS},
        status=status,
        contributor_id=user_id,
        external_key=external_key,
    )
    session.add(statement)
    session.flush()
    assert statement.id is not None
    for source in clean.sources:
        session.add(Source(statement_id=statement.id, **source.model_dump()))
    for news_id in clean.news_item_ids:
        session.add(StatementNewsItem(statement_id=statement.id, news_item_id=news_id))
    session.flush()
    record_revision(
        session,
        entity_type=EntityType.STATEMENT,
        entity_id=statement.id,
        action=RevisionAction.CREATE,
        snapshot=statement_snapshot(session, statement),
        user_id=user_id,
    )
    view = get_statement(session, statement.id)
    assert view is not None
    return view


def update_statement(
    session: Session,
    statement_id: int,
    data: StatementCreate,
    *,
    user_id: int,
    reason: str | None = None,
    new_speaker: str | None = None,
    base_revision_id: int | None = None,
    today: date | None = None,
) -> EditResult:
    """Change a statement: in place while pending or rejected, as a proposal once verified.

    A pending or rejected statement can be changed by its contributor or a reviewer; it is
    (again) pending afterwards. A verified one can be changed by any signed-in writer, but only
    through a proposal that a reviewer accepts (see the module's docstring); the proposal needs
    a reason. ``base_revision_id`` is the latest revision the editor saw: if the statement
    changed since, nothing is stored. Flushes; the caller commits.
    """
    user = require_role(session, user_id, WRITERS, "edit statements")
    statement = statement_for_update(session, statement_id)
    if statement.deleted_at is not None:
        raise ValidationError({"statement": "this statement was deleted; an admin can restore it"})
    actions = _actions(session, statement, user)
    verified = statement.status == StatementStatus.VERIFIED
    if not verified and not actions.edit:
        if statement.status == StatementStatus.RETRACTED:
            raise PermissionDenied(
                "a retracted statement is kept as it was; an admin can restore an earlier version"
            )
        raise PermissionDenied("only its contributor or a reviewer can edit a pending statement")
    if base_revision_id is not None and (
        latest_revision_id(session, EntityType.STATEMENT, statement_id) != base_revision_id
    ):
        raise ValidationError(
            {"statement": "someone changed this statement since you opened it: reload the page"}
        )
    if verified and _pending_edit_id(session, statement_id) is not None:
        raise ValidationError({"statement": "a change to this statement already waits for review"})

    problems = statement_problems(session, data, today=today)
    check_note(
        problems,
        "reason",
        reason,
        required="say why this change is needed: the reviewer reads it" if verified else "",
    )
    current = statement_snapshot(session, statement)
    unchanged = _content_snapshot(input_from_snapshot(current))
    if not problems and not blank_to_none(new_speaker) and _content(data) == unchanged:
        problems["statement"] = "nothing was changed"
    data = _with_new_speaker(session, data, new_speaker, problems)
    if problems:
        raise ValidationError(problems)
    clean = normalized_input(data)

    if verified:
        edit = StatementEdit(
            statement_id=statement_id,
            proposed=clean.model_dump(mode="json"),
            reason=blank_to_none(reason),
            proposed_by_id=user_id,
        )
        session.add(edit)
        session.flush()
        assert edit.id is not None
        record_revision(
            session,
            entity_type=EntityType.STATEMENT,
            entity_id=statement_id,
            action=RevisionAction.PROPOSE,
            snapshot={**current, **_content_snapshot(clean), "edit_id": edit.id},
            user_id=user_id,
            reason=blank_to_none(reason),
        )
        view = get_statement(session, statement_id)
        assert view is not None
        return EditResult(statement=view, applied=False, edit_id=edit.id)

    _write_content(session, statement, clean)
    statement.status = StatementStatus.PENDING
    statement.reviewer_id = None
    statement.review_note = None
    statement.reviewed_at = None
    session.add(statement)
    session.flush()
    record_revision(
        session,
        entity_type=EntityType.STATEMENT,
        entity_id=statement_id,
        action=RevisionAction.EDIT,
        snapshot=statement_snapshot(session, statement),
        user_id=user_id,
        reason=blank_to_none(reason),
    )
    view = get_statement(session, statement_id)
    assert view is not None
    return EditResult(statement=view, applied=True)


def _pending_edit_id(session: Session, statement_id: int) -> int | None:
    return session.exec(
        select(StatementEdit.id).where(
            StatementEdit.statement_id == statement_id,
            StatementEdit.status == EditStatus.PENDING,
        )
    ).first()


def apply_proposal(session: Session, statement: Statement, proposed: dict[str, Any]) -> None:
    """Replace the content of ``statement`` with a stored proposal, re-checking every rule
    (the topic's scale may have changed since it was proposed). Used by ``tracker.review``."""
    data = input_from_snapshot(proposed)
    problems = statement_problems(session, data)
    if problems:
        raise ValidationError(problems)
    _write_content(session, statement, normalized_input(data))


def retract_statement(
    session: Session,
    statement_id: int,
    *,
    user_id: int,
    note: str,
    successor_id: int | None = None,
) -> StatementView:
    """Mark a statement retracted (withdrawn by its speaker, or shown not to have been made).

    It stays readable at its permalink, off the timeline, with the note and an optional link
    to the statement that replaced it.
    """
    user = require_role(session, user_id, REVIEWERS, "retract statements")
    statement = statement_for_update(session, statement_id)
    if not _actions(session, statement, user).retract:
        raise ValidationError(
            {"statement": f"a {statement.status} or deleted statement cannot be retracted"}
        )
    problems: dict[str, str] = {}
    check_note(problems, "note", note, required="say why it is retracted")
    if successor_id is not None:
        _check_successor(session, statement, successor_id, problems)
    if problems:
        raise ValidationError(problems)
    statement.status = StatementStatus.RETRACTED
    statement.review_note = blank_to_none(note)
    statement.reviewer_id = user_id
    statement.reviewed_at = utcnow()
    if successor_id is not None:
        statement.superseded_by_id = successor_id
    return _mark(session, statement, RevisionAction.RETRACT, user_id, note)


def supersede_statement(
    session: Session,
    statement_id: int,
    successor_id: int,
    *,
    user_id: int,
    note: str | None = None,
) -> StatementView:
    """Mark a statement superseded by a newer one of the same actor on the same topic; it
    keeps its status and stays readable, linked to its successor."""
    user = require_role(session, user_id, REVIEWERS, "mark statements superseded")
    statement = statement_for_update(session, statement_id)
    if not _actions(session, statement, user).supersede:
        raise ValidationError(
            {"statement": f"a {statement.status} or deleted statement cannot be superseded"}
        )
    problems: dict[str, str] = {}
    _check_successor(session, statement, successor_id, problems)
    check_note(problems, "note", note)
    if problems:
        raise ValidationError(problems)
    statement.superseded_by_id = successor_id
    return _mark(session, statement, RevisionAction.SUPERSEDE, user_id, note)


def _check_successor(
    session: Session, statement: Statement, successor_id: int, problems: dict[str, str]
) -> None:
    successor = session.get(Statement, successor_id)
    if successor is None or successor.deleted_at is not None:
        problems["successor_id"] = f"there is no statement #{successor_id}"
    elif successor.id == statement.id:
        problems["successor_id"] = "a statement cannot supersede itself"
    elif (successor.actor_id, successor.topic_id) != (statement.actor_id, statement.topic_id):
        problems["successor_id"] = "the successor must be by the same actor on the same topic"
    elif successor.status == StatementStatus.REJECTED:
        problems["successor_id"] = "the successor was rejected"
    else:
        seen = {statement.id}
        step: Statement | None = successor
        while step is not None and step.superseded_by_id is not None:
            if step.superseded_by_id in seen:
                problems["successor_id"] = "that would make a loop of successors"
                return
            seen.add(step.superseded_by_id)
            step = session.get(Statement, step.superseded_by_id)


def _mark(
    session: Session, statement: Statement, action: str, user_id: int, reason: str | None
) -> StatementView:
    assert statement.id is not None
    statement.updated_at = utcnow()
    session.add(statement)
    session.flush()
    record_revision(
        session,
        entity_type=EntityType.STATEMENT,
        entity_id=statement.id,
        action=action,
        snapshot=statement_snapshot(session, statement),
        user_id=user_id,
        reason=blank_to_none(reason),
    )
    view = get_statement(session, statement.id, include_deleted=True)
    assert view is not None
    return view


def delete_statement(
    session: Session, statement_id: int, *, user_id: int, reason: str
) -> StatementView:
    """Soft-delete: the row stays, hidden from every list; an admin can restore it.

    Admins can delete any statement; a contributor their own while pending or rejected.
    """
    user = require_role(session, user_id, WRITERS, "delete statements")
    statement = statement_for_update(session, statement_id)
    if statement.deleted_at is not None:
        raise ValidationError({"statement": "this statement is already deleted"})
    if not _actions(session, statement, user).delete:
        raise PermissionDenied(
            "only an admin, or its contributor while it is pending, can delete a statement"
        )
    problems: dict[str, str] = {}
    check_note(problems, "reason", reason, required="say why it is deleted")
    if problems:
        raise ValidationError(problems)
    statement.deleted_at = utcnow()
    return _mark(session, statement, RevisionAction.DELETE, user_id, reason)


def restore_statement(
    session: Session,
    statement_id: int,
    *,
    user_id: int,
    reason: str,
    revision_id: int | None = None,
) -> StatementView:
    """Admin only: bring back the version of ``revision_id`` (default: the latest applied
    one, which undoes a delete). Content, status and review come back as they were in that
    version; the statement is no longer deleted. The version must still pass every rule."""
    require_role(session, user_id, ADMINS, "restore statements")
    statement = statement_for_update(session, statement_id)
    if revision_id is None:
        revision_id = session.exec(
            select(Revision.id)
            .where(
                Revision.entity_type == EntityType.STATEMENT,
                Revision.entity_id == statement_id,
                Revision.action != RevisionAction.PROPOSE,
            )
            .order_by(col(Revision.id).desc())
            .limit(1)
        ).first()
    revision = (
        get_revision(session, EntityType.STATEMENT, statement_id, revision_id)
        if revision_id is not None
        else None
    )
    problems: dict[str, str] = {}
    if revision is None:
        problems["revision_id"] = "no such version of this statement"
    elif revision.action == RevisionAction.PROPOSE:
        problems["revision_id"] = "that is a proposed change, never applied: choose a version"
    check_note(problems, "reason", reason, required="say why you restore it")
    if problems or revision is None:
        raise ValidationError(problems)
    snapshot = revision.snapshot
    try:
        data = input_from_snapshot(snapshot)
    except PydanticValidationError:
        raise ValidationError({"revision_id": "that version cannot be read back"}) from None
    content_problems = statement_problems(session, data)
    if content_problems:
        raise ValidationError(
            {
                "revision_id": "that version breaks today's rules: "
                + "; ".join(f"{k}: {v}" for k, v in content_problems.items())
            }
        )
    _write_content(session, statement, normalized_input(data))
    statement.status = snapshot.get("status") or StatementStatus.PENDING
    statement.reviewer_id = snapshot.get("reviewer_id")
    statement.review_note = snapshot.get("review_note")
    reviewed_at = snapshot.get("reviewed_at")
    statement.reviewed_at = datetime.fromisoformat(reviewed_at) if reviewed_at else None
    successor = snapshot.get("superseded_by_id")
    if successor is not None and session.get(Statement, successor) is None:
        successor = None
    statement.superseded_by_id = successor
    statement.deleted_at = None
    return _mark(
        session,
        statement,
        RevisionAction.RESTORE,
        user_id,
        f"restored version #{revision.id}: {blank_to_none(reason)}",
    )

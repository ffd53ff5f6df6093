"""proposed edits of verified statements; more revision actions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:00:00

- ``statement_edit``: a change to a verified statement waits here for a reviewer, so the
  verified version stays what everyone sees until the change is accepted.
- ``revision.action`` also accepts ``propose``, ``retract`` and ``supersede``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ACTIONS = "action IN ('create', 'edit', 'review', 'delete', 'restore')"
NEW_ACTIONS = (
    "action IN ('create', 'edit', 'review', 'delete', 'restore', 'propose', 'retract', 'supersede')"
)


def _revision_table(actions: str) -> sa.Table:
    """The revision table as 0001 created it, with the given action rule (for batch copies:
    SQLite cannot alter a CHECK constraint, so the table is rebuilt from this definition)."""
    return sa.Table(
        "revision",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=12), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.CheckConstraint(actions, name="ck_revision_action"),
        sa.CheckConstraint(
            "entity_type IN ('statement', 'event', 'topic')", name="ck_revision_entity_type"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_revision_entity", "entity_type", "entity_id", "id"),
    )


def _set_actions(rule: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Rebuild the table from the full definition: copies the rows, keeps the index.
        with op.batch_alter_table("revision", copy_from=_revision_table(rule), recreate="always"):
            pass
    else:
        op.drop_constraint("ck_revision_action", "revision", type_="check")
        op.create_check_constraint("ck_revision_action", "revision", rule)


def upgrade() -> None:
    op.create_table(
        "statement_edit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.String(length=2000), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'rejected', 'withdrawn')",
            name="ck_statement_edit_status",
        ),
        sa.ForeignKeyConstraint(["statement_id"], ["statement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["proposed_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["reviewer_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("statement_edit", schema=None) as batch_op:
        batch_op.create_index(
            "ix_statement_edit_status_proposed", ["status", "proposed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_statement_edit_statement_id"), ["statement_id"], unique=False
        )
    _set_actions(NEW_ACTIONS)


def downgrade() -> None:
    op.execute("DELETE FROM revision WHERE action IN ('propose', 'retract', 'supersede')")
    _set_actions(OLD_ACTIONS)
    with op.batch_alter_table("statement_edit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_edit_statement_id"))
        batch_op.drop_index("ix_statement_edit_status_proposed")
    op.drop_table("statement_edit")

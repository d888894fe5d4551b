"""campaigns: push campaigns and their outbox of one delivery row per member

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CAMPAIGN_STATUSES = "status IN ('draft', 'scheduled', 'running', 'paused', 'cancelled', 'done')"
CAMPAIGN_KINDS = "kind IN ('survey', 'announcement')"
DELIVERY_STATUSES = (
    "status IN ('queued', 'claimed', 'sending', 'sent', 'delivered', 'read', 'failed', 'skipped', 'unknown')"
)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=True),
        sa.Column("survey_slug", sa.String(length=64), nullable=True),
        sa.Column("message_text", sa.Text(), nullable=False),
        sa.Column("unit_ids", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(CAMPAIGN_STATUSES, name=op.f("ck_campaigns_status_known")),
        sa.CheckConstraint(CAMPAIGN_KINDS, name=op.f("ck_campaigns_kind_known")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff.id"],
            name=op.f("fk_campaigns_created_by_id_staff"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_campaigns_survey_id_surveys"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index("ix_campaigns_status_scheduled_at", ["status", "scheduled_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaigns_survey_id"), ["survey_id"], unique=False)

    op.create_table(
        "campaign_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("recipient_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("error_message", sa.String(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sending_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("platform_message_id", sa.String(length=128), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(DELIVERY_STATUSES, name=op.f("ck_campaign_deliveries_status_known")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_deliveries_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_campaign_deliveries_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_deliveries")),
        sa.UniqueConstraint("campaign_id", "member_id", name="uq_campaign_deliveries_campaign_member"),
    )
    with op.batch_alter_table("campaign_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_deliveries_claim", ["status", "channel", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "ix_campaign_deliveries_campaign_status", ["campaign_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_campaign_deliveries_member_id"), ["member_id"], unique=False)
        batch_op.create_index(
            "ix_campaign_deliveries_platform_message_id", ["platform_message_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_deliveries_platform_message_id")
        batch_op.drop_index(batch_op.f("ix_campaign_deliveries_member_id"))
        batch_op.drop_index("ix_campaign_deliveries_campaign_status")
        batch_op.drop_index("ix_campaign_deliveries_claim")
    op.drop_table("campaign_deliveries")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_survey_id"))
        batch_op.drop_index("ix_campaigns_status_scheduled_at")
    op.drop_table("campaigns")

"""Face collections (Rekognition's, and the KYC enrolment of approved sessions) and their faces: a descriptor,
box and confidence per face, never the image; a collection's `revision` counts its writes; and which approved
sessions were looked at for enrolment.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db.schema import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "face_collections",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("model_version", sa.String(32), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "faces",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("collection_id", sa.String(255), nullable=False),
        sa.Column("image_id", sa.String(40), nullable=False),
        sa.Column("external_image_id", sa.String(255), nullable=False, server_default=""),
        sa.Column("session_id", sa.String(40), sa.ForeignKey("sessions.id", ondelete="CASCADE")),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("box_width", sa.Float, nullable=False),
        sa.Column("box_height", sa.Float, nullable=False),
        sa.Column("box_left", sa.Float, nullable=False),
        sa.Column("box_top", sa.Float, nullable=False),
        sa.Column("descriptor", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_faces_session_id", "faces", ["session_id"])
    op.create_table(
        "face_enrolments",
        sa.Column("session_id", sa.String(40), sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("face_id", sa.String(40)),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_faces_collection", "faces", ["tenant", "collection_id", "id"])


def downgrade() -> None:
    op.drop_table("face_enrolments")
    op.drop_table("faces")
    op.drop_table("face_collections")

"""signing keys' private halves sealed at rest

Revision ID: 0002
Revises: 0001
"""
import json

import sqlalchemy as sa
from alembic import op

from services.identity.sealing import open_sealed, seal

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _rewrite(source: str, target: str, convert) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text(f"SELECT kid, {source} FROM signing_keys WHERE {source} IS NOT NULL")).all()
    for kid, value in rows:
        connection.execute(sa.text(f"UPDATE signing_keys SET {target} = :value WHERE kid = :kid"),
                           {"value": convert(value), "kid": kid})


def upgrade() -> None:
    with op.batch_alter_table("signing_keys") as batch:
        batch.add_column(sa.Column("private_jwk_sealed", sa.Text(), nullable=True))
    # A JSON column reads back as text on SQLite and as an object on PostgreSQL.
    _rewrite("private_jwk", "private_jwk_sealed", lambda value: seal(json.loads(value) if isinstance(value, str)
                                                                     else value))
    with op.batch_alter_table("signing_keys") as batch:
        batch.drop_column("private_jwk")
        batch.alter_column("private_jwk_sealed", new_column_name="private_jwk")


def downgrade() -> None:
    with op.batch_alter_table("signing_keys") as batch:
        batch.add_column(sa.Column("private_jwk_plain", sa.JSON(), nullable=True))
    _rewrite("private_jwk", "private_jwk_plain", lambda value: json.dumps(open_sealed(value)))
    with op.batch_alter_table("signing_keys") as batch:
        batch.drop_column("private_jwk")
        batch.alter_column("private_jwk_plain", new_column_name="private_jwk")

from services.webhooks.db import metadata
from shared.db import run_migrations_from_env

run_migrations_from_env(metadata)

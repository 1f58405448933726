from services.identity.db import metadata
from shared.db import run_migrations_from_env

run_migrations_from_env(metadata)

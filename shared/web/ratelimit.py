"""Rate limits per caller, counted in the service's database."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import delete

from shared import auth
from shared.web.errors import error_body

if TYPE_CHECKING:
    from shared.web.context import ServiceContext


# --- rate limits ---------------------------------------------------------------------------------
def _register_rate_limit(app: Flask, ctx: ServiceContext, limit: int) -> None:
    """A fixed one-minute window per caller, counted in the service's database so that every gunicorn
    worker and every host shares it (one upsert per request)."""
    table = ctx.metadata.tables["rate_limit_hits"]
    upsert: Callable[..., Any]  # both dialects' INSERT ... ON CONFLICT builders
    if ctx.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert

    @app.before_request
    def _limit() -> ResponseReturnValue | None:
        if request.path in ("/healthz", "/readyz", "/metrics"):
            return None
        caller = _caller()
        now = time.time()
        window = int(now // 60)
        statement = upsert(table).values(bucket=caller, window_start=window, hits=1)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.bucket, table.c.window_start], set_={"hits": table.c.hits + 1}
        ).returning(table.c.hits)
        with ctx.engine.begin() as connection:
            hits = connection.execute(statement).scalar_one()
            if hits == 1 and window % 5 == 0:  # now and then, forget old windows
                connection.execute(delete(table).where(table.c.window_start < window - 1))
        if hits > limit:
            response = jsonify(error_body(429, f"Too many requests: at most {limit} a minute. Try again later."))
            response.status_code = 429
            response.headers["Retry-After"] = str(max(1, int(60 - now % 60)))
            return response
        return None


def _caller() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        try:
            principal = auth.verify_token(token.strip())
            return principal.actor[:300]
        except auth.InvalidToken:
            pass
    return f"ip:{request.remote_addr}"

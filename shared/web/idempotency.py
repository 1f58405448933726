"""Idempotency-Key: the first answer to a POST is stored and replayed."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, make_response, request
from flask_smorest import abort
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from shared import auth, idempotency
from shared.web.context import context


# --- idempotency ---------------------------------------------------------------------------------
def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Make a POST safe to retry: with an `Idempotency-Key` header, the first answer is stored and a
    retry with the same key and body gets it again without doing the work twice.

    The key is claimed in its own transaction before the work starts (a concurrent retry gets 409), and
    released again if the work fails, so that a retry after a 4xx or 5xx does the work afresh. A stored
    answer lives shared.config.idempotency_ttl() (24 hours); see shared.idempotency.
    """
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 200:
            abort(400, message="Idempotency-Key must be 1 to 200 characters.")
        principal = auth.current_principal()
        scope = f"{principal.actor}:{request.method}:{request.path}"[:300]
        digest = hashlib.sha256(request.get_data()).hexdigest()
        table = context().metadata.tables["idempotency_keys"]
        engine = context().engine
        where = (table.c.scope == scope) & (table.c.key == key)
        with engine.begin() as connection:
            stored = connection.execute(select(table).where(where)).first()
            if stored is not None and idempotency.is_expired(stored.created_at):
                connection.execute(delete(table).where(where))  # outlived its lifetime: start afresh
                stored = None
        if stored is not None:
            if stored.request_hash != digest:
                abort(422, message="This Idempotency-Key was used with a different request body.")
            if stored.status_code is None:
                abort(409, message="A request with this Idempotency-Key is still in progress.")
            replay = Response(stored.body, status=stored.status_code, mimetype="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            with engine.begin() as connection:
                connection.execute(insert(table).values(scope=scope, key=key, request_hash=digest,
                                                        created_at=datetime.now(timezone.utc)))
        except IntegrityError:
            abort(409, message="A request with this Idempotency-Key is still in progress.")
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            with engine.begin() as connection:
                connection.execute(delete(table).where(where))
            raise
        with engine.begin() as connection:
            if response.status_code >= 400:
                connection.execute(delete(table).where(where))
            else:
                connection.execute(update(table).where(where).values(
                    status_code=response.status_code, body=response.get_data(as_text=True)))
        return response

    return wrapper


def json_dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)

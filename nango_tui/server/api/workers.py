"""Our addition: `GET /workers`, for monitoring: the processes that run syncs and the queue's depth.

Workers serve every environment, so any environment's key may read this; it names no host, pid,
connection or record.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..storage import environments as envs
from ..storage import workers as worker_store
from .common import authed, db


def _queued(conn: sa.Connection) -> dict[str, int]:
    """Workflows waiting (ENQUEUED) and running (PENDING) in DBOS's tables, when they are here."""
    if conn.dialect.name != "postgresql":
        return {}
    rows = conn.execute(
        sa.text(
            "SELECT status, count(*) FROM dbos.workflow_status"
            " WHERE status IN ('ENQUEUED', 'PENDING') GROUP BY status"
        )
    ).all()
    return {status.lower(): count for status, count in rows}


@authed
async def list_workers(request: Request, env: envs.Environment) -> Response:
    def read(conn: sa.Connection) -> tuple[Any, Any]:
        return worker_store.listing(conn), _queued(conn)

    listed, queued = await db(request, read)
    return JSONResponse(
        {
            "workers": [
                {
                    "id": w.executor_id,
                    "kind": w.kind,
                    "version": w.version,
                    "concurrency": w.concurrency,
                    "running": w.running,
                    "started_at": w.started_at,
                    "last_beat_seconds_ago": round(w.age, 1),
                }
                for w in listed
            ],
            "workflows": {"enqueued": queued.get("enqueued", 0), "pending": queued.get("pending", 0)},
        }
    )

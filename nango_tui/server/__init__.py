"""The runtime server: `serve` (Nango's public API over deployed scripts), `deploy` and
`connections push` (its clients).

Layout (see DEVELOPERS.md "The server"):
- `schema.py` + `migrations/` (Alembic): the tables, SQLAlchemy Core, portable to PostgreSQL;
- `storage/`: one module per concern (environments, deployments, connections, syncs, records);
- `engine.py`: the only module that imports DBOS (queue, dedup, recovery, the tick);
- `runs.py`: one sync or action run, in a child process through `nango_tui.dryrun`;
- `api/`: the Starlette app (Nango's routes, auth, error shapes);
- `serve.py`: the `serve` command; `client/`: `deploy` and `connections push`.

Nothing outside `cli.py` imports this part; the workbench reaches a server over HTTP only.
"""

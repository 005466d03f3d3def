"""runtime part: HTTP (httpx), auth, providers, retries, record/replay, connections (see DEVELOPERS.md).

Entry points: `context.RunContext`, `connections.get_connection/list_connections`,
`recording.Recorder/Replayer/load_mocks/write_mocks/mocks_path`, `errors.*`.
"""

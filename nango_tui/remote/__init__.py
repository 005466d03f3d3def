"""A client of a runtime server (`nango-tui serve`, or anything speaking Nango's API) over HTTP.

`http.py`: where the server is and which key opens an environment (Nango CLI's rules);
`api.py`: the typed calls the workbench makes (pydantic bodies at the boundary);
`deploy.py`: the deploy body and its confirmation wording, and `nango-tui deploy`;
`push.py`: `nango-tui connections push`. Both the CLI and the workbench import this part;
it never imports `server` (the workbench reaches a server over HTTP only).
"""

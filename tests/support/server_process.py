"""`nango-tui serve` / `worker` as a real child process for tests and benchmarks.

SQLite in a temp folder by default; `database=` a PostgreSQL URL (see support/postgres.py).

with ServerProcess(tmp_path / "data") as server:
    server.get("/records", key="dev", headers={...})     # httpx.Response
    server.kill9(); server.start()                         # crash and restart on the same data
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support import warm_cli

DEV_KEY = "test-dev-key-0001"
PROD_KEY = "test-prod-key-0002"
REPO = Path(__file__).resolve().parents[2]


_engines: dict[str, Any] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        env: dict[str, str] | None = None,
        database: str | None = None,
        worker_id: str | None = None,
        concurrency: int | None = None,
        kind: str = "serve",
        args: list[str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.database = database
        self.worker_id = worker_id
        self.concurrency = concurrency
        self.kind = kind
        self.args = list(args or [])
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.keys = {"dev": DEV_KEY, "prod": PROD_KEY}
        self.env = {
            **os.environ,
            "NANGO_SECRET_KEY_DEV": DEV_KEY,
            "NANGO_SECRET_KEY_PROD": PROD_KEY,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.proc: subprocess.Popen | None = None
        self.output = ""
        self.ready_seconds = 0.0
        self.ready_cpu_seconds = 0.0

    def start(self, timeout: float = 30.0) -> ServerProcess:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir.parent / f"{self.kind}-{self.worker_id or self.port}.log", "ab")
        self.log_path = Path(log.name)
        started = time.perf_counter()
        args = [sys.executable, "-m", "nango_tui", self.kind, "--data", str(self.data_dir)]
        if self.kind == "serve":
            args += ["--port", str(self.port)]
        if self.database:
            args += ["--database", self.database]
        if self.worker_id:
            args += ["--id", self.worker_id]
        if self.concurrency:
            args += ["--concurrency", str(self.concurrency)]
        args += self.args
        self.proc = warm_cli.popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=str(self.data_dir.parent),
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited {self.proc.returncode}: {self.log_path.read_text()}")
            if self.kind == "worker":
                if "running syncs from" in self.log_path.read_text():
                    self.ready_seconds = time.perf_counter() - started
                    return self
                time.sleep(0.05)
                continue
            try:
                httpx.get(self.url + "/environment", timeout=1)
                self.ready_seconds = time.perf_counter() - started
                self.ready_cpu_seconds = self._cpu_seconds()
                return self
            except httpx.HTTPError:
                time.sleep(0.02)
        raise RuntimeError(f"serve did not answer within {timeout}s: {self.log_path.read_text()}")

    def _cpu_seconds(self) -> float:
        """CPU time the server process used so far (user + system), from /proc."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    def sql(self, query: str, **params: Any) -> list[tuple]:
        """Rows of `query` on the server's database (SQLite file or PostgreSQL)."""
        import sqlalchemy as sa

        url = self.database or f"sqlite:///{self.data_dir / 'nango.db'}"
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            result = conn.execute(sa.text(query), params)
            return [tuple(row) for row in result] if result.returns_rows else []

    def headers(self, key: str = "dev", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys.get(key, key)}", **extra}

    def request(
        self, method: str, path: str, key: str = "dev", headers: dict | None = None, **kw: Any
    ) -> httpx.Response:
        return httpx.request(
            method, self.url + path, headers=self.headers(key, **(headers or {})), timeout=60, **kw
        )

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def client_env(self, environment: str = "dev") -> dict[str, str]:
        """The environment for `nango-tui deploy` / `connections push` against this server."""
        return {
            **os.environ,
            "NANGO_HOSTPORT": self.url,
            f"NANGO_SECRET_KEY_{environment.upper()}": self.keys[environment],
        }

    def cli(
        self, *args: str, environment: str = "dev", cwd: Path | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        return warm_cli.run(
            [sys.executable, "-m", "nango_tui", *args],
            env=self.client_env(environment),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            cwd=str(cwd) if cwd else None,
            timeout=timeout,
        )

    def wait_for(self, predicate, timeout: float = 60.0, what: str = "the condition") -> Any:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(0.1)
        raise AssertionError(
            f"timed out waiting for {what}; server log:\n{self.log_path.read_text()[-3000:]}"
        )

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

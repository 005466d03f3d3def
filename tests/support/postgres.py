"""A throw-away PostgreSQL cluster for tests and benchmarks (Debian's postgresql 15 binaries).

    cluster = PostgresCluster.start()      # initdb in a temporary folder, postgres on a free port
    url = cluster.new_database()           # postgresql+psycopg://postgres@127.0.0.1:PORT/nt_3
    cluster.restart(down_seconds=3)        # stop (fast), wait, start again: a database restart
    cluster.stop()                         # and the folder is removed

initdb and postgres refuse to run as root: as root they run as the `postgres` OS user (runuser),
in a folder that user owns. Without the binaries, `available()` is False and the tests skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BIN_DIRS = [Path(os.environ.get("NANGO_TUI_PG_BIN", "/usr/lib/postgresql/15/bin"))]
BIN_DIRS += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def bin_dir() -> Path | None:
    for folder in BIN_DIRS:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def available() -> bool:
    if bin_dir() is None:
        return False
    if os.geteuid() == 0:
        return shutil.which("runuser") is not None and _user_exists("postgres")
    return True


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.bin = bin_dir()
        self._databases = 0

    @classmethod
    def start(cls) -> PostgresCluster:
        folder = Path(tempfile.mkdtemp(prefix="nango-tui-pg-"))
        cluster = cls(folder, _free_port())
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        cluster._run(
            "initdb", "-D", str(folder / "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"
        )
        cluster.start_server()
        return cluster

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, cwd=self.folder, timeout=120)

    def start_server(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
            " -c shared_buffers=64MB"
        )
        result = self._run(
            "pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"), "-w", "-o", options,
            "start", check=False,
        )  # fmt: skip
        if result.returncode != 0:
            log = (self.folder / "log").read_text() if (self.folder / "log").exists() else ""
            raise RuntimeError(f"postgres did not start: {result.stderr}\n{log[-2000:]}")

    def stop_server(self, mode: str = "fast") -> None:
        self._report_cpu()
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", mode, "-w", "stop", check=False)

    def _report_cpu(self) -> None:
        """The daemon's CPU (its own and its reaped backends') to the suite's CPU profile, if on."""
        from tests.support import cpu_profile

        if not os.environ.get(cpu_profile.ENV):
            return
        try:
            pid = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        except (OSError, IndexError, ValueError):
            return
        cpu_profile.record("postgres (daemon)", ticks / os.sysconf("SC_CLK_TCK"))

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop_server()
        time.sleep(down_seconds)
        self.start_server()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        self._databases += 1
        name = f"nt_{os.getpid()}_{self._databases}"
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
             "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr}")
        return result.stdout

    def stop(self) -> None:
        self.stop_server("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

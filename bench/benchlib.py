"""Shared pieces of the Python benchmarks (bench/latency, bench/faults); standard library only.

- `PgWire`: a tiny blocking PostgreSQL client (simple-query protocol, trust authentication), so a
  writer can time the moment its COMMIT returns without a psql pipe in between.
- `HTTPConnection` / `ShapeFollower`: an asyncio HTTP/1.1 keep-alive client and a follower of one
  shape that speaks ElectricSQL's long-poll protocol: `offset=-1`, then `handle`/`offset` from
  `electric-handle`/`electric-offset`, `live=true` (with `cursor`) once `up-to-date` was seen; a 409
  or `must-refetch` throws the rows away and restarts from `-1` with the new handle; 5xx/429 and
  connection errors are retried (after `retry-after` when given).
- `Cluster`: a throwaway PostgreSQL 15 (scripts/pg-start) and Conduit's three processes.
"""

import asyncio
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def log(prefix, message):
    print(f"{prefix}: {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# PostgreSQL


class PgError(Exception):
    """An ErrorResponse from the server (the connection stays usable)."""


class PgWire:
    """A blocking connection speaking the simple-query protocol (trust auth only)."""

    def __init__(self, host, port, user="postgres", database="postgres", timeout=30.0):
        if host.startswith("/"):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(f"{host}/.s.PGSQL.{port}")
        else:
            self.sock = socket.create_connection((host, port), timeout=timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        body = struct.pack("!i", 196608)
        for key, value in (("user", user), ("database", database), ("application_name", "conduit-bench")):
            body += key.encode() + b"\0" + value.encode() + b"\0"
        body += b"\0"
        self.sock.sendall(struct.pack("!i", len(body) + 4) + body)
        while True:
            kind, payload = self._message()
            if kind == b"R" and struct.unpack("!i", payload[:4])[0] != 0:
                raise PgError("the bench cluster must use trust authentication")
            if kind == b"E":
                raise PgError(self._error_text(payload))
            if kind == b"Z":
                break

    def _read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("PostgreSQL closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _message(self):
        header = self._read(5)
        length = struct.unpack("!i", header[1:])[0]
        return header[:1], self._read(length - 4)

    @staticmethod
    def _error_text(payload):
        fields = {}
        for part in payload.split(b"\0"):
            if part:
                fields[part[:1]] = part[1:].decode(errors="replace")
        return f"{fields.get(b'S', 'ERROR')}: {fields.get(b'M', '?')} ({fields.get(b'C', '')})"

    def query(self, sql):
        """Runs `sql` (one or more statements); returns the rows of the last result as lists of
        str/None. Raises PgError after the server is ready again."""
        data = sql.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack("!i", len(data) + 4) + data)
        rows, error = [], None
        while True:
            kind, payload = self._message()
            if kind == b"T":
                rows = []
            elif kind == b"D":
                count = struct.unpack("!h", payload[:2])[0]
                position, row = 2, []
                for _ in range(count):
                    size = struct.unpack("!i", payload[position:position + 4])[0]
                    position += 4
                    if size < 0:
                        row.append(None)
                    else:
                        row.append(payload[position:position + size].decode())
                        position += size
                rows.append(row)
            elif kind == b"E":
                error = PgError(self._error_text(payload))
            elif kind == b"Z":
                if error:
                    raise error
                return rows

    def value(self, sql):
        rows = self.query(sql)
        return rows[0][0] if rows else None

    def close(self):
        try:
            self.sock.sendall(b"X\0\0\0\4")
        except OSError:
            pass
        self.sock.close()


# ---------------------------------------------------------------------------------------------
# HTTP


class HTTPResponse:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body


class HTTPConnection:
    """One keep-alive HTTP/1.1 connection (reopened when it breaks); one request at a time."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def get(self, path, timeout):
        return await self.request("GET", path, timeout)

    async def request(self, method, path, timeout):
        try:
            return await asyncio.wait_for(self._request(method, path), timeout)
        except BaseException:
            self.close()
            raise

    async def _request(self, method, path):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                        pass
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        elif "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:
            body = await self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return HTTPResponse(status, headers, body)

    def close(self):
        if self.writer is not None:
            try:
                self.writer.close()
            except Exception:  # noqa: BLE001 - closing a broken socket
                pass
        self.reader = self.writer = None


class ShapeFollower:
    """Follows one shape; `rows` maps each key to its column -> text (or None) dict."""

    def __init__(self, host, port, params, on_change=None, request_timeout=60.0):
        self.connection = HTTPConnection(host, port)
        self.params = list(params)
        self.on_change = on_change
        self.request_timeout = request_timeout
        self.rows = {}
        self.handle = None
        self.offset = "-1"
        self.cursor = None
        self.up_to_date = False
        self.refetches = 0        # 409 or must-refetch
        self.retries = 0          # 5xx / 429 answers
        self.connection_errors = 0
        self.requests = 0
        self.last_error = None
        self.stopped = False

    def path(self):
        params = list(self.params) + [("offset", self.offset)]
        if self.offset != "-1" and self.handle:
            params.append(("handle", self.handle))
        if self.up_to_date:
            params.append(("live", "true"))
            if self.cursor:
                params.append(("cursor", self.cursor))
        return "/v1/shape?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)

    def restart(self, handle):
        self.rows = {}
        self.handle = handle
        self.offset = "-1"
        self.cursor = None
        self.up_to_date = False
        self.refetches += 1

    async def step(self):
        """One request and its effect. Returns after any back-off the answer asked for."""
        self.requests += 1
        try:
            response = await self.connection.get(self.path(), self.request_timeout)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ValueError) as error:
            self.connection_errors += 1
            self.last_error = f"{type(error).__name__}: {error}"
            await asyncio.sleep(0.2 + random.random() * 0.3)
            return
        if response.status == 200:
            messages = json.loads(response.body) if response.body else []
            up_to_date = False
            for message in messages:
                headers = message.get("headers", {})
                if "key" in message:
                    operation = headers.get("operation")
                    key, value = message["key"], message.get("value", {})
                    if operation == "insert":
                        self.rows[key] = dict(value)
                    elif operation == "update":
                        self.rows.setdefault(key, {}).update(value)
                    elif operation == "delete":
                        self.rows.pop(key, None)
                    if self.on_change is not None:
                        self.on_change(self, operation, key, value)
                    up_to_date = False
                elif headers.get("control") == "must-refetch":
                    self.restart(response.headers.get("electric-handle"))
                    return
                elif headers.get("control") == "up-to-date":
                    up_to_date = True
            self.handle = response.headers.get("electric-handle", self.handle)
            self.offset = response.headers.get("electric-offset", self.offset)
            self.cursor = response.headers.get("electric-cursor", self.cursor)
            self.up_to_date = up_to_date or "electric-up-to-date" in response.headers
        elif response.status == 204:
            self.up_to_date = True
        elif response.status == 409:
            self.restart(response.headers.get("electric-handle"))
        elif response.status == 429 or response.status >= 500:
            self.retries += 1
            self.last_error = f"HTTP {response.status}: {response.body[:200]!r}"
            try:
                delay = float(response.headers.get("retry-after", "1"))
            except ValueError:
                delay = 1.0
            await asyncio.sleep(min(max(delay, 0.1), 5.0) * (0.5 + random.random()))
        else:
            raise RuntimeError(f"unexpected HTTP {response.status} for {self.path()}: {response.body[:300]!r}")

    async def run(self):
        while not self.stopped:
            await self.step()

    async def sync_until_up_to_date(self, deadline):
        while not self.up_to_date:
            if time.monotonic() > deadline:
                raise TimeoutError(f"shape {self.params} not up to date in time (last error: {self.last_error})")
            await self.step()

    def close(self):
        self.stopped = True
        self.connection.close()


# ---------------------------------------------------------------------------------------------
# Processes


def as_postgres(command):
    return ["runuser", "-u", "postgres", "--"] + command if os.getuid() == 0 else command


class Cluster:
    """PostgreSQL (scripts/pg-start --dir <root>/pg) and ingest, router, serve on <root>/data."""

    PROCESSES = ("ingest", "router", "serve")

    def __init__(self, root, pg_port, http_port, bin_dir=None, storage_dir=None, extra_env=None, prefix="bench"):
        self.root = Path(root)
        self.pg_dir = self.root / "pg"
        self.pg_port = pg_port
        self.http_port = http_port
        self.bin_dir = Path(bin_dir) if bin_dir else REPO / ".build/release"
        self.storage = Path(storage_dir) if storage_dir else self.root / "data"
        self.logs = self.root / "logs"
        self.extra_env = dict(extra_env or {})
        self.prefix = prefix
        self.processes = {}
        self.log_files = {}

    # PostgreSQL

    def pg_start(self):
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        out = subprocess.run(
            [str(REPO / "scripts/pg-start"), "--quiet", "--dir", str(self.pg_dir), "--port", str(self.pg_port)],
            capture_output=True, text=True,
        )
        if out.returncode != 0:
            raise RuntimeError(f"scripts/pg-start failed:\n{out.stderr}")

    def pg_ctl(self, *args, check=True):
        return subprocess.run(
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.pg_dir / "data")] + list(args)),
            capture_output=True, text=True, check=check, cwd="/",
        )

    def pg_stop_immediate(self):
        self.pg_ctl("-m", "immediate", "-w", "stop", check=False)

    def pg_start_again(self):
        out = self.pg_ctl("-l", str(self.pg_dir / "server.log"), "-w", "-t", "120", "start", check=False)
        if out.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {out.stdout} {out.stderr}")

    def pg_stop(self):
        subprocess.run([str(REPO / "scripts/pg-stop"), "--dir", str(self.pg_dir)], capture_output=True)

    def pg(self):
        return PgWire(str(self.pg_dir), self.pg_port)

    @property
    def database_url(self):
        return f"postgresql:///postgres?host={self.pg_dir}&port={self.pg_port}&user=postgres"

    # Conduit

    def env(self):
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": self.database_url,
            "CONDUIT_STORAGE_DIR": str(self.storage),
            "CONDUIT_PORT": str(self.http_port),
            "CONDUIT_HOST": "127.0.0.1",
        })
        env.update(self.extra_env)
        return env

    def start(self, name):
        for binary in self.PROCESSES:
            if not (self.bin_dir / binary).exists():
                raise RuntimeError(f"{self.bin_dir / binary} is missing: run `swift build -c release` first")
        self.logs.mkdir(parents=True, exist_ok=True)
        self.storage.mkdir(parents=True, exist_ok=True)
        if name not in self.log_files:
            self.log_files[name] = open(self.logs / f"{name}.log", "ab")
        self.log_files[name].write(f"==== {self.prefix}: start {name} at {time.strftime('%H:%M:%S')}\n".encode())
        self.log_files[name].flush()
        self.processes[name] = subprocess.Popen(
            [str(self.bin_dir / name)], env=self.env(), stdout=self.log_files[name], stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        return self.processes[name]

    def start_all(self):
        for name in self.PROCESSES:
            self.start(name)

    def kill(self, name, sig=signal.SIGKILL):
        process = self.processes.get(name)
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            process.wait()

    def running(self, name):
        process = self.processes.get(name)
        return process is not None and process.poll() is None

    def stop_all(self):
        for name in reversed(self.PROCESSES):
            process = self.processes.get(name)
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def wait_healthy(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.http_port), timeout=2) as conn:
                    conn.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    data = conn.recv(4096)
                    if data.startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"serve on port {self.http_port} not healthy within {timeout:.0f} s; logs in {self.logs}")


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


def pg_literal(text):
    return "'" + text.replace("'", "''") + "'"


def parse_args_port(value):
    if not re.fullmatch(r"\d+", value):
        raise ValueError(value)
    return int(value)

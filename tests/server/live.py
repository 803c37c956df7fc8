"""A real server in a subprocess on a free 127.0.0.1 port, and a real Socket.IO SDK client."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import socketio

import sdk_protocol as p

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "ak_test_" + "k" * 32
ALL = sorted(p.ALL_COMPONENT_TYPES)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`arabesque serve` as a subprocess; stop() is graceful, kill() is kill -9."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = {"ARABESQUE_DATA_DIR": str(data_dir), "ARABESQUE_API_KEY": API_KEY, "ARABESQUE_WORKERS": "1",
                    "ARABESQUE_TIMER_POLL_SECONDS": "0.2", "ARABESQUE_LOG_LEVEL": "warning", **(env or {})}
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / f"server-{self.port}.log"
        self.stderr_path: Path | None = None  # set to keep stderr (the logs) apart from stdout

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARABESQUE_", "AWS_"))} | self.env
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)],
                                        cwd=ROOT, env=env, stdout=log,
                                        stderr=self.stderr_path.open("ab") if self.stderr_path else subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready within {timeout}s:\n{self.log()}")

    def answer(self, path: str, timeout: float = 60.0) -> httpx.Response:
        """GET `path` as soon as the server listens (a server that never gets ready may still be starting after
        `start` gave up on it, on a loaded machine)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return httpx.get(f"{self.url}{path}", timeout=30.0)
            except httpx.TransportError:
                if time.monotonic() > deadline or (self.process is not None and self.process.poll() is not None):
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def api(self, key: str = API_KEY) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=30.0)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`arabesque ARGS` with this server's settings (its data dir and database), as an operator beside it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARABESQUE_", "AWS_"))} | self.env
        done = subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def create(self, journey: str = "kyc_individual", **body: object) -> dict[str, str]:
        with self.api() as api:
            response = api.post("/v1/sessions", json={"journey": journey, **body})
        assert response.status_code == 201, response.text
        created: dict[str, str] = response.json()
        return created

    def upload(self, session: dict[str, str], data: bytes, content_type: str = "image/jpeg",
               name: str = "photo.jpg") -> httpx.Response:
        return httpx.post(f"{self.url}/v1/sessions/{session['session_id']}/files", params={"filename": name},
                          content=data, headers={"Authorization": f"Bearer {session['token']}",
                                                 "Content-Type": content_type}, timeout=30.0)

    def session(self, session_id: str) -> dict[str, object]:
        with self.api() as api:
            response = api.get(f"/v1/sessions/{session_id}")
        assert response.status_code == 200, response.text
        found: dict[str, object] = response.json()
        return found


class Worker:
    """`arabesque worker` as a subprocess in a process group of its own (with its verification pool);
    freeze() is SIGSTOP, kill() is kill -9 of the whole group."""

    def __init__(self, data_dir: Path, env: dict[str, str], name: str) -> None:
        self.metrics_port = free_port()
        self.env = {"ARABESQUE_DATA_DIR": str(data_dir), "ARABESQUE_API_KEY": API_KEY, "ARABESQUE_WORKERS": "1",
                    "ARABESQUE_TIMER_POLL_SECONDS": "0.2", "ARABESQUE_LOG_LEVEL": "warning", **env}
        self.name = name
        self.data_dir = data_dir
        self.log_path = data_dir / f"worker-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> Worker:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARABESQUE_", "AWS_"))} | self.env
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "server.cli", "worker", "--name", self.name,
                                             "--metrics-port", str(self.metrics_port)],
                                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while "running jobs" not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker not running within {timeout}s:\n{self.log()}")
            time.sleep(0.1)
        return self

    def signal_group(self, signum: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signum)

    def freeze(self) -> None:
        self.signal_group(signal.SIGSTOP)

    def kill(self) -> None:
        if self.process is not None:
            self.signal_group(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Sdk:
    """A Socket.IO client speaking the SDK protocol; every server push lands in `inbox`."""

    def __init__(self, server: Server | str, token: str) -> None:
        self.url = server.url if isinstance(server, Server) else server
        self.token = token
        self.sio = socketio.AsyncClient(reconnection=False)
        self.inbox: asyncio.Queue[p.ServerMessage] = asyncio.Queue()
        self.seen: list[p.ServerMessage] = []

        async def on_message(data: object) -> None:
            message = p.decode_server(data)
            self.seen.append(message)
            await self.inbox.put(message)

        self.sio.on("message", on_message, namespace="/sdk")

    async def connect(self, *, hello: bool = True, locale: str = "en", components: list[str] | None = None) -> Sdk:
        await self.sio.connect(self.url, auth={"token": self.token}, namespaces=["/sdk"], transports=["websocket"],
                               wait_timeout=10)
        if hello:
            reply = await self.call(p.Hello(protocol_version=p.PROTOCOL_VERSION, locale=locale,
                                            sdk=p.SdkInfo(name="pytest", version="1", platform="other"),
                                            components=ALL if components is None else components))
            assert isinstance(reply, p.Welcome), reply
        return self

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()

    async def call(self, message: p.Message | object) -> p.ServerMessage:
        wire = p.to_wire(message) if isinstance(message, p.Message) else message
        reply = await self.sio.call("message", wire, namespace="/sdk", timeout=20)
        return p.decode_server(reply)

    async def raw_call(self, event: str, data: object) -> object:
        """Send anything; a tuple is sent as several arguments."""
        return await self.sio.call(event, data, namespace="/sdk", timeout=20)

    async def next(self, kind: type[p.Message] = p.Screen, where: Callable[[p.ServerMessage], bool] | None = None,
                   timeout: float = 20.0) -> p.ServerMessage:
        """The next pushed message of `kind` (matching `where`), skipping others."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {kind.__name__} within {timeout}s; seen {self.seen[-5:]}")
            message = await asyncio.wait_for(self.inbox.get(), remaining)
            if isinstance(message, kind) and (where is None or where(message)):
                return message

    async def screen(self, screen_id: str, timeout: float = 20.0) -> p.Screen:
        found = await self.next(p.Screen, lambda m: isinstance(m, p.Screen) and m.screen_id == screen_id, timeout)
        assert isinstance(found, p.Screen)
        return found

    async def submit(self, screen: p.Screen, values: dict[str, object], key: str | None = None) -> p.ServerMessage:
        return await self.call(p.ScreenSubmit(screen_id=screen.screen_id, revision=screen.revision, values=values,
                                              idempotency_key=key or str(uuid.uuid4())))


__all__ = ["ALL", "API_KEY", "Sdk", "Server", "Worker", "free_port"]

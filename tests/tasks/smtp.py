"""A real SMTP server for tests (aiosmtpd, on a free loopback port) that can be stopped and
started again on the same port, and a "stalled" one that accepts connections and never answers
(a mail server that hangs: the worker is stuck inside its task)."""

import asyncio
import email
import socket
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """What the server received: every connection and every accepted message."""

    def __init__(self) -> None:
        self.connections = 0
        self.messages: list[email.message.Message] = []
        self.refuse_with: str | None = None  # e.g. "451 4.3.0 Try again later"
        # Set `gate` to hold each message in the DATA phase until the gate opens (a slow mail
        # server: the worker is inside its task); `receiving` tells that one has arrived.
        self.gate: threading.Event | None = None
        self.receiving = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.gate is not None:
            self.receiving.set()
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait)
        if self.refuse_with:
            return self.refuse_with
        self.messages.append(email.message_from_bytes(envelope.original_content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.Message]:
        return [message for message in self.messages if message["To"] == address]


class CountingSMTP(SMTP):
    def connection_made(self, transport) -> None:
        self.event_handler.connections += 1
        super().connection_made(transport)


class SMTPServer:
    """`start()`, `stop()`, `start()` again: the same port, the same mailbox."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        controller = _Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        controller.start()
        self.mailbox.connections = 0  # the controller's own start-up probe
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class _Controller(Controller):
    def factory(self) -> SMTP:
        return CountingSMTP(self.handler, **self.SMTP_kwargs)


class StalledSMTPServer:
    """Accepts connections on `port` and never sends the greeting."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.accepted = threading.Event()
        self._closing = threading.Event()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", port))
        # A thread blocked in accept() would keep the port bound after close(): poll instead.
        self._listener.settimeout(0.1)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self._sockets.append(conn)
            self.accepted.set()

    def close(self) -> None:
        self._closing.set()
        self._thread.join(timeout=5)
        self._listener.close()
        for conn in self._sockets:
            conn.close()

"""A test certificate authority and a real HTTPS webhook receiver that records the SNI name each
TLS handshake asked for (generated with `cryptography`; nothing is read from the machine)."""

import datetime
import http.server
import socket
import ssl
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class TestCA:
    """A self-signed CA that issues server certificates for DNS names."""

    __test__ = False

    def __init__(self, directory: Path, name: str = "CareSlot test CA") -> None:
        self.directory = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        self.path = directory / f"{name.replace(' ', '-')}.pem"
        self.path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    def issue(self, dns_name: str) -> tuple[Path, Path]:
        """A server certificate for `dns_name` and its key, as PEM files."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(dns_name))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
            .add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        cert_path = self.directory / f"{dns_name}.crt"
        key_path = self.directory / f"{dns_name}.key"
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_path, key_path


class TLSReceiver:
    """An HTTPS server on 127.0.0.1 answering every POST with 200; it records the SNI name of
    each handshake and the Host header and body of each request."""

    def __init__(self, cert_path: Path, key_path: Path) -> None:
        self.server_names: list[str | None] = []
        self.requests: list[tuple[str, bytes]] = []
        self.headers: list[dict[str, str]] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.requests.append((self.headers["Host"], body))
                receiver.headers.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                sock, address = self.socket.accept()
                return context.wrap_socket(sock, server_side=True), address

            def handle_error(self, request, client_address):
                pass  # a refused handshake is what some tests expect

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class HangingReceiver:
    """Accepts connections and then either says nothing (`trickle=False`) or sends one byte of
    an answer every `interval` seconds: each read succeeds within any per-read timeout. Either
    way it hangs up after SILENCE_SECONDS or 60 bytes: a client without its timeouts fails
    the test with a broken answer instead of hanging it."""

    SILENCE_SECONDS = 10

    def __init__(self, *, trickle: bool, interval: float = 0.2) -> None:
        self.trickle, self.interval = trickle, interval
        self.accepted = threading.Event()
        self.closing = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.closing.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections.append(conn)
            self.accepted.set()
            serve = self._trickle if self.trickle else self._keep_silent
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    def _keep_silent(self, conn: socket.socket) -> None:
        if not self.closing.wait(self.SILENCE_SECONDS):
            conn.close()

    def _trickle(self, conn: socket.socket) -> None:
        # 60 bytes, one per interval, then the connection closes: without a total deadline
        # the exchange ends in a broken answer, not a timeout.
        answer = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 43
        for byte in answer:
            if self.closing.wait(self.interval):
                return
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                return
        conn.close()

    def stop(self) -> None:
        self.closing.set()
        self.thread.join(timeout=5)
        self.listener.close()
        for conn in self.connections:
            conn.close()

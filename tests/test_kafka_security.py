"""Kafka TLS/SASL settings -> the keyword arguments each client library gets, and the errors
an operator sees for a wrong setting. Faust's own mapping (credentials_to_aiokafka_auth) is run
on our credentials, so the worker's clients get exactly what the topic creator gets."""

from __future__ import annotations

import ssl
from pathlib import Path

import faust
import pytest
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

from app.runtime.kafka_security import KafkaSecurity, KafkaSecurityError
from app.runtime.settings import Settings
from tests.tls_certs import CLIENT_KEY_PASSWORD, Pki, make_pki

PASSWORD = "s3cr3t-Pa55"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def sasl_env(**more: str) -> dict[str, str]:
    return {"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_USERNAME": "sendguard",
            "KAFKA_SASL_PASSWORD": PASSWORD, **more}


def test_plaintext_by_default_changes_nothing() -> None:
    security = KafkaSecurity.from_env({})
    assert security.aiokafka_kwargs() == {"security_protocol": "PLAINTEXT"}
    assert security.faust_credentials() is None
    assert credentials_to_aiokafka_auth(None, None) == security.aiokafka_kwargs()
    assert security.librdkafka_config() == {"security.protocol": "plaintext"}
    assert Settings.from_env({}).kafka_security == security


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "scram-sha-512"])
def test_sasl_plaintext_maps_to_aiokafka_faust_and_librdkafka(mechanism: str) -> None:
    security = KafkaSecurity.from_env(sasl_env(KAFKA_SASL_MECHANISM=mechanism))
    expected = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": mechanism.upper(),
                "sasl_plain_username": "sendguard", "sasl_plain_password": PASSWORD}
    assert security.aiokafka_kwargs() == expected
    credentials = security.faust_credentials()
    assert isinstance(credentials, faust.SASLCredentials)
    # What Faust's aiokafka driver gives its consumer and (transactional) producers:
    assert credentials_to_aiokafka_auth(credentials, None) == {**expected, "ssl_context": None}
    assert security.librdkafka_config() == {
        "security.protocol": "sasl_plaintext", "sasl.mechanism": mechanism.upper(),
        "sasl.username": "sendguard", "sasl.password": PASSWORD}


def test_sasl_ssl_with_a_private_ca(pki: Pki) -> None:
    security = KafkaSecurity.from_env(sasl_env(KAFKA_SECURITY_PROTOCOL="SASL_SSL",
                                               KAFKA_SASL_MECHANISM="SCRAM-SHA-512",
                                               KAFKA_SSL_CAFILE=str(pki.ca)))
    kwargs = security.aiokafka_kwargs()
    context = kwargs.pop("ssl_context")
    assert kwargs == {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
                      "sasl_plain_username": "sendguard", "sasl_plain_password": PASSWORD}
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [dict(c["subject"][0])["commonName"] for c in context.get_ca_certs()] == [
        "SendGuard Test CA"]  # only our CA: KAFKA_SSL_CAFILE replaces the system store
    faust_auth = credentials_to_aiokafka_auth(security.faust_credentials(), None)
    assert faust_auth["security_protocol"] == "SASL_SSL"
    assert faust_auth["ssl_context"].get_ca_certs() == context.get_ca_certs()
    assert security.librdkafka_config()["ssl.ca.location"] == str(pki.ca)


def test_ssl_with_a_client_certificate_and_encrypted_key(pki: Pki) -> None:
    env = {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CAFILE": str(pki.ca),
           "KAFKA_SSL_CERTFILE": str(pki.client_cert), "KAFKA_SSL_KEYFILE": str(pki.client_key),
           "KAFKA_SSL_KEY_PASSWORD": CLIENT_KEY_PASSWORD}
    security = KafkaSecurity.from_env(env)
    credentials = security.faust_credentials()
    assert isinstance(credentials, faust.SSLCredentials)
    faust_auth = credentials_to_aiokafka_auth(credentials, None)
    assert faust_auth["security_protocol"] == "SSL"
    assert isinstance(faust_auth["ssl_context"], ssl.SSLContext)
    assert "sasl_mechanism" not in security.aiokafka_kwargs()
    rd = security.librdkafka_config()
    assert (rd["ssl.certificate.location"], rd["ssl.key.password"]) == (
        str(pki.client_cert), CLIENT_KEY_PASSWORD)
    with pytest.raises(KafkaSecurityError, match="KAFKA_SSL_KEY_PASSWORD"):
        KafkaSecurity.from_env({**env, "KAFKA_SSL_KEY_PASSWORD": ""})
    with pytest.raises(KafkaSecurityError, match="KEYFILE go together"):
        KafkaSecurity.from_env({**env, "KAFKA_SSL_KEYFILE": ""})


def test_ssl_context_verifies_the_server_against_the_ca(pki: Pki) -> None:
    """The context really checks the chain: a server cert from our CA passes, another fails."""
    import socket
    import threading

    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(pki.server_cert, pki.server_key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve(count: int) -> None:
        for _ in range(count):
            conn, _ = listener.accept()
            try:
                with server_context.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(b"ok")
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, args=(2,), daemon=True)
    thread.start()

    def handshake(cafile: Path) -> bytes:
        context = KafkaSecurity.from_env({"KAFKA_SECURITY_PROTOCOL": "SSL",
                                          "KAFKA_SSL_CAFILE": str(cafile)}).ssl_context()
        assert context is not None
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return tls.recv(2)

    try:
        assert handshake(pki.ca) == b"ok"
        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(pki.other_ca)
    finally:
        thread.join(10)
        listener.close()


@pytest.mark.parametrize(("env", "message"), [
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_TLS"}, "must be one of PLAINTEXT, SSL, SASL_PLAINTEXT"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"},
     "SASL_SSL needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"),
    (sasl_env(KAFKA_SASL_PASSWORD=""), "needs KAFKA_SASL_PASSWORD"),
    (sasl_env(KAFKA_SASL_USERNAME=""), "needs KAFKA_SASL_USERNAME"),
    (sasl_env(KAFKA_SASL_MECHANISM="GSSAPI"), "KAFKA_SASL_MECHANISM must be one of PLAIN"),
    ({"KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": PASSWORD}, "set it to SASL_SSL"),
    ({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CAFILE": "/nonexistent/ca.pem"},
     "KAFKA_SSL_CAFILE: no such file: /nonexistent/ca.pem"),
    ({"KAFKA_SSL_CAFILE": "/etc/hostname"}, "set it to SSL or SASL_SSL"),
    ({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CHECK_HOSTNAME": "maybe"}, "true or false"),
    (sasl_env(KAFKA_SASL_PASSWORD_FILE="/nonexistent/pw"), "set KAFKA_SASL_PASSWORD or"),
])
def test_clear_errors_that_never_show_the_password(env: dict[str, str], message: str) -> None:
    with pytest.raises(KafkaSecurityError, match=message) as error:
        KafkaSecurity.from_env(env)
    assert PASSWORD not in str(error.value)
    with pytest.raises(SystemExit, match="Kafka security settings: ") as stop:
        Settings.from_env(env)
    assert PASSWORD not in str(stop.value)


def test_password_from_a_file_and_never_in_repr_or_logs(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    env = sasl_env(KAFKA_SASL_PASSWORD="", KAFKA_SASL_PASSWORD_FILE=str(secret))
    settings = Settings.from_env(env)
    assert settings.kafka_security.sasl_password == PASSWORD  # trailing newline dropped
    shown = [repr(settings), str(settings), settings.kafka_security.describe(),
             repr(settings.kafka_security.faust_credentials())]
    assert not [text for text in shown if PASSWORD in text]
    print(f"\ndescribe(): {settings.kafka_security.describe()}")

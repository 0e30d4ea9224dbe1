"""Kafka TLS and SASL settings, and the keyword arguments every Kafka client of the app gets.

One place turns the KAFKA_SECURITY_PROTOCOL / KAFKA_SASL_* / KAFKA_SSL_* variables into what
each client library wants, so the worker (Faust), the topic creator (aiokafka admin client) and
the demo's clients cannot drift apart: `aiokafka_kwargs()` for aiokafka clients,
`faust_credentials()` for Faust's `broker_credentials`, and `librdkafka_config()` for
confluent-kafka (what upstream services and the tests use). Settings are checked when they are
read, so a typo fails at start with a message naming the variable, not as a connection that
hangs. The password is never part of a repr, a log line or an error message.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class KafkaSecurityError(ValueError):
    """The security settings are inconsistent or name a file that cannot be used."""


@dataclass(frozen=True)
class KafkaSecurity:
    """How the app's Kafka clients authenticate and encrypt; see README "Configuration"."""

    protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "PLAIN"
    sasl_username: str = ""
    sasl_password: str = field(default="", repr=False)
    ssl_cafile: str = ""
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    ssl_key_password: str = field(default="", repr=False)
    ssl_check_hostname: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> KafkaSecurity:
        """Read KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_*; raise KafkaSecurityError."""
        env = os.environ if env is None else env
        security = cls(
            protocol=env.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").strip().upper()
            or "PLAINTEXT",
            sasl_mechanism=env.get("KAFKA_SASL_MECHANISM", "PLAIN").strip().upper() or "PLAIN",
            sasl_username=env.get("KAFKA_SASL_USERNAME", ""),
            sasl_password=_secret(env, "KAFKA_SASL_PASSWORD"),
            ssl_cafile=env.get("KAFKA_SSL_CAFILE", "").strip(),
            ssl_certfile=env.get("KAFKA_SSL_CERTFILE", "").strip(),
            ssl_keyfile=env.get("KAFKA_SSL_KEYFILE", "").strip(),
            ssl_key_password=_secret(env, "KAFKA_SSL_KEY_PASSWORD"),
            ssl_check_hostname=_flag(env, "KAFKA_SSL_CHECK_HOSTNAME", True),
        )
        security.validate()
        return security

    @property
    def uses_sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @property
    def uses_ssl(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    def validate(self) -> None:
        """Raise KafkaSecurityError naming the variable of the first problem found."""
        if self.protocol not in PROTOCOLS:
            raise KafkaSecurityError(
                f"KAFKA_SECURITY_PROTOCOL must be one of {', '.join(PROTOCOLS)}, "
                f"got {self.protocol!r}")
        if self.uses_sasl:
            if self.sasl_mechanism not in SASL_MECHANISMS:
                raise KafkaSecurityError(
                    f"KAFKA_SASL_MECHANISM must be one of {', '.join(SASL_MECHANISMS)}, "
                    f"got {self.sasl_mechanism!r}")
            missing = [name for name, value in (("KAFKA_SASL_USERNAME", self.sasl_username),
                                                ("KAFKA_SASL_PASSWORD", self.sasl_password))
                       if not value]
            if missing:
                raise KafkaSecurityError(
                    f"KAFKA_SECURITY_PROTOCOL={self.protocol} needs {' and '.join(missing)}")
        elif self.sasl_username or self.sasl_password:
            raise KafkaSecurityError(
                f"KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD are set but KAFKA_SECURITY_PROTOCOL is "
                f"{self.protocol}: set it to SASL_SSL (or SASL_PLAINTEXT) to use them")
        files = (("KAFKA_SSL_CAFILE", self.ssl_cafile), ("KAFKA_SSL_CERTFILE", self.ssl_certfile),
                 ("KAFKA_SSL_KEYFILE", self.ssl_keyfile))
        if not self.uses_ssl:
            named = [name for name, value in files if value]
            if named:
                raise KafkaSecurityError(
                    f"{', '.join(named)} set but KAFKA_SECURITY_PROTOCOL is {self.protocol}: "
                    f"set it to SSL or SASL_SSL to use TLS")
            return
        for name, value in files:
            if value and not Path(value).is_file():
                raise KafkaSecurityError(f"{name}: no such file: {value}")
        if bool(self.ssl_certfile) != bool(self.ssl_keyfile):
            raise KafkaSecurityError("KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE go together "
                                     "(a client certificate needs its private key)")
        self.ssl_context()  # unreadable PEM, wrong key password: fail now, not at connect

    def ssl_context(self) -> ssl.SSLContext | None:
        """The client TLS context (None without TLS): system CAs unless KAFKA_SSL_CAFILE."""
        if not self.uses_ssl:
            return None
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH,
                                             cafile=self.ssl_cafile or None)
        context.check_hostname = self.ssl_check_hostname
        if self.ssl_certfile:
            try:
                # A callable, never None: OpenSSL would prompt on the terminal for a password.
                context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile,
                                        password=lambda: self.ssl_key_password)
            except (ssl.SSLError, OSError) as exc:
                reason = getattr(exc, "reason", None) or exc.strerror or exc
                raise KafkaSecurityError(
                    f"KAFKA_SSL_CERTFILE/KAFKA_SSL_KEYFILE cannot be used ({reason}): is the key "
                    f"encrypted (set KAFKA_SSL_KEY_PASSWORD), or not the certificate's key?"
                ) from None
        return context

    def aiokafka_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaProducer/Consumer/AdminClient."""
        kwargs: dict[str, Any] = {"security_protocol": self.protocol}
        if self.uses_ssl:
            kwargs["ssl_context"] = self.ssl_context()
        if self.uses_sasl:
            kwargs.update(sasl_mechanism=self.sasl_mechanism,
                          sasl_plain_username=self.sasl_username,
                          sasl_plain_password=self.sasl_password)
        return kwargs

    def faust_credentials(self) -> Any:
        """Faust's `broker_credentials` (None for PLAINTEXT); Faust hands them to aiokafka."""
        import faust  # here, so the topic creator and tests need not import Faust

        if self.uses_sasl:
            return faust.SASLCredentials(username=self.sasl_username,
                                         password=self.sasl_password,
                                         mechanism=self.sasl_mechanism,
                                         ssl_context=self.ssl_context())
        if self.uses_ssl:
            # Faust's SSLCredentials() cannot build a default context itself: pass ours.
            return faust.SSLCredentials(self.ssl_context())
        return None

    def librdkafka_config(self) -> dict[str, str]:
        """The same settings for confluent-kafka / librdkafka clients (dotted keys)."""
        config = {"security.protocol": self.protocol.lower()}
        if self.uses_sasl:
            config.update({"sasl.mechanism": self.sasl_mechanism,
                           "sasl.username": self.sasl_username,
                           "sasl.password": self.sasl_password})
        if self.uses_ssl:
            optional = {"ssl.ca.location": self.ssl_cafile,
                        "ssl.certificate.location": self.ssl_certfile,
                        "ssl.key.location": self.ssl_keyfile,
                        "ssl.key.password": self.ssl_key_password}
            config.update({k: v for k, v in optional.items() if v})
            config["enable.ssl.certificate.verification"] = "true"
            config["ssl.endpoint.identification.algorithm"] = (
                "https" if self.ssl_check_hostname else "none")
        return config

    def describe(self) -> str:
        """One line for logs: protocol, mechanism, user and files, never the password."""
        parts = [self.protocol]
        if self.uses_sasl:
            parts.append(f"{self.sasl_mechanism} as {self.sasl_username!r}")
        if self.uses_ssl:
            parts.append(f"CA {self.ssl_cafile or 'system store'}")
            if self.ssl_certfile:
                parts.append(f"client cert {self.ssl_certfile}")
        return ", ".join(parts)


def _secret(env: Mapping[str, str], name: str) -> str:
    """NAME, or the content of the file NAME_FILE names (Docker/Kubernetes secrets)."""
    path = env.get(f"{name}_FILE", "").strip()
    if not path:
        return env.get(name, "")
    if env.get(name):
        raise KafkaSecurityError(f"set {name} or {name}_FILE, not both")
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise KafkaSecurityError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from None


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise KafkaSecurityError(f"{name} must be true or false, got {raw!r}")

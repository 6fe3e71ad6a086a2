"""SmtpNotifier against a real SMTP server: aiosmtpd, started by each test on 127.0.0.1 with
a free port and stopped afterwards. What the server received is read back: envelope,
headers, both parts, the Message-ID. Then login (plain, and over STARTTLS with a self-signed
certificate made here), the server's refusals (5xx permanent, 4xx temporary), a closed port,
and the whole path: queued rows in SQLite -> DispatchService -> SMTP -> rows sent.

The certificate is made with the ``cryptography`` package when it is installed, else with the
``openssl`` command; with neither, the STARTTLS tests skip and say why.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import importlib.util
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from rocket_adapters.clock import FixedClock
from rocket_adapters.email import SmtpNotifier
from rocket_adapters.sql import Database
from rocket_core import model as m
from rocket_core.errors import PermanentDeliveryFailure, TemporaryDeliveryFailure, ValidationError
from rocket_core.events import EventBus
from rocket_core.ports import OutgoingMessage
from rocket_core.services.dispatch import DispatchReport, DispatchService

HOST = "127.0.0.1"
MAIL_FROM = "Rocket <no-reply@rocket.example>"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class Recorder:
    """An aiosmtpd handler that keeps what it receives, and answers ``refuse`` (e.g.
    ``{"RCPT": "550 5.1.1 no such user"}``) at that stage instead of accepting."""

    def __init__(self, refuse: dict[str, str] | None = None) -> None:
        self.refuse = refuse or {}
        self.received: list[Envelope] = []
        self.tls: list[bool] = []
        self.logins: list[tuple[str, str, str]] = []

    async def handle_MAIL(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if "MAIL" in self.refuse:
            return self.refuse["MAIL"]
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if "RCPT" in self.refuse:
            return self.refuse["RCPT"]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if "DATA" in self.refuse:
            return self.refuse["DATA"]
        self.received.append(envelope)
        self.tls.append(session.ssl is not None)
        return "250 Message accepted"

    def authenticate(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login, password = data.login.decode(), data.password.decode()
        self.logins.append((mechanism, login, password))
        if (login, password) == ("rocket", "s3cret"):
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)  # aiosmtpd answers 535

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(
                (envelope.original_content or b"").replace(b"\r\n", b"\n"),
                policy=email.policy.default,
            )
            for envelope in self.received
        ]


@contextlib.contextmanager
def smtp_server(handler: Recorder, **options: Any) -> Iterator[int]:
    """An aiosmtpd server on 127.0.0.1 and a free port for the block; yields the port."""
    port = free_port()
    controller = Controller(
        handler,
        hostname=HOST,
        port=port,
        authenticator=handler.authenticate,
        **options,
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def outgoing(**overrides: Any) -> OutgoingMessage:
    values: dict[str, Any] = {
        "channel": m.NotificationChannel.EMAIL,
        "to_address": "mai@family.example",
        "subject": "Kim was absent today",
        "text_body": "Hello Mai,\n\nKim was absent from Scratch Basics today.\n",
        "html_body": "<p>Hello Mai,</p><p>Kim was absent from <b>Scratch Basics</b> today.</p>",
        "reference": uuid4(),
        "sender_name": "Rocket Academy, Werribee",
    }
    return OutgoingMessage(**{**values, **overrides})


def notifier(port: int, **options: Any) -> SmtpNotifier:
    values: dict[str, Any] = {"starttls": False, "mail_from": MAIL_FROM, "timeout": 10}
    return SmtpNotifier(HOST, port, **{**values, **options})


# -- what the server receives ----------------------------------------------------------------


def test_the_server_receives_headers_and_both_parts() -> None:
    handler = Recorder()
    message = outgoing()
    with smtp_server(handler) as port:
        before = datetime.now(UTC).replace(microsecond=0)
        notifier(port).send(message)
        after = datetime.now(UTC)

    [envelope] = handler.received
    assert envelope.mail_from == "no-reply@rocket.example"
    assert envelope.rcpt_tos == ["mai@family.example"]
    [received] = handler.messages()
    assert received["Subject"] == "Kim was absent today"
    assert received["From"].addresses[0].display_name == "Rocket Academy, Werribee"
    assert received["From"].addresses[0].addr_spec == "no-reply@rocket.example"
    assert received["To"] == "mai@family.example"
    assert received["Message-ID"] == f"<{message.reference}@rocket.example>"
    assert before <= parsedate_to_datetime(received["Date"]) <= after
    assert received.get_content_type() == "multipart/alternative"
    plain = received.get_body(preferencelist=("plain",))
    html = received.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content() == message.text_body
    assert html.get_content().strip() == message.html_body
    assert handler.tls == [False]
    assert handler.logins == []  # no username: no login


def test_a_non_ascii_school_name_and_a_text_only_message_survive_the_trip() -> None:
    handler = Recorder()
    message = outgoing(sender_name="École Fusée", subject="Kim était absent", html_body=None)
    with smtp_server(handler) as port:
        notifier(port).send(message)

    [received] = handler.messages()
    assert received["From"].addresses[0].display_name == "École Fusée"
    assert received["Subject"] == "Kim était absent"
    assert received.get_content_type() == "text/plain"
    assert received.get_content() == message.text_body


def test_without_sender_name_or_reference_the_mail_from_name_and_a_new_id_are_used() -> None:
    handler = Recorder()
    with smtp_server(handler) as port:
        notifier(port).send(outgoing(sender_name=None, reference=None))

    [received] = handler.messages()
    assert str(received["From"]) == "Rocket <no-reply@rocket.example>"
    assert received["Message-ID"].endswith("@rocket.example>")


# -- login and TLS ---------------------------------------------------------------------------


@pytest.mark.parametrize(("mechanism", "other"), [("LOGIN", "PLAIN"), ("PLAIN", "LOGIN")])
def test_it_logs_in_on_a_plain_connection_only_when_starttls_was_switched_off(
    mechanism: str, other: str
) -> None:
    handler = Recorder()
    with smtp_server(handler, auth_require_tls=False, auth_exclude_mechanism=[other]) as port:
        notifier(port, username="rocket", password="s3cret").send(outgoing())

    assert handler.logins == [(mechanism, "rocket", "s3cret")]
    assert len(handler.received) == 1


def test_with_starttls_asked_a_server_without_it_gets_neither_password_nor_mail() -> None:
    handler = Recorder()
    with (
        smtp_server(handler, auth_require_tls=False) as port,
        pytest.raises(TemporaryDeliveryFailure, match="does not offer STARTTLS"),
    ):
        notifier(port, starttls=True, username="rocket", password="s3cret").send(outgoing())

    assert handler.logins == []
    assert handler.received == []


def test_a_refused_login_is_temporary_and_names_the_settings() -> None:
    handler = Recorder()
    with (
        smtp_server(handler, auth_require_tls=False) as port,
        pytest.raises(TemporaryDeliveryFailure, match="ROCKET_SMTP_USERNAME/PASSWORD") as raised,
    ):
        notifier(port, username="rocket", password="wrong").send(outgoing())

    assert "535" in str(raised.value)
    assert {login[1:] for login in handler.logins} == {("rocket", "wrong")}
    assert handler.received == []


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and its key), valid for a day."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    if importlib.util.find_spec("cryptography") is not None:
        _certificate_with_cryptography(cert, key)
    elif shutil.which("openssl") is not None:
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-keyout", str(key), "-out", str(cert), "-days", "1",
                "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
    else:
        pytest.skip("STARTTLS untested: neither the cryptography package nor openssl is here")
    return cert, key


def _certificate_with_cryptography(cert: Path, key: Path) -> None:  # pragma: no cover
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    return make_certificate(tmp_path)


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_starttls_then_login_with_a_self_signed_certificate_the_client_trusts(
    tls_files: tuple[Path, Path],
) -> None:
    cert, key = tls_files
    handler = Recorder()
    trusted = ssl.create_default_context(cafile=str(cert))
    with smtp_server(
        handler, tls_context=server_tls(cert, key), require_starttls=True, auth_require_tls=True
    ) as port:
        notifier(
            port, starttls=True, username="rocket", password="s3cret", ssl_context=trusted
        ).send(outgoing())

    assert [login[1:] for login in handler.logins] == [("rocket", "s3cret")]
    assert handler.tls == [True]


def test_a_certificate_the_client_does_not_trust_is_a_temporary_failure(
    tls_files: tuple[Path, Path],
) -> None:
    cert, key = tls_files
    handler = Recorder()
    with (
        smtp_server(handler, tls_context=server_tls(cert, key), require_starttls=True) as port,
        pytest.raises(TemporaryDeliveryFailure, match="SSLCertVerificationError"),
    ):
        notifier(port, starttls=True, username="rocket", password="s3cret").send(outgoing())

    assert handler.logins == []
    assert handler.received == []


# -- the server's refusals -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("refuse", "error", "text"),
    [
        ({"RCPT": "550 5.1.1 no such user"}, PermanentDeliveryFailure, "550 5.1.1 no such user"),
        ({"RCPT": "450 4.2.1 mailbox busy"}, TemporaryDeliveryFailure, "450 4.2.1 mailbox busy"),
        ({"DATA": "554 5.7.1 rejected as spam"}, PermanentDeliveryFailure, "554 5.7.1 rejected"),
        ({"DATA": "451 4.3.0 try again later"}, TemporaryDeliveryFailure, "451 4.3.0 try again"),
        ({"MAIL": "553 5.7.1 sender not allowed"}, TemporaryDeliveryFailure, "ROCKET_MAIL_FROM"),
    ],
)
def test_refusals_are_permanent_for_5xx_on_the_recipient_or_message_and_otherwise_temporary(
    refuse: dict[str, str], error: type[Exception], text: str
) -> None:
    handler = Recorder(refuse)
    with smtp_server(handler) as port, pytest.raises(error, match=text) as raised:
        notifier(port).send(outgoing())

    assert type(raised.value) is error
    assert handler.received == []


def test_a_closed_port_is_a_temporary_failure() -> None:
    with pytest.raises(TemporaryDeliveryFailure, match="could not reach the SMTP server"):
        notifier(free_port()).send(outgoing())


def test_a_server_that_disconnects_is_a_temporary_failure() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((HOST, 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        # Accept and close at once: the client reads no greeting.
        def hang_up() -> None:
            connection, _ = listener.accept()
            connection.close()

        thread = threading.Thread(target=hang_up)
        thread.start()
        with pytest.raises(TemporaryDeliveryFailure, match="SMTPServerDisconnected"):
            notifier(port).send(outgoing())
        thread.join(timeout=10)


def test_bad_settings_are_refused_naming_the_field() -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"mail_from": "not an address"}, "SmtpNotifier.mail_from"),
        ({"username": "rocket"}, "SmtpNotifier.password"),
        ({"timeout": 0}, "SmtpNotifier.timeout"),
    ]
    for options, field in cases:
        with pytest.raises(ValidationError) as refused:
            notifier(25, **options)
        assert refused.value.field == field
    with pytest.raises(ValidationError) as refused:
        SmtpNotifier(HOST, 0, mail_from=MAIL_FROM)
    assert refused.value.field == "SmtpNotifier.port"
    assert "s3cret" not in repr(notifier(25, username="rocket", password="s3cret"))


# -- the whole path: SQLite outbox -> dispatcher -> SMTP -----------------------------------------


def seed(database: Database, addresses: list[str]) -> tuple[UUID, list[UUID], list[UUID]]:
    """An organisation with a family per address and one queued notification each."""
    tag = uuid4().hex[:8]
    org = m.Organisation(name=f"Rocket Academy {tag}")
    families = [
        m.Family(
            organisation_id=org.id, primary_contact_name="Parent", primary_contact_email=address
        )
        for address in addresses
    ]
    queued = [
        m.Notification(
            organisation_id=org.id,
            recipient_family_id=family.id,
            template_name="invoice_issued",
            subject=f"Invoice {n} from Rocket Academy",
            body=f"Invoice {n} is attached.",
            html_body=f"<p>Invoice {n} is attached.</p>",
            created_at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
            dedupe_key=f"invoice_issued:{uuid4()}",
        )
        for n, family in enumerate(families)
    ]
    with database.unit_of_work(org.id) as uow:
        uow.organisations.add(org)
        for family in families:
            uow.families.add(family)
        for notification in queued:
            uow.notifications.add(notification)
        uow.commit()
    return org.id, [f.id for f in families], [n.id for n in queued]


def test_queued_rows_in_sqlite_are_sent_through_smtp_and_marked_sent(
    sqlite_database: Database,
) -> None:
    good, bad = "mai@family.example", "nobody@family.example"
    org_id, family_ids, ids = seed(sqlite_database, [good, "jo@family.example", bad])

    class Selective(Recorder):
        async def handle_RCPT(
            self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
        ) -> str:
            if address == bad:
                return "550 5.1.1 no such user"
            return await super().handle_RCPT(server, session, envelope, address, options)

    handler = Selective()
    clock = FixedClock(datetime(2026, 2, 1, 10, 0, tzinfo=UTC))
    with smtp_server(handler) as port:
        service = DispatchService(sqlite_database.unit_of_work, clock, EventBus(), notifier(port))
        report = service.dispatch_until_empty(org_id)

    assert report == DispatchReport(claimed=3, sent=2, failed=1, undeliverable=1)
    received = {message["Message-ID"]: message for message in handler.messages()}
    assert set(received) == {f"<{ids[0]}@rocket.example>", f"<{ids[1]}@rocket.example>"}
    assert received[f"<{ids[0]}@rocket.example>"]["To"] == good
    with sqlite_database.unit_of_work(org_id) as uow:
        rows = [uow.notifications.get(i) for i in ids]
        assert [r.status for r in rows] == [
            m.NotificationStatus.SENT,
            m.NotificationStatus.SENT,
            m.NotificationStatus.FAILED,
        ]
        assert rows[0].sent_to == good
        assert rows[0].sent_at == clock.now()
        assert "550 5.1.1 no such user" in (rows[2].last_error or "")
        assert uow.families.get(family_ids[2]).is_undeliverable
        assert not uow.families.get(family_ids[0]).is_undeliverable

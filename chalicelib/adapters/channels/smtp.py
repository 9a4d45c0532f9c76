"""The ``cn`` profile's e-mail: any SMTP relay (Alibaba DirectMail, Tencent SES, a firm's own),
through the standard library's ``smtplib``, always over TLS.

==============  ===========================================================================
setting         meaning
==============  ===========================================================================
host, port      ``PROPDESK_SMTP_HOST`` / ``PROPDESK_SMTP_PORT`` (default 465)
tls             ``auto``: implicit TLS on 465, STARTTLS on any other port; ``implicit``;
                ``starttls`` (a server that does not offer it is refused, never used in
                clear); ``none`` only on a local stage (the local SMTP server)
certificate     verified against the system's CAs, or ``PROPDESK_SMTP_CA_FILE``
login           ``{"username", "password"}`` from the Secrets Manager secret
                ``PROPDESK_SMTP_SECRET`` (read once per process); ``""`` = no login
==============  ===========================================================================

Delivered = the server accepted the message for the recipient (250 after DATA). The
``Message-ID`` is derived from the idempotency key, so a retried send carries the same id
and a receiving system can drop the duplicate. 4xx answers, dropped connections and timeouts
are retryable; 5xx, a refused login and an invalid certificate are not. ``detail`` never
carries the recipient's address.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from ...domain.messages import Message
from ...settings import settings
from . import aws
from .delivery import Delivery, timeout_s

if TYPE_CHECKING:  # smtplib, ssl and email load on the first send, not with the package
    import smtplib
    from email.message import EmailMessage

TLS_MODES = ("auto", "starttls", "implicit", "none")


def tls_mode(port: int, setting: str) -> str:
    """``implicit`` or ``starttls`` (or ``none``) for a port and the ``tls`` setting."""
    if setting not in TLS_MODES:
        raise ValueError(f"PROPDESK_SMTP_TLS must be one of {', '.join(TLS_MODES)}, not {setting!r}")
    if setting == "auto":
        return "implicit" if port == 465 else "starttls"
    return setting


def message_id(idempotency_key: str, sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1] or "propdesk.local"
    return f"<{hashlib.sha256(idempotency_key.encode('utf-8')).hexdigest()[:32]}@{domain}>"


def compose(channel: dict, message: Message, key: str, sender: str) -> "EmailMessage":
    from email.message import EmailMessage
    from email.utils import formatdate

    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = channel["to"].strip()
    mail["Subject"] = " ".join(message.subject.split())
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = message_id(key, sender)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    mail.set_content(message.text, charset="utf-8")
    return mail


def send_email(channel: dict, message: Message, key: str, mail_from: str) -> Delivery:
    import smtplib
    import ssl

    config = settings().messaging
    if not config.smtp_host:
        return Delivery(False, "email (SMTP): not configured: PROPDESK_SMTP_HOST is empty")
    try:
        mode = tls_mode(config.smtp_port, config.smtp_tls)
    except ValueError as exc:
        return Delivery(False, f"email (SMTP): not configured: {exc}")
    if mode == "none" and not settings().is_local:
        return Delivery(False, "email (SMTP): not configured: TLS may be off only on a local stage")
    login = None
    if config.smtp_secret:
        try:
            login = aws.secret(config.smtp_secret)
        except aws.SecretUnavailable as exc:
            return Delivery(False, f"email (SMTP): {exc.detail}", retryable=exc.retryable)
    mail = compose(channel, message, key, mail_from)
    where = f"{config.smtp_host}:{config.smtp_port}"
    try:
        with _connect(config.smtp_host, config.smtp_port, mode, config.smtp_ca_file) as server:
            if login is not None:
                server.login(login.get("username", ""), login.get("password", ""))
            refused = server.send_message(mail)
    except smtplib.SMTPAuthenticationError as exc:
        aws.forget_secret(config.smtp_secret)  # rotated? read it again next time
        return Delivery(False, f"email (SMTP): {where} refused the login: {exc.smtp_code}", retryable=False)
    except smtplib.SMTPNotSupportedError:
        return Delivery(False, f"email (SMTP): {where} does not offer STARTTLS; not sending in clear")
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        return _coded(where, "refused the recipient", codes[0] if codes else 550)
    except smtplib.SMTPSenderRefused as exc:
        return _coded(where, "refused the sender", exc.smtp_code)
    except smtplib.SMTPResponseException as exc:  # SMTPDataError, a refused HELO / STARTTLS ...
        return _coded(where, "refused the message", exc.smtp_code)
    except ssl.SSLCertVerificationError as exc:
        return Delivery(False, f"email (SMTP): {where}: TLS certificate not valid: {exc.verify_message}")
    except TimeoutError:  # socket.timeout is TimeoutError
        return Delivery(False, f"email (SMTP): {where} timed out after {timeout_s():g} s", retryable=True)
    except ConnectionRefusedError:
        return Delivery(False, f"email (SMTP): {where} connection refused", retryable=True)
    except (smtplib.SMTPException, OSError) as exc:  # disconnected, TLS handshake broken, unreachable
        return Delivery(False, f"email (SMTP): {where} connection failed: {type(exc).__name__}", retryable=True)
    if refused:  # only with several recipients; we send one
        return _coded(where, "refused the recipient", next(iter(refused.values()))[0])
    return Delivery(True, f"email (SMTP): {where} accepted ({mode})", reference=mail["Message-ID"])


def _connect(host: str, port: int, mode: str, ca_file: str) -> "smtplib.SMTP":
    import smtplib
    import ssl

    context = ssl.create_default_context(cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if mode == "implicit":
        return smtplib.SMTP_SSL(host, port, timeout=timeout_s(), context=context)
    server = smtplib.SMTP(host, port, timeout=timeout_s())
    try:
        server.ehlo()
        if mode == "starttls":
            server.starttls(context=context)  # raises SMTPNotSupportedError when not offered
            server.ehlo()
    except BaseException:
        server.close()
        raise
    return server


def _coded(where: str, what: str, code: int) -> Delivery:
    retryable = 400 <= int(code) < 500
    return Delivery(False, f"email (SMTP): {where} {what}: {code}", retryable=retryable)

"""Notifications: chat webhook (mocked with responses) and SMTP (a local stub server)."""

from __future__ import annotations

import email
import json
import socket
import threading

import pytest
import responses

from papertally import notify
from papertally.config import Notify

HOOK = "https://hooks.example.org/services/T000/B000/SECRETTOKEN"


def summary(failures=(), needs_review=0, second_look=0):
    return {
        "run_id": 7,
        "started_at": "2026-11-28T02:00:00+09:00",
        "finished_at": "2026-11-28T02:03:00+09:00",
        "failures": [
            {"step": "harvest", "what": f, "reason": "HTTP 503 from the source"}
            for f in failures
        ],
        "matching": {"needs_review": needs_review, "second_look": second_look},
        "review_queue": 12,
        "tally": [
            {
                "fiscal_year": 2026,
                "papers_confirmed": 4,
                "papers_pending": 2,
                "target_total": 30,
            }
        ],
    }


def with_notify(settings, **kw):
    return settings.model_copy(update={"notify": Notify(**kw)})


def test_nothing_to_tell_sends_nothing():
    assert notify.message_for(summary(), Notify(webhook_url=HOOK)) is None


def test_message_names_failures_and_new_review_items():
    subject, text = notify.message_for(
        summary(["paperlists CVPR 2025"], needs_review=3), Notify()
    )
    assert subject == "papertally run 7: 1 failure(s), 3 new link(s) to review"
    assert "FAILED harvest paperlists CVPR 2025: HTTP 503 from the source" in text
    assert (
        "review queue: 12 link(s) waiting (3 new, 0 flagged for a second look)" in text
    )
    assert "FY2026: 4 confirmed, 2 pending, target 30" in text


def test_switches_limit_what_is_told():
    cfg = Notify(on_new_review=False)
    assert notify.message_for(summary(needs_review=3), cfg) is None
    cfg = Notify(on_failure=False)
    assert notify.message_for(summary(["x"]), cfg) is None


@responses.activate
def test_slack_webhook_gets_the_text(settings):
    responses.post(HOOK, json={"ok": True})
    results = notify.notify(
        with_notify(settings, webhook_url=HOOK), summary(["paperlists CVPR 2025"])
    )
    assert results == ["webhook hooks.example.org: sent"]
    body = json.loads(responses.calls[0].request.body)
    assert (
        set(body) == {"text"} and "FAILED harvest paperlists CVPR 2025" in body["text"]
    )


@responses.activate
def test_teams_webhook_gets_a_message_card(settings):
    responses.post(HOOK, status=200)
    notify.notify(
        with_notify(settings, webhook_url=HOOK, webhook_style="teams"),
        summary(needs_review=2),
    )
    body = json.loads(responses.calls[0].request.body)
    assert body["@type"] == "MessageCard" and body["title"].endswith(
        "2 new link(s) to review"
    )
    assert "<br>" in body["text"]


@responses.activate
def test_failing_webhook_is_reported_not_raised_and_hides_the_secret(settings):
    responses.post(HOOK, status=500)
    results = notify.notify(with_notify(settings, webhook_url=HOOK), summary(["x"]))
    assert len(results) == 1 and results[0].startswith(
        "webhook hooks.example.org: failed: HTTPError"
    )
    assert "SECRETTOKEN" not in results[0]


class SmtpStub:
    """A minimal SMTP server on 127.0.0.1 that keeps each message it receives."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.messages: list[dict] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _ = self.sock.accept()
        with conn, conn.makefile("rb") as rfile:

            def say(line):
                conn.sendall(line.encode() + b"\r\n")

            say("220 stub ESMTP")
            mail = {"rcpt": []}
            while True:
                line = rfile.readline().decode().rstrip("\r\n")
                verb = line.split(" ")[0].upper()
                if verb in ("EHLO", "HELO"):
                    say("250 stub")
                elif verb == "MAIL":
                    mail["from"] = line
                    say("250 OK")
                elif verb == "RCPT":
                    mail["rcpt"].append(line)
                    say("250 OK")
                elif verb == "DATA":
                    say("354 end with .")
                    data = []
                    while (chunk := rfile.readline()) not in (b".\r\n", b""):
                        data.append(chunk)
                    mail["data"] = b"".join(data)
                    self.messages.append(mail)
                    say("250 queued")
                elif verb == "QUIT":
                    say("221 bye")
                    return
                else:
                    say("250 OK")

    def close(self):
        self.sock.close()


@pytest.fixture
def smtp():
    stub = SmtpStub()
    yield stub
    stub.close()


def test_email_reaches_the_smtp_server(settings, smtp):
    s = with_notify(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        mail_from="papertally@example.org",
        mail_to=("office@example.org", "lead@example.org"),
    )
    results = notify.notify(s, summary(["paperlists CVPR 2025"], needs_review=1))
    smtp.thread.join(5)
    assert results == [
        f"e-mail via 127.0.0.1:{smtp.port} to office@example.org, lead@example.org: sent"
    ]
    (mail,) = smtp.messages
    assert len(mail["rcpt"]) == 2
    msg = email.message_from_bytes(mail["data"])
    assert msg["Subject"] == "papertally run 7: 1 failure(s), 1 new link(s) to review"
    assert (
        "FAILED harvest paperlists CVPR 2025" in msg.get_payload(decode=True).decode()
    )


def test_unreachable_smtp_is_reported(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    cfg = with_notify(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="a@example.org",
        mail_to=("b@example.org",),
    )
    (result,) = notify.notify(cfg, summary(["x"]))
    assert ": failed: ConnectionRefusedError" in result


def test_config_rejects_smtp_without_addresses(tmp_path):
    from papertally.config import load_settings
    from papertally.errors import ConfigError

    p = tmp_path / "c.toml"
    p.write_text('[notify]\nsmtp_host = "mail.example.org"\n', encoding="utf-8")
    with pytest.raises(
        ConfigError, match="notify: smtp_host is set: mail_from and mail_to are needed"
    ):
        load_settings(p)

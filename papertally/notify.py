"""Telling people about a nightly run: a chat webhook (Slack/Teams style) or SMTP e-mail."""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage

import requests

from papertally.config import Notify, Settings


def message_for(summary: dict, cfg: Notify) -> tuple[str, str] | None:
    """(subject, text) when the run is worth telling about, else None.

    Worth telling: any failure (if on_failure), or links newly sent to review or flagged
    for a second look (if on_new_review).
    """
    failures = summary.get("failures", [])
    m = summary.get("matching") or {}
    new_review = m.get("needs_review", 0) + m.get("second_look", 0)
    reasons = []
    if cfg.on_failure and failures:
        reasons.append(f"{len(failures)} failure(s)")
    if cfg.on_new_review and new_review:
        reasons.append(f"{new_review} new link(s) to review")
    if not reasons:
        return None
    subject = f"papertally run {summary['run_id']}: " + ", ".join(reasons)
    lines = [
        subject,
        f"started {summary['started_at']}, finished {summary['finished_at']}",
    ]
    for f in failures if cfg.on_failure else []:
        lines.append(f"FAILED {f['step']} {f['what']}: {f['reason']}")
    if cfg.on_new_review and new_review:
        lines.append(
            f"review queue: {summary.get('review_queue')} link(s) waiting "
            f"({m.get('needs_review', 0)} new, {m.get('second_look', 0)} flagged for a second look)"
        )
    for t in summary.get("tally", []):
        lines.append(
            f"FY{t['fiscal_year']}: {t['papers_confirmed']} confirmed, {t['papers_pending']} pending"
            + ("" if t["target_total"] is None else f", target {t['target_total']}")
        )
    return subject, "\n".join(lines)


def webhook_payload(style: str, subject: str, text: str) -> dict:
    """The JSON body of a Slack incoming webhook ({"text"}) or a Teams MessageCard."""
    if style == "teams":
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": subject,
            "title": subject,
            "text": text.replace("\n", "<br>"),
        }
    return {"text": text}


def send_webhook(
    url: str, style: str, subject: str, text: str, *, timeout: float = 15
) -> None:
    """POST the message; raises requests.RequestException on a network or HTTP error."""
    resp = requests.post(
        url, json=webhook_payload(style, subject, text), timeout=timeout
    )
    resp.raise_for_status()


def send_mail(cfg: Notify, subject: str, text: str, *, timeout: float = 30) -> None:
    """Send the message by SMTP; raises OSError/smtplib.SMTPException on failure."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = cfg.mail_from
    msg["To"] = ", ".join(cfg.mail_to)
    msg.set_content(text)
    with smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=timeout) as smtp:
        if cfg.smtp_starttls:
            smtp.starttls()
        if cfg.smtp_user:
            password = os.environ.get(cfg.smtp_password_env or "", "")
            smtp.login(cfg.smtp_user, password)
        smtp.send_message(msg)


def _where(url: str) -> str:
    # Webhook URLs embed their secret in the path: name only the host in messages.
    return url.split("/")[2] if "//" in url else "the webhook"


def notify(settings: Settings, summary: dict) -> list[str]:
    """Send the configured notifications for this run; never raises.

    Returns one line per channel ("webhook hooks.slack.com: sent", "e-mail ...: failed: ...")
    so that the run summary shows whether people were told.
    """
    cfg = settings.notify
    if not (cfg.webhook_url or cfg.smtp_host):
        return []
    message = message_for(summary, cfg)
    if message is None:
        return []
    subject, text = message
    results = []
    if cfg.webhook_url:
        where = f"webhook {_where(cfg.webhook_url)}"
        try:
            send_webhook(
                cfg.webhook_url,
                cfg.webhook_style,
                subject,
                text,
                timeout=settings.http.timeout_seconds,
            )
            results.append(f"{where}: sent")
        except requests.RequestException as exc:
            results.append(
                f"{where}: failed: {type(exc).__name__}: {exc}".replace(
                    cfg.webhook_url, "<url>"
                )
            )
    if cfg.smtp_host:
        where = (
            f"e-mail via {cfg.smtp_host}:{cfg.smtp_port} to {', '.join(cfg.mail_to)}"
        )
        try:
            send_mail(cfg, subject, text, timeout=settings.http.timeout_seconds)
            results.append(f"{where}: sent")
        except (OSError, smtplib.SMTPException) as exc:
            results.append(f"{where}: failed: {type(exc).__name__}: {exc}")
    return results

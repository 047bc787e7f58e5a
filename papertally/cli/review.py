"""`papertally review ...` and `papertally user ...`: the review queue from a terminal, and staff accounts."""

from __future__ import annotations

import shlex
import sys

import click

from db.links import QUEUE_STATUSES
from papertally.cli.common import (
    Context,
    echo_json,
    format_option,
    limit_option,
    no_control_characters,
    pass_ctx,
    require_staff,
    venue_option,
    year_option,
)
from papertally.errors import PapertallyError


@click.group()
def review() -> None:
    """Resolve the links the matcher was unsure about: in a browser or from here.

    \b
    Example:
      papertally review list
      papertally review accept 42 --by sato --reason "ORCID matches"
      papertally review serve
    """


def _name(row: dict) -> str:
    return f"{row['family_name']} {row['given_name'] or ''}".strip()


@review.command("list")
@format_option("table", "json")
@click.option(
    "--status",
    type=click.Choice(QUEUE_STATUSES),
    default="pending",
    show_default=True,
    help="pending = needs review or flagged for a second look.",
)
@click.option("--theme", help="Only this theme (e.g. T01).")
@venue_option(help="Only this venue (e.g. CVPR).")
@year_option(help="Only this conference year.")
@click.option("--member", help="Only this member (person_id).")
@limit_option(None, "Items per page (default: [review] page_size, 50).")
@click.option(
    "--page",
    type=click.IntRange(1, None),
    default=1,
    show_default=True,
    help="Which page of the queue to show (pages of --limit items).",
)
@pass_ctx
def list_cmd(ctx: Context, fmt, status, theme, venue, year, member, limit, page) -> None:
    """The review queue, most important first (themes short of their target this fiscal
    year, then by score), each item with its link_id, one page at a time as in the
    browser; the last line says which items are shown and how to see the next page.

    \b
    Example:
      papertally review list --theme T01
      papertally review list --page 2
      papertally review list --format json | jq '.[0].link_id'
    """
    import math

    from db import links as links_db
    from review.service import short_themes

    filters = {"status": status, "theme": theme, "venue": venue, "year": year, "person_id": member}
    size = limit or ctx.settings.review.page_size
    total = links_db.queue_length(ctx.db, **filters)
    last_page = max(1, math.ceil(total / size))
    if page > last_page:
        raise PapertallyError(
            f"page {page} is past the end of the queue: {total} item(s) make "
            f"{last_page} page(s) of {size}; try --page {last_page}"
        )
    # One page from SQL (the query the browser's queue pages with), never the whole queue.
    rows = links_db.review_queue(
        ctx.db,
        size,
        offset=(page - 1) * size,
        **filters,
        short_themes=short_themes(ctx.db, ctx.settings),
    )
    first = (page - 1) * size
    shown = f"showing {first + 1}-{first + len(rows)} of {total}" if rows else "showing 0 of 0"
    if page < last_page:
        options = {"--status": status if status != "pending" else None, "--theme": theme,
                   "--venue": venue, "--year": year, "--member": member, "--limit": limit,
                   "--format": fmt if fmt != "table" else None}
        again = " ".join(f"{k} {shlex.quote(str(v))}" for k, v in options.items() if v is not None)
        shown += f"; next: papertally review list {again + ' ' if again else ''}--page {page + 1}"
    if fmt == "json":
        keys = (
            "link_id",
            "status",
            "second_look",
            "score",
            "short",
            "paper_id",
            "title",
            "venue",
            "year",
            "doi",
            "person_id",
            "family_name",
            "given_name",
            "name_ja",
            "theme_id",
            "mention",
            "explanation",
            "decided_by",
            "decided_at",
            "decision_action",
        )
        echo_json([{k: r[k] for k in keys} for r in rows])
        click.echo(shown, err=True)  # stdout stays one JSON document
        return
    if not rows:
        click.echo("Nothing to review with these filters.")
        return
    click.echo(
        f"{'link_id':>7} {'score':>5} {'theme':<6} {'member':<22} {'venue':<12} title"
    )
    for r in rows:
        flag = "*" if r["short"] else " "
        second = " [second look]" if r["second_look"] else ""
        click.echo(
            f"{r['link_id']:>7} {r['score']:>5.2f} {r['theme_id'] + flag:<6} {_name(r)[:22]:<22} "
            f"{r['venue'] + ' ' + str(r['year']):<12} {r['title'][:70]}{second}"
        )
    click.echo(f"{shown}; * = theme still short of its target this fiscal year")


def _decide(
    ctx: Context, link_id: int, action: str, by: str, reason: str | None
) -> None:
    from db import links as links_db

    require_staff(ctx, by)
    no_control_characters("--reason", reason)
    row = links_db.decide(ctx.db, link_id, action, by, reason)
    if row.get("repeated"):
        click.echo(
            f"link {link_id}: already {action} by {row['decided_by']} at {row['decided_at']} "
            f"(decision {row['decision_id']}); nothing written (to change its reason, undo it first)"
        )
        return
    click.echo(
        f"link {link_id}: {action} by {row['decided_by']} -> {row['status_after']} "
        f"(decision {row['decision_id']})"
    )


def _decision_command(action: str, verb: str):
    @click.argument("link_id", type=int)
    @click.option(
        "--by", required=True, help="Who decides (your name, as in the audit log)."
    )
    @click.option("--reason", default=None, help="Why (kept in the audit log).")
    @pass_ctx
    def command(ctx: Context, link_id: int, by: str, reason: str | None) -> None:
        _decide(ctx, link_id, action, by, reason)

    command.__doc__ = f"""{verb}; the decision stays until undone and is never changed
    by a harvest or a re-match.

    \b
    Example:
      papertally review {action} 42 --by sato --reason "same ORCID as the roster"
    """
    return review.command(action)(command)


accept = _decision_command("accept", "Accept (confirm) a link")
reject = _decision_command("reject", "Reject a link")
unsure = _decision_command("unsure", "Mark a link as not sure (it stays in the queue)")


@review.command()
@click.argument("link_id", type=int)
@click.option("--by", required=True, help="Who undoes it.")
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@pass_ctx
def undo(ctx: Context, link_id: int, by: str, reason: str | None) -> None:
    """Undo the decision in force on a link: a new audit row restores the state before it.

    \b
    Example:
      papertally review undo 42 --by sato
    """
    _decide(ctx, link_id, "undo", by, reason)


@review.command()
@click.argument("paper_id")
@click.option("--by", required=True, help="Who decides (your name, as in the audit log).")
@click.option("--reason", required=True, help="Why the paper is the program's (audited).")
@click.option("--withdraw", is_flag=True, help="Withdraw an earlier confirmation instead.")
@pass_ctx
def attribute(ctx: Context, paper_id: str, by: str, reason: str, withdraw: bool) -> None:
    """Confirm that a paper is the program's when its full text cannot show it.

    Under [program] attribution = "acknowledgement" a paper with a confirmed member counts
    only when its full text names the program's grant number, or staff confirm it here
    (no open full text; acknowledgement only in the camera-ready). Append-only: each call
    is a new audit row; --withdraw cancels an earlier confirmation.

    \b
    Example:
      papertally review attribute P1a2b3c4d5e6f708 --by sato \\
        --reason "camera-ready acknowledges JPNP20006 (publisher PDF, p.9)"
    """
    from papertally.enrichment import decide_attribution

    d = decide_attribution(ctx.db, paper_id, by=by, reason=reason, withdraw=withdraw)
    click.echo(
        f"paper {paper_id} ({d['title'][:60]}): attribution {'withdrawn' if withdraw else 'confirmed'} by {by} "
        f"(decision {d['decision_id']}; {d['evidence_seen']})"
    )


@review.command()
@click.option("--link", "link_id", type=int, help="Only this link.")
@click.option("--by", "decided_by", help="Only decisions by this person.")
@limit_option(100, "At most this many decisions.")
@format_option("table", "json")
@pass_ctx
def log(ctx: Context, link_id, decided_by, limit, fmt) -> None:
    """The audit trail: every decision, newest first (who, when, what, why, score shown).

    \b
    Example:
      papertally review log --link 42
      papertally review log --by sato --format json
    """
    from db.links import recent_decisions

    rows = recent_decisions(ctx.db, limit=limit, decided_by=decided_by, link_id=link_id)
    if fmt == "json":
        echo_json(rows)
        return
    if not rows:
        click.echo("No decisions recorded.")
        return
    for d in rows:
        reason = f' "{d["reason"]}"' if d["reason"] else ""
        sup = f" (supersedes {d['supersedes']})" if d["supersedes"] else ""
        score = "" if d["score_shown"] is None else f" score {d['score_shown']:.2f}"
        click.echo(
            f"#{d['decision_id']} {d['decided_at']} {d['decided_by']}: {d['action']} link "
            f"{d['link_id']} -> {d['status_after']}{sup}{score}{reason} | {_name(d)} | {d['title'][:60]}"
        )


@review.command()
@click.option(
    "--host",
    default=None,
    help="Address to listen on (default: [review] host, 127.0.0.1).",
)
@click.option(
    "--port", type=int, default=None, help="Port (default: [review] port, 8765)."
)
@pass_ctx
def serve(ctx: Context, host: str | None, port: int | None) -> None:
    """Serve the review web page. Staff log in with accounts from `papertally user add`.

    \b
    Example:
      papertally review serve                      # http://127.0.0.1:8765/
      papertally review serve --host 0.0.0.0 --port 8080
    """
    import uvicorn

    from review.app import create_app, server_options

    settings = ctx.settings
    app = create_app(settings, ctx.db_path)
    host = host or settings.review.host
    port = port or settings.review.port
    click.echo(f"papertally review on http://{host}:{port}/ (Ctrl+C to stop)", err=True)
    # Behind the reverse proxy named in [review] forwarded_allow_ips, its X-Forwarded-For
    # gives the client address the login limits count and X-Forwarded-Proto: https makes
    # cookies Secure; with no proxy named (the default) those headers are ignored.
    uvicorn.run(app, host=host, port=port, log_level="warning", **server_options(settings))


@click.group()
def user() -> None:
    """Staff accounts for the review web page.

    \b
    Example:
      papertally user add sato
      echo "$PASSWORD" | papertally user add robot --password-stdin
    """


@user.command("add")
@click.argument("name")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (for scripts).",
)
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Page language for this person (default: the browser's).",
)
@pass_ctx
def user_add(ctx: Context, name: str, password_stdin: bool, lang: str | None) -> None:
    """Create a staff account (or set a new password for an existing one). The password is
    stored only as an argon2id hash.

    \b
    Example:
      papertally user add sato --lang ja
    """
    from db.accounts import add_user
    from review.auth import MIN_PASSWORD, hash_password

    no_control_characters("the name", name)

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            f"Password for {name}", hide_input=True, confirmation_prompt=True
        )
    if len(password) < MIN_PASSWORD:
        raise PapertallyError(
            f"the password is too short: use at least {MIN_PASSWORD} characters"
        )
    created = add_user(ctx.database(create=True), name, hash_password(password), lang)
    click.echo(f"user {name}: {'created' if created else 'password updated'}")


@user.command("list")
@pass_ctx
def user_list(ctx: Context) -> None:
    """Staff accounts (names and languages; never passwords).

    \b
    Example:
      papertally user list
    """
    from db.accounts import list_users

    for u in list_users(ctx.db):
        click.echo(
            f"{u['name']:<20} {u['lang'] or 'browser':<8} since {u['created_at']}"
        )


@user.command("logins")
@limit_option(50, "At most this many login attempts.", maximum=10_000)
@pass_ctx
def user_logins(ctx: Context, limit: int) -> None:
    """Recent logins to the review page, newest first: ok, failed, refused (locked out) and
    the lockouts themselves, with the client address.

    \b
    Example:
      papertally user logins --limit 20
    """
    from db.accounts import login_attempts

    for a in login_attempts(ctx.db, limit):
        detail = f"  {a['detail']}" if a["detail"] else ""
        cleared = "  (cleared by a later login)" if a["cleared_at"] else ""
        click.echo(
            f"{a['at']} {a['outcome']:<8} {a['name'][:40]!r:<22} from {a['client']}{detail}{cleared}"
        )


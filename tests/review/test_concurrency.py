"""Two staff deciding at once while a harvest and a re-match write: nothing lost, nothing corrupted."""

from __future__ import annotations

import threading

import requests

from db.links import store_candidates
from db.papers import store_records
from db.schema import open_db

N_EXTRA = 30  # extra items in the queue, so that both reviewers race over many links
N_HARVEST = 400  # papers the harvest stores meanwhile


def test_two_reviewers_a_harvest_and_a_rematch_at_once(
    review_app, db, web, data, tmp_path
):
    server, _, _ = review_app
    extra = [
        data.paper(
            f"x{i}",
            f"Extra robotics paper {i}",
            [data.author("Hiroshi Tanaka", 1, "University of Tokyo")],
        )
        for i in range(N_EXTRA)
    ]
    store_records(db, extra, None)
    paper_of = {
        r["source_id"]: r["paper_id"]
        for r in db.query("SELECT source_id, paper_id FROM source_records")
    }
    # The nightly re-match proposes every link again, the machine now saying "confirmed".
    # (a full pass: the links already stored are proposed again, as a real re-match does)
    rematch = [
        data.candidate(
            r["paper_id"], r["person_id"], r["mention"], r["score"], r["status"]
        )
        for r in db.query("SELECT * FROM links")
    ]
    rematch += [
        data.candidate(paper_of[f"x{i}"], "p001", f"paperlists:x{i}#1", 0.5 + i / 100)
        for i in range(N_EXTRA)
    ]
    store_candidates(db, rematch, "test")
    pending = [
        r["link_id"]
        for r in db.query("SELECT link_id FROM links WHERE status = 'needs_review'")
    ]
    assert len(pending) == N_EXTRA + 5
    rematch_confirmed = [
        data.candidate(c.paper_id, c.person_id, c.mention_key, 0.99, status="confirmed")
        for c in rematch
    ]

    errors: list[str] = []
    outcomes: dict[str, dict[int, int]] = {"sato": {}, "tanaka": {}}
    start = threading.Barrier(4)

    def reviewer(name: str, action: str, order: list[int]) -> None:
        try:
            session, token = web.login(server.url, name)
            start.wait()
            for link_id in order:
                r = session.post(
                    f"{server.url}/links/{link_id}/decide",
                    data={
                        "csrf_token": token,
                        "action": action,
                        "seen_decision": "",
                        "reason": name,
                    },
                    headers={"Origin": server.url},
                    allow_redirects=False,
                    timeout=60,
                )
                outcomes[name][link_id] = r.status_code
                if r.status_code == 409:
                    assert f"#{link_id}" in r.text and (
                        "開いた後" in r.text if name == "sato" else "after you opened it" in r.text
                    )
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(f"{name}: {exc!r}")

    harvested = {}

    def harvest() -> None:
        try:
            hdb = open_db(tmp_path / "papertally.db")
            records = [
                data.paper(
                    f"h{i}",
                    f"Harvested paper {i}",
                    [data.author(f"Author {i}", 1, "Somewhere")],
                    venue="ICRA",
                    year=2023,
                )
                for i in range(N_HARVEST)
            ]
            start.wait()
            counts = store_records(
                hdb, records, None, batch_size=20
            )  # 20 short transactions
            harvested["counts"] = counts
            hdb.close()
        except Exception as exc:  # noqa: BLE001
            errors.append(f"harvest: {exc!r}")

    def rematcher() -> None:
        try:
            mdb = open_db(tmp_path / "papertally.db")
            start.wait()
            for _ in range(5):
                store_candidates(mdb, rematch_confirmed, "test-2")
            mdb.close()
        except Exception as exc:  # noqa: BLE001
            errors.append(f"rematch: {exc!r}")

    threads = [
        threading.Thread(target=reviewer, args=("sato", "accept", pending)),
        threading.Thread(
            target=reviewer, args=("tanaka", "reject", list(reversed(pending)))
        ),
        threading.Thread(target=harvest),
        threading.Thread(target=rematcher),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)

    # every request got a clear answer: decided (303) or "someone else decided it" (409)
    for codes in outcomes.values():
        assert set(codes.values()) <= {303, 409}, codes
        assert len(codes) == len(pending)
    for link_id in pending:
        codes = sorted([outcomes["sato"][link_id], outcomes["tanaka"][link_id]])
        assert codes == [303, 409], (link_id, codes)

    # nothing lost: one decision per link, by the reviewer whose request won
    rows = list(
        db.query(
            "SELECT link_id, decided_by, status_after FROM decisions ORDER BY decision_id"
        )
    )
    assert len(rows) == len(pending)
    assert {r["link_id"] for r in rows} == set(pending)
    for r in rows:
        assert outcomes[r["decided_by"]][r["link_id"]] == 303
        link = db.execute(
            "SELECT status, decision_id FROM links WHERE link_id = ?", [r["link_id"]]
        ).fetchone()
        # the re-match never overwrote a staff decision
        assert link[0] == r["status_after"] and link[1] is not None

    # the harvest stored everything
    assert harvested["counts"].new == N_HARVEST
    assert (
        db.execute("SELECT count(*) FROM papers WHERE venue = 'ICRA'").fetchone()[0]
        == N_HARVEST
    )
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    # and the web app still answers
    s, _ = web.login(server.url, "sato")
    assert s.get(server.url + "/summary").status_code == 200
    assert requests.get(server.url + "/healthz").text == "ok"

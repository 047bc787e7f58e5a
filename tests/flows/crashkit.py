"""Child process for the crash tests: run the nightly steps, and in a chosen step stop at a
chosen point (printing KILL-ME) so that the test can SIGKILL it there.

usage: python crashkit.py none|harvest|match|export|cli-harvest CONFIG DB

cli-harvest: `papertally harvest --from` the CVPR 2024 sample (no nightly run around it),
stopped mid-harvest like "harvest".
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def wait_to_be_killed(where: str) -> None:
    print(f"KILL-ME {where}", flush=True)
    time.sleep(120)
    sys.exit(3)  # not killed: the test failed to do its part


def arm(mode: str) -> None:
    if mode == "harvest":
        # Small batches, and stop inside the third: two batches committed, and the third's
        # rows all written in its transaction but not committed.
        from db import papers

        papers.store_records.__kwdefaults__["batch_size"] = 20
        original, calls = papers._store_batch, [0]

        def store_batch(db, records, *args):
            calls[0] += 1
            if calls[0] == 3:
                conn, plain = db.conn, db.conn.executemany

                def executemany(sql, rows):
                    cursor = plain(sql, rows)
                    if sql is papers._INSERT_AUTHORSHIP:
                        wait_to_be_killed("harvest")
                    return cursor

                conn.executemany = executemany
            return original(db, records, *args)

        papers._store_batch = store_batch
    elif mode == "match":
        # Every candidate written inside the matching transaction, then stop before COMMIT.
        from matching import match as matcher

        original_match_all = matcher.match_all

        def match_all(*args, **kwargs):
            yield from original_match_all(*args, **kwargs)
            wait_to_be_killed("match")

        matcher.match_all = match_all
    elif mode == "export":
        # Half an xlsx written to the temporary file, then stop before the rename.
        from papertally import exports

        def half_xlsx(data, path):
            path.write_bytes(b"PK\x03\x04 half an xlsx")
            wait_to_be_killed("export")

        exports._write_xlsx = half_xlsx


def cli_harvest(config: str, db_path: str) -> None:
    from papertally.cli import main as papertally

    arm("harvest")
    sample = Path(__file__).resolve().parents[2] / "examples/sample/paperlists_cvpr2024.json"
    papertally(["--config", config, "--db", db_path, "harvest", "--source", "paperlists",
                "--venue", "CVPR", "--year", "2024", "--from", str(sample)])


def main(mode: str, config: str, db_path: str) -> None:
    from flows import nightly as fl
    from papertally.config import load_settings
    from papertally.errors import PapertallyError
    from papertally.steps import failure

    arm(mode)
    begun = fl.begin.fn(config, db_path, "crash-test", None)
    harvests, failures = [], []
    for job in load_settings(config).harvest:
        try:
            harvests.append(
                fl.harvest.fn(config, db_path, job.source, job.venue, job.year, True)
            )
        except PapertallyError as exc:
            failures.append(
                failure("harvest", f"{job.source} {job.venue} {job.year}", exc)
            )
    matching = fl.match.fn(config, db_path)
    tallied = fl.tally_export.fn(config, db_path, begun["run_id"], begun["database"])
    summary = fl.finish.fn(
        config,
        db_path,
        begun,
        trigger="crash-test",
        offline=True,
        flow_run_id=None,
        harvests=harvests,
        matching=matching,
        tallied=tallied,
        failures=failures,
    )
    print(
        f"DONE run {summary['run_id']} failures {len(summary['failures'])}", flush=True
    )


if __name__ == "__main__":
    if sys.argv[1] == "cli-harvest":
        cli_harvest(*sys.argv[2:4])
    else:
        main(*sys.argv[1:4])

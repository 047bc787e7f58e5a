"""The nightly Prefect flow: harvest every configured venue-year, match, tally, export, report.

Only wiring: each task calls a plain step of papertally.steps (which calls harvesters/,
matching/ and db/ through papertally.harvesting and papertally.pipeline). Nothing runs at
import time: the config is read and the database opened inside the tasks.
"""

from __future__ import annotations

import logging

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.runtime import flow_run
from prefect.states import Failed, State

from db.connection import DatabaseBusy, DatabaseFault
from papertally import harvesting, steps

# Results are never cached or persisted: a harvest must run every night, and results
# stored under PREFECT_HOME would leak from one run (or test) into the next.
_TASK = {"cache_policy": NO_CACHE, "persist_result": False}


@task(name="begin", **_TASK)
def begin(
    config_path: str, db_path: str | None, trigger: str, flow_run_id: str | None
) -> dict:
    return steps.begin_step(config_path, db_path, trigger, flow_run_id)


def _worth_retrying(task, task_run, state) -> bool:
    # A source that is down (refused, no DNS) fails the job at once: no 60-s waits. So does
    # a database that is gone, replaced, read-only or full (a lock may clear: retried).
    exc = state.result(raise_on_failure=False)
    if isinstance(exc, DatabaseFault) and not isinstance(exc, DatabaseBusy):
        return False
    return harvesting.worth_retrying(exc)


@task(
    name="harvest",
    task_run_name="harvest {source} {venue} {year}",
    # Server-side limit across machines: `prefect concurrency-limit create papertally-harvest N`.
    tags=["papertally-harvest"],
    retries=2,
    retry_delay_seconds=60,
    retry_condition_fn=_worth_retrying,
    **_TASK,
)
def harvest(
    config_path: str,
    db_path: str | None,
    source: str,
    venue: str,
    year: int,
    offline: bool,
) -> dict:
    return steps.harvest_step(config_path, db_path, source, venue, year, offline)


@task(name="match", **_TASK)
def match(config_path: str, db_path: str | None) -> dict:
    return steps.match_step(config_path, db_path)


@task(name="enrich", **_TASK)
def enrich(config_path: str, db_path: str | None, offline: bool) -> dict:
    return steps.enrich_step(config_path, db_path, offline)


@task(name="tally and export", **_TASK)
def tally_export(
    config_path: str, db_path: str | None, run_id: int, database: dict | None = None
) -> dict:
    return steps.tally_export_step(config_path, db_path, run_id, database)


@task(name="summary and notify", **_TASK)
def finish(config_path: str, db_path: str | None, begun: dict, **parts) -> dict:
    return steps.finish_step(config_path, db_path, begun, **parts)


def _reason(state) -> str:
    exc = state.result(raise_on_failure=False)
    return str(exc) if isinstance(exc, BaseException) else (state.message or state.name)


# retries=0, whatever PREFECT_FLOWS_DEFAULT_RETRIES says: a night that ends Failed has already
# run every step (harvests retry on their own), and a flow retry would run the whole night
# again (a second run summary, every harvest again) instead of reporting the first one.
@flow(name="papertally-nightly", log_prints=False, retries=0)
def nightly(
    config_path: str = "config.toml",
    db_path: str | None = None,
    offline: bool = False,
    trigger: str = "manual",
) -> dict | State:
    """Harvest every [[harvest]] job (batched per venue-year, a few at a time, each with
    retries), then match, tally and export; a failed step is reported, the rest still run.
    Returns the run summary (also stored in run_summaries and logged): as the flow run's
    result when every step succeeded (Completed), else inside a Failed state whose message
    says what failed (the flow run ends Failed in Prefect). Call it through run_nightly()
    to get the summary either way."""
    from papertally.config import load_settings

    logger = get_run_logger()
    settings = load_settings(config_path)
    run_ctx_id = flow_run.get_id()
    run_ctx_id = str(run_ctx_id) if run_ctx_id else None
    begun = begin(config_path, db_path, trigger, run_ctx_id)

    harvest_with = harvest.with_options(
        retries=settings.nightly.harvest_retries,
        retry_delay_seconds=settings.nightly.retry_delay_seconds,
    )  # with_options keeps the task's retry_condition_fn (_worth_retrying)
    limit = settings.nightly.harvest_concurrency
    outcomes: list[dict] = []
    failures: list[dict] = []
    jobs = {}
    in_flight = []

    def collect(future) -> None:
        job = jobs[future]
        future.wait()  # sets the final state (without it .state asks the API, which may lag)
        state = future.state
        if state.is_completed():
            outcomes.append(future.result())
        else:
            what = f"{job.source} {job.venue} {job.year}"
            failures.append(steps.failure("harvest", what, _reason(state)))
            logger.error("harvest %s failed: %s", what, failures[-1]["reason"])

    for job in settings.harvest:
        while len(in_flight) >= limit:
            done = next(as_completed(in_flight))
            in_flight.remove(done)
            collect(done)
        future = harvest_with.submit(
            config_path, db_path, job.source, job.venue, job.year, offline
        )
        jobs[future] = job
        in_flight.append(future)
    for future in as_completed(in_flight):
        collect(future)
    order = {(j.source, j.venue, j.year): i for i, j in enumerate(settings.harvest)}
    outcomes.sort(key=lambda o: order.get((o["source"], o["venue"], o["year"]), 0))

    matching = None
    state = match(config_path, db_path, return_state=True)
    if state.is_completed():
        matching = state.result()
    else:
        failures.append(steps.failure("match", "matching", _reason(state)))

    enrichment = None
    if matching is not None:  # candidates come from the links matching just stored
        state = enrich(config_path, db_path, offline, return_state=True)
        if state.is_completed():
            enrichment = state.result()
        else:
            failures.append(steps.failure("enrich", "enrichment", _reason(state)))

    tallied = None
    state = tally_export(
        config_path, db_path, begun["run_id"], begun["database"], return_state=True
    )
    if state.is_completed():
        tallied = state.result()
    else:
        failures.append(steps.failure("tally", "tally and export", _reason(state)))

    summary = finish(
        config_path,
        db_path,
        begun,
        trigger=trigger,
        offline=offline,
        flow_run_id=run_ctx_id,
        harvests=outcomes,
        matching=matching,
        enrichment=enrichment,
        tallied=tallied,
        failures=failures,
    )
    # The run's log holds the summary (Prefect's UI, scheduled nights); `papertally run`
    # prints it itself, so there it is logged at debug level rather than shown twice.
    logger.log(
        logging.DEBUG if trigger == "cli" else logging.INFO,
        "run summary\n%s",
        steps.render_summary(summary),
    )
    if summary["failures"]:
        message = steps.failure_message(summary)
        logger.error("night failed: %s", message)
        return Failed(message=message, data=summary)
    return summary


def run_nightly(**parameters) -> tuple[dict, State]:
    """Run the nightly flow once in this process with `parameters`; returns the run summary
    and the flow run's final state (Failed when any step failed, Completed otherwise).
    Raises what the flow raised when it ended without a summary (e.g. a config that no
    longer loads, or the summary step itself failing)."""
    state = nightly(**parameters, return_state=True)
    summary = state.result(raise_on_failure=False)
    if isinstance(summary, BaseException):
        raise summary
    if not isinstance(summary, dict):
        state.result()  # raises the run's own error
        raise TypeError(
            f"the nightly flow returned {type(summary).__name__}, not a summary"
        )
    return summary, state

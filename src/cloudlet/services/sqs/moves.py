"""Message move tasks: redrive a dead-letter queue's messages back to their sources or to a chosen queue.

A task moves what the dead-letter queue holds when it starts, at the requested
rate per second of Cloudlet's clock (or as fast as it can), one scheduler timer
at a time; tasks are stored, so a running task resumes after a restart.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from cloudlet.context import RequestContext, new_request_id
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.sqs import errors
from cloudlet.services.sqs.state import SqsState, ms
from cloudlet.services.sqs.urls import parse_arn

if TYPE_CHECKING:
    from cloudlet.services.sqs.provider import SqsProvider

UNLIMITED_STEP = 500  # messages per step when no rate is given (then steps follow each other at once)
ACTIVE = ("RUNNING", "CANCELLING")


def _not_found(which: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", f"The resource that you specified for the {which} parameter doesn't exist."
    )


class MoveTasks:
    def __init__(self, provider: SqsProvider) -> None:
        self.provider = provider
        self.timers: dict[str, Any] = {}  # task key -> its pending timer

    @property
    def runtime(self) -> Any:
        return self.provider.runtime

    def _queue(self, arn: str, which: str) -> tuple[SqsState, dict]:
        address = parse_arn(arn)
        if address is None:
            raise errors.invalid_parameter(
                f"You must use this format to specify the {which}: "
                "arn:<partition>:<service>:<region>:<account-id>:<resource-id>"
            )
        state = self.provider.state(address.account, address.region)
        queue = state.queues.get(address.name)
        if queue is None:
            raise _not_found(which)
        return state, queue

    # --- operations ------------------------------------------------------------------------------

    def start(self, ctx: RequestContext, params: dict) -> dict:
        source_arn = params["SourceArn"]
        state, source = self._queue(source_arn, "SourceArn")
        is_dead_letter_queue = any(
            json.loads(queue["attributes"]["RedrivePolicy"]).get("deadLetterTargetArn") == source_arn
            for _, queue in state.queues.items() if queue["attributes"].get("RedrivePolicy")
        )
        if not is_dead_letter_queue:
            raise errors.invalid_parameter("Source queue must be configured as a Dead Letter Queue.")
        destination_arn = params.get("DestinationArn")
        if destination_arn:
            self._queue(destination_arn, "DestinationArn")
        rate = params.get("MaxNumberOfMessagesPerSecond")
        if rate is not None and not 1 <= rate <= 500:
            raise errors.invalid_value(
                "MaxNumberOfMessagesPerSecond", rate, "MaxNumberOfMessagesPerSecond must be between 1 and 500."
            )
        for _, task in state.tasks.items(prefix=f"{source_arn} "):
            if task["status"] in ACTIVE:
                raise errors.invalid_parameter(
                    "There is already a task running. Only one active task is allowed for a source queue arn at a "
                    "given time."
                )
        now = self.provider.now()
        visible, _, _ = self.provider.open(state, source, now).counts()
        key = f"{source_arn} {ms(now)} {new_request_id()}"
        task = {"status": "RUNNING", "source": source_arn, "started": now, "moved": 0, "to_move": visible}
        if destination_arn:
            task["destination"] = destination_arn
        if rate is not None:
            task["rate"] = rate
        state.tasks.put(key, task)
        self._schedule(state.account, state.region, key, 0)
        return {"TaskHandle": _handle(key)}

    def cancel(self, ctx: RequestContext, params: dict) -> dict:
        handle = params["TaskHandle"]
        key = _key(handle)
        if key is None:
            raise errors.invalid_parameter("Value for parameter TaskHandle is invalid.")
        state, _ = self._queue(key.split(" ", 1)[0], "SourceArn")
        task = state.tasks.get(key)
        if task is None:
            raise ServiceError("ResourceNotFoundException", "Task does not exist.")
        if task["status"] != "RUNNING":
            raise errors.invalid_parameter("Only tasks with status RUNNING can be cancelled.")
        task["status"] = "CANCELLED"
        state.tasks.put(key, task)
        timer = self.timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        return {"ApproximateNumberOfMessagesMoved": task["moved"]}

    def list(self, ctx: RequestContext, params: dict) -> dict:
        source_arn = params["SourceArn"]
        state, _ = self._queue(source_arn, "SourceArn")
        limit = params.get("MaxResults")
        if limit is None:
            limit = 1
        elif not 1 <= limit <= 10:
            raise errors.invalid_value("MaxResults", limit, "Value must be between 1 and 10.")
        results = []
        for key, task in state.tasks.items(prefix=f"{source_arn} ", reverse=True, limit=limit):
            entry = {
                "Status": task["status"],
                "SourceArn": task["source"],
                "ApproximateNumberOfMessagesMoved": task["moved"],
                "ApproximateNumberOfMessagesToMove": task["to_move"],
                "StartedTimestamp": task["started"],
            }
            if task["status"] == "RUNNING":
                entry["TaskHandle"] = _handle(key)
            if "destination" in task:
                entry["DestinationArn"] = task["destination"]
            if "rate" in task:
                entry["MaxNumberOfMessagesPerSecond"] = task["rate"]
            if "failure" in task:
                entry["FailureReason"] = task["failure"]
            results.append(entry)
        return {"Results": results}

    # --- running ---------------------------------------------------------------------------------

    def _schedule(self, account: str, region: str, key: str, delay: float) -> None:
        self.timers[key] = self.runtime.scheduler.call_later(delay, self._step, account, region, key)

    def _step(self, account: str, region: str, key: str) -> None:
        """Move one second's worth of messages (or one chunk), then schedule the next step."""
        self.timers.pop(key, None)
        provider = self.provider
        with self.runtime.db.transaction():
            state = provider.state(account, region)
            task = state.tasks.get(key)
            if task is None or task["status"] != "RUNNING":
                return
            address = parse_arn(task["source"])
            source = state.queues.get(address.name)
            if source is None:
                task.update(status="FAILED", failure="AWS.SimpleQueueService.NonExistentQueue")
                state.tasks.put(key, task)
                return
            now = provider.now()
            delivery = provider.delivery(state, source, now)
            budget = min(task.get("rate", UNLIMITED_STEP), task["to_move"] - task["moved"])
            moved = 0
            for seq in delivery.index.due(now):
                if moved >= budget:
                    break
                message = delivery.get(seq)
                if message is None:
                    continue
                target_arn = task.get("destination") or message.get("src")
                target = parse_arn(target_arn) if target_arn else None
                target_state = provider.state(target.account, target.region) if target else None
                destination = target_state.queues.get(target.name) if target else None
                if destination is None or (destination["fifo"] and "g" not in message):
                    task.update(status="FAILED", failure="AWS.SimpleQueueService.NonExistentQueue")
                    break
                delivery.remove(seq, message)
                provider.enqueue_copy(provider.open(target_state, destination, now), message, None)
                moved += 1
            task["moved"] += moved
            if task["status"] == "RUNNING":
                if task["moved"] >= task["to_move"] or moved < budget:
                    task["status"] = "COMPLETED"
                else:
                    self._schedule(account, region, key, 1.0 if "rate" in task else 0)
            state.tasks.put(key, task)

    def resume(self) -> None:
        """Schedule every task that was running when the server stopped."""
        for account, region in SqsState.scopes(self.runtime.db, "tasks"):
            state = self.provider.state(account, region)
            for key, task in state.tasks.items():
                if task["status"] == "RUNNING":
                    self._schedule(account, region, key, 0)

    def forget(self) -> None:
        for timer in self.timers.values():
            timer.cancel()
        self.timers.clear()


def _handle(key: str) -> str:
    return base64.b64encode(key.encode()).decode()


def _key(handle: str) -> str | None:
    try:
        key = base64.b64decode(handle, validate=True).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return key if key.count(" ") == 2 and key.startswith("arn:") else None

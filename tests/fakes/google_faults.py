"""Fault injection for the Google fake: queued error answers, answers tampered with, and
hooks run before a request.

A test queues a fault (any status and reason, a Retry-After, a number of times,
``after=True`` to carry the request out and lose only its answer), a tamper (any
answer at all in place of the real one, made from it or not: the garbage and the
hostile answers of tests/fakes/google_hostile.py) or a hook (another client's
change, run just before a matching request). All match on method and a part of
the path, and are taken in the order they were queued.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from .google_errors import DEFAULT_REASON, ApiError
from .google_http import Answer, error_answer, json_answer, selects

Query = dict[str, list[str]]
# A tamper's answer: from ``real(query)``, the answer the fake would give to ``query``
# (the request's own, or another), and the request's query.
Make = Callable[[Callable[[Query], Answer], Query], Answer]


@dataclass
class Fault:
    """A queued error answer for the next ``times`` matching requests."""

    status: int
    reason: str
    message: str | None
    retry_after: int | None
    times: int
    method: str | None
    path_contains: str | None
    after: bool = False


@dataclass
class Tamper:
    """An answer made by ``make`` in place of the next ``times`` matching ones (None: all)."""

    make: Make
    times: int | None
    method: str | None
    path_contains: str | None


@dataclass
class Hook:
    """Something that happens just before a matching request is handled."""

    action: Callable[[], None]
    times: int
    method: str | None
    path_contains: str | None


class FaultQueue:
    """The faults and hooks a test queued; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._hooks: list[Hook] = []
        self._tampers: list[Tamper] = []
        self._lock = threading.Lock()

    def inject(
        self,
        status: int,
        reason: str | None,
        retry_after: int | None,
        times: int,
        method: str | None,
        path_contains: str | None,
        message: str | None,
        after: bool,
    ) -> None:
        """Queue a fault (see ``FakeGoogleCalendar.inject``)."""
        fault = Fault(
            status=status,
            reason=reason or DEFAULT_REASON.get(status, "backendError"),
            message=message,
            retry_after=retry_after,
            times=times,
            method=method.upper() if method else None,
            path_contains=path_contains,
            after=after,
        )
        with self._lock:
            self._faults.append(fault)

    def before(
        self, action: Callable[[], None], method: str | None, path_contains: str | None, times: int
    ) -> None:
        """Queue a hook (see ``FakeGoogleCalendar.before``)."""
        hook = Hook(action, times, method.upper() if method else None, path_contains)
        with self._lock:
            self._hooks.append(hook)

    def tamper(
        self, make: Make, times: int | None, method: str | None, path_contains: str | None
    ) -> None:
        """Queue a tamper (see ``FakeGoogleCalendar.tamper``)."""
        tamper = Tamper(make, times, method.upper() if method else None, path_contains)
        with self._lock:
            self._tampers.append(tamper)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._tampers.clear()

    def take_tamper(self, method: str, path: str) -> Tamper | None:
        with self._lock:
            for tamper in self._tampers:
                if selects(method, path, tamper.method, tamper.path_contains):
                    if tamper.times is not None:
                        tamper.times -= 1
                        if tamper.times <= 0:
                            self._tampers.remove(tamper)
                    return tamper
        return None

    def take_hook(self, method: str, path: str) -> Hook | None:
        with self._lock:
            for hook in self._hooks:
                if selects(method, path, hook.method, hook.path_contains):
                    hook.times -= 1
                    if hook.times <= 0:
                        self._hooks.remove(hook)
                    return hook
        return None

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if selects(method, path, fault.method, fault.path_contains):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


def fault_answer(fault: Fault, raw_path: str) -> Answer:
    """The answer a fault gives: OAuth's error shape on /token, Google's elsewhere."""
    error = _fault_error(fault)
    if raw_path != "/token":
        return error_answer(error)
    payload = {"error": fault.reason, "error_description": error.message}
    status, headers, body = json_answer(fault.status, payload, oauth=True)
    return status, {**headers, **error.headers}, body


def _fault_error(fault: Fault) -> ApiError:
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    message = fault.message
    if message is None and fault.status == 503:
        message = "The service is currently unavailable."
    return ApiError(fault.status, fault.reason, message, headers=headers)

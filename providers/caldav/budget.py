"""A bound on the CPU time a piece of work on one untrusted object may take.

dateutil, which expands recurrence rules and the zones objects define, can loop
for minutes inside one call: a rule that never matches again walks every period
up to the year 9999, and a zone whose rule repeats every second is walked again
on each conversion. It offers no way to stop it. ``cpu_budget`` does, from the
outside: while the block runs, a trace function (``sys.settrace``, this thread
only) counts the Python calls made, and every few hundred of them compares the
thread's CPU time with the budget; past it, the next call raises ``OverBudget``,
which the block's ``with`` turns into ``Budget.over``. Tracing calls slows
call-heavy work down (dateutil about threefold), so a budget covers only the
work that can run away.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

_EVERY = 256  # calls between two looks at the clock
_local = threading.local()  # this thread's budgets in force (outermost first) and tracer

Tracer = Callable[[FrameType, str, Any], Any]


@dataclasses.dataclass
class Budget:
    """One block's budget: ``over`` tells, after the block, whether it was cut short."""

    seconds: float
    deadline: float
    over: bool = False


class OverBudget(BaseException):  # noqa: N818 (not an error: a stop)
    """Raised inside a block past its budget. A BaseException: the libraries doing the
    work catch Exception in places and would carry on."""

    def __init__(self, budget: Budget) -> None:
        super().__init__(f"more than {budget.seconds:g} s of CPU")
        self.budget = budget


@contextlib.contextmanager
def cpu_budget(seconds: float) -> Iterator[Budget]:
    """Run the block with at most ``seconds`` of this thread's CPU time.

    Past it the block stops (its code is left from wherever it was, as by an
    exception) and the ``Budget`` yielded says ``over``. Nests: an inner budget
    runs within the outer one, and an outer one running out stops both. A tracer
    already set (a debugger, coverage) is called too, and set back afterwards.
    """
    budget = Budget(seconds, time.thread_time() + seconds)
    stack: list[Budget] | None = getattr(_local, "stack", None)
    outermost = not stack
    previous = sys.gettrace()
    if outermost:
        stack = _local.stack = []
        _local.tracer = _tracer(stack, previous)  # type: ignore[arg-type]
    assert stack is not None
    stack.append(budget)
    sys.settrace(_local.tracer)
    try:
        yield budget
    except OverBudget as stop:
        if stop.budget is not budget:
            raise
        budget.over = True
    finally:
        stack.pop()
        # A tracer that raised is unset by Python: set the outer one again.
        sys.settrace(previous if outermost else _local.tracer)


def _tracer(stack: list[Budget], previous: Tracer | None) -> Tracer:
    calls = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls % _EVERY == 0:
            now = time.thread_time()
            for budget in stack:  # the outermost first: it stops everything inside
                if now > budget.deadline:
                    raise OverBudget(budget)
        return previous(frame, event, arg) if previous is not None else None

    return tracer

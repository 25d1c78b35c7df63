"""Google's JSON error shape, as the Calendar v3 fake answers it.

Every API error is ``{"error": {"code", "message", "errors": [{"domain", "reason",
"message", ...}], "status"}}``: googleapiclient's ``HttpError.error_details`` is the
``errors`` list, so callers read ``error_details[0]["reason"]``.
"""

from __future__ import annotations

from typing import Any

# Google's canonical status names; 410 has none in Calendar's documented bodies.
CANONICAL_STATUS: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
}

# reason -> (domain, message), from Calendar's "Handle API errors" guide.
REASONS: dict[str, tuple[str, str]] = {
    "badRequest": ("global", "Bad Request"),
    "invalid": ("global", "Invalid Value"),
    "required": ("global", "Required"),
    "invalidParameter": ("global", "Invalid parameter"),
    "parseError": ("global", "Parse Error"),
    "authError": ("global", "Invalid Credentials"),
    "forbidden": ("global", "Forbidden"),
    "insufficientPermissions": ("global", "Insufficient Permission"),
    "requiredAccessLevel": ("global", "You need to have writer access to this calendar."),
    "notFound": ("global", "Not Found"),
    "duplicate": ("global", "The requested identifier already exists."),
    "deleted": ("global", "Resource has been deleted"),
    "fullSyncRequired": ("global", "Sync token is no longer valid, a full sync is required."),
    "conditionNotMet": ("global", "Precondition Failed"),
    "rateLimitExceeded": ("usageLimits", "Rate Limit Exceeded"),
    "userRateLimitExceeded": ("usageLimits", "User Rate Limit Exceeded"),
    "quotaExceeded": ("usageLimits", "Calendar usage limits exceeded."),
    "dailyLimitExceeded": ("usageLimits", "Daily Limit Exceeded"),
    "backendError": ("global", "Backend Error"),
    "timeRangeEmpty": ("calendar", "The specified time range is empty."),
    "eventRemindersCountExceedsLimit": ("calendar", "The number of reminders exceeds the limit."),
    "cannotUseDefaultRemindersAndSpecifyOverride": (
        "calendar",
        "Cannot specify both default reminders and overrides at the same time.",
    ),
}

# The reason an injected fault carries when the test names only a status.
DEFAULT_REASON: dict[int, str] = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    409: "duplicate",
    410: "fullSyncRequired",
    412: "conditionNotMet",
    429: "rateLimitExceeded",
    500: "backendError",
    502: "backendError",
    503: "backendError",
}


class ApiError(Exception):
    """An error answer of the Calendar API.

    ``message`` is the top-level text, ``detail`` the text inside ``errors[0]`` (the same
    unless given), ``headers`` extra response headers such as Retry-After.
    """

    def __init__(
        self,
        code: int,
        reason: str,
        message: str | None = None,
        *,
        location: str | None = None,
        location_type: str = "parameter",
        headers: dict[str, str] | None = None,
        detail: str | None = None,
    ) -> None:
        domain, default_message = REASONS.get(reason, ("global", reason))
        self.code = code
        self.reason = reason
        self.domain = domain
        self.message = message or default_message
        self.detail = detail or self.message
        self.location = location
        self.location_type = location_type
        self.headers = dict(headers or {})
        super().__init__(f"{code} {reason}: {self.message}")

    def body(self) -> dict[str, Any]:
        """Return the JSON body Google sends for this error."""
        detail: dict[str, Any] = {
            "domain": self.domain,
            "reason": self.reason,
            "message": self.detail,
        }
        if self.location is not None:
            detail["locationType"] = self.location_type
            detail["location"] = self.location
        error: dict[str, Any] = {"code": self.code, "message": self.message, "errors": [detail]}
        if self.code in CANONICAL_STATUS:
            error["status"] = CANONICAL_STATUS[self.code]
        return {"error": error}


def bad_request(message: str, *, reason: str = "invalid", location: str | None = None) -> ApiError:
    """A 400 for an invalid value in the request body or parameters."""
    return ApiError(400, reason, message, location=location)


def not_found() -> ApiError:
    """The 404 Google answers for an unknown calendar or event."""
    return ApiError(404, "notFound")


def unknown_parameter(name: str) -> ApiError:
    """The 400 for a query parameter the method does not define."""
    return ApiError(400, "invalidParameter", f"Unknown parameter: '{name}'", location=name)


def invalid_parameter(name: str, message: str) -> ApiError:
    """The 400 for a query parameter whose value does not fit its type."""
    return ApiError(400, "invalidParameter", message, location=name)

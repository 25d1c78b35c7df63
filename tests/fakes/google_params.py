"""Query-parameter checking against the Calendar v3 discovery document.

The document is the one google-api-python-client ships, so the fake refuses exactly
the parameters the real client could never have generated from it (an unknown name,
a repeated scalar, a non-integer ``maxResults``, an enum value outside the list).
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from datetime import datetime
from typing import Any

from .google_errors import ApiError, invalid_parameter, unknown_parameter

QueryValue = str | int | bool | datetime | list[str]


@functools.cache
def discovery() -> dict[str, Any]:
    """Return the calendar.v3 discovery document bundled with googleapiclient."""
    documents = importlib.resources.files("googleapiclient") / "discovery_cache" / "documents"
    return json.loads((documents / "calendar.v3.json").read_text(encoding="utf-8"))


@functools.cache
def _methods() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(resources: dict[str, Any]) -> None:
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                found[method["id"]] = method
            walk(resource.get("resources", {}))

    walk(discovery()["resources"])
    return found


def method_scopes(method_id: str) -> frozenset[str]:
    """The OAuth scopes any one of which lets a token call ``method_id``."""
    return frozenset(_methods()[method_id].get("scopes", ()))


def query_parameters(method_id: str) -> dict[str, dict[str, Any]]:
    """Return the query parameters ``method_id`` accepts, the API-wide ones included."""
    method = _methods()[method_id]
    own = {
        name: spec
        for name, spec in method.get("parameters", {}).items()
        if spec.get("location") == "query"
    }
    return {**discovery()["parameters"], **own}


def event_fields() -> frozenset[str]:
    """Return the property names of the Event schema."""
    return frozenset(discovery()["schemas"]["Event"]["properties"])


def parse_rfc3339(value: str) -> datetime | None:
    """Parse an RFC 3339 timestamp that carries an offset; None when it is not one."""
    if "T" not in value.upper():
        return None
    try:
        parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def check_query(method_id: str, query: dict[str, list[str]]) -> dict[str, QueryValue]:
    """Validate ``query`` for ``method_id`` and return its values converted to their types.

    Repeated parameters come back as lists. Raises ApiError (400) on an unknown
    parameter, a repeated scalar, or a value that does not fit the declared type.
    """
    specs = query_parameters(method_id)
    checked: dict[str, QueryValue] = {}
    for name, values in query.items():
        spec = specs.get(name)
        if spec is None:
            raise unknown_parameter(name)
        if spec.get("repeated"):
            checked[name] = [_convert(name, spec, value) for value in values]  # type: ignore[misc]
            continue
        if len(values) > 1:
            raise invalid_parameter(name, f"Parameter '{name}' may only be given once.")
        checked[name] = _convert(name, spec, values[0])
    return checked


def _convert(name: str, spec: dict[str, Any], value: str) -> QueryValue:
    kind = spec.get("type")
    if "enum" in spec and value not in spec["enum"]:
        allowed = "|".join(spec["enum"])
        raise invalid_parameter(
            name,
            f"Invalid value '{value}'. Values must match the following regular expression: "
            f"'{allowed}'",
        )
    if kind == "boolean":
        if value not in ("true", "false"):
            raise invalid_parameter(name, f"Invalid boolean value: '{value}'.")
        return value == "true"
    if kind == "integer":
        try:
            number = int(value)
        except ValueError:
            raise invalid_parameter(name, f"Invalid integer value: '{value}'.") from None
        if "minimum" in spec and number < int(spec["minimum"]):
            raise invalid_parameter(
                name, f"Invalid value '{value}'. Values must be >= {spec['minimum']}."
            )
        return number
    if spec.get("format") == "date-time":
        parsed = parse_rfc3339(value)
        if parsed is None:
            raise ApiError(400, "badRequest", location=name)
        return parsed
    return value

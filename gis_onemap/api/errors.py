"""One table mapping exception classes to HTTP statuses; user-safe messages, causes in logs."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gis_onemap.auth.dbcontext import is_rls_violation
from gis_onemap.errors import DatabaseUnavailable, OneMapError

log = logging.getLogger("gis_onemap.api")

#: Exceptions that are not :class:`OneMapError` but may reach the app, and what they mean.
STATUS_BY_EXCEPTION: dict[type[Exception], tuple[int, str, str]] = {
    DataError: (400, "InvalidParameterValue", "a value in the request is not valid here"),
    OperationalError: (503, "ServiceUnavailable", "the database is unavailable"),
    DBAPIError: (500, "ServerError", "the database could not complete the request"),
}


#: PostgreSQL's own meaning of an error (its SQLSTATE, exact code or 2-character class) → what
#: the client is told. Checked before the exception class: psycopg's classes lump together
#: e.g. "too many sort columns" (54xxx) and "connection lost" (08xxx) as OperationalError.
STATUS_BY_SQLSTATE: dict[str, tuple[int, str, str]] = {
    "57014": (
        503,
        "Timeout",
        "the request took too long and was cancelled; narrow it (smaller area, simpler "
        "filter, fewer features) and retry",
    ),
    "40001": (409, "Conflict", "the data changed at the same time; retry the request"),
    "40P01": (409, "Conflict", "the data changed at the same time; retry the request"),
    "54": (400, "TooComplex", "the request is too complex; simplify it"),
    "22": (400, "InvalidParameterValue", "a value in the request is not valid here"),
    "08": (503, "ServiceUnavailable", "the database is unavailable"),
    "57P0": (503, "ServiceUnavailable", "the database is unavailable"),
    "53": (503, "ServiceUnavailable", "the database is busy; retry shortly"),
}
#: Statuses after which the same request may succeed: the client gets a ``Retry-After``.
RETRY_AFTER_S = {409: "1", 503: "5"}


def sqlstate_status(exc: BaseException) -> tuple[int, str, str] | None:
    """The status for a database error by its SQLSTATE (``None``: no SQLSTATE, or unmapped).

    >>> class Orig(Exception):
    ...     sqlstate = "54011"
    >>> sqlstate_status(DBAPIError("SELECT", {}, Orig()))[:2]
    (400, 'TooComplex')
    """
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    if not isinstance(state, str):
        return None
    for length in (5, 4, 2):
        found = STATUS_BY_SQLSTATE.get(state[:length])
        if found is not None:
            return found
    return None


def error_body(status: int, code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON error document (OGC exception style: ``code`` and ``description``)."""
    body: dict[str, Any] = {"code": code, "description": message, "status": status}
    if details is not None:
        body["details"] = details
    return body


def _json(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    return JSONResponse(error_body(status, code, message, details), status_code=status)


def _describe_validation(exc: RequestValidationError) -> tuple[str, list[dict[str, str]]]:
    details = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body", "header")]
        details.append({"parameter": ".".join(loc), "message": str(err.get("msg", "invalid"))})
    first = details[0] if details else {"parameter": "", "message": "invalid request"}
    return f"invalid parameter '{first['parameter']}': {first['message']}", details


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn exceptions into JSON errors."""

    @app.exception_handler(OneMapError)
    async def _domain(request: Request, exc: OneMapError) -> JSONResponse:
        if exc.__cause__ is not None:
            log.info(
                "%s %s -> %s (cause: %r)", request.method, request.url.path, exc, exc.__cause__
            )
        response = _json(exc.status_code, exc.code, exc.message, exc.details)
        response.headers.update(getattr(exc, "headers", {}))  # e.g. WWW-Authenticate on 401
        return response

    @app.exception_handler(RequestValidationError)
    async def _request(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, details = _describe_validation(exc)
        return _json(400, "InvalidParameterValue", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        return _json(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        by_state = sqlstate_status(exc) if isinstance(exc, DBAPIError) else None
        if by_state is not None:
            status, code, message = by_state
        else:
            for cls in type(exc).__mro__:
                if cls in STATUS_BY_EXCEPTION:
                    status, code, message = STATUS_BY_EXCEPTION[cls]
                    break
            else:
                status, code, message = 500, "ServerError", "internal server error"
        log.exception("%s %s failed", request.method, request.url.path)
        if isinstance(exc, DatabaseUnavailable):
            status, code, message = 503, exc.code, exc.message
        if is_rls_violation(exc):  # row-level security refused a write the code did not map
            status, code, message = 403, "Forbidden", "outside the regions of this token"
        response = _json(status, code, message)
        if status in RETRY_AFTER_S:
            response.headers["Retry-After"] = RETRY_AFTER_S[status]
        return response

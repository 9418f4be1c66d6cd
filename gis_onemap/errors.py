"""Domain errors: each carries an HTTP status and a message that is safe to show a client."""

from __future__ import annotations

from typing import Any, ClassVar


class OneMapError(Exception):
    """Base class; ``message`` is user-safe, the cause (if any) goes to logs only."""

    status_code = 400
    code = "InvalidParameterValue"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(OneMapError):
    """The request is well-formed but a value is wrong (range, enum, type...)."""

    status_code = 400


class ValidationFailed(OneMapError):
    """A feature's properties or geometry failed validation."""

    status_code = 422
    code = "ValidationFailed"


class LimitExceeded(OneMapError):
    """The request is larger, or asks for more work, than a configured limit allows."""

    status_code = 413
    code = "LimitExceeded"


class ImportTooLarge(OneMapError):
    """An import exceeds a configured limit (rows, uncompressed size, compression ratio)."""

    status_code = 413
    code = "PayloadTooLarge"


class NotFound(OneMapError):
    """An unknown collection, feature or resource."""

    status_code = 404
    code = "NotFound"


class Conflict(OneMapError):
    """The change conflicts with existing data (duplicate, reference in use)."""

    status_code = 409
    code = "Conflict"


class DatabaseUnavailable(OneMapError):
    """The database cannot be reached."""

    status_code = 503
    code = "ServiceUnavailable"


class Unauthorized(OneMapError):
    """No valid credentials (unknown, revoked, malformed or expired token)."""

    status_code = 401
    code = "Unauthorized"
    #: RFC 6750: a 401 names the scheme the client should use
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": 'Bearer realm="onemap"'}


class Forbidden(OneMapError):
    """Valid credentials, but the role or region does not allow this."""

    status_code = 403
    code = "Forbidden"


class PreconditionFailed(OneMapError):
    """An ``If-Match`` precondition failed: the resource changed since the client read it."""

    status_code = 412
    code = "PreconditionFailed"


class TooBusy(OneMapError):
    """The server is at a configured capacity (e.g. live clients); try again shortly."""

    status_code = 503
    code = "ServiceUnavailable"

"""The error a service raises when it refuses a write. Kept apart from the services so the policy
layer (`govcms.capabilities`) and every app can raise it without importing the services."""


class ServiceError(Exception):
    """A refused write: `code` is machine-readable, `status` the HTTP status the API answers."""

    def __init__(self, code: str, message: str, *, status: int = 409, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}

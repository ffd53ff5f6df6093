"""Errors that carry a message meant for the person using the tracker."""


class TrackerError(Exception):
    """A problem the user can act on; its message is shown as is, without a traceback."""


class ConfigError(TrackerError):
    """The configuration (environment or secrets) is wrong."""


class SchemaError(TrackerError):
    """The database schema is missing, older or newer than this code."""


class ValidationError(TrackerError):
    """Input was refused; ``problems`` maps a field name to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        summary = "; ".join(f"{field}: {message}" for field, message in self.problems.items())
        super().__init__(summary or "invalid input")


class PermissionDenied(TrackerError):
    """The acting user may not do this: not signed in, disabled, or without the role."""

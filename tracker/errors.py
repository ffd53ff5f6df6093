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


class DatabaseBusy(TrackerError):
    """Other writers (an import, the poller) kept the database for longer than a write waits;
    the write stored nothing and can be tried again."""

    def __init__(self) -> None:
        super().__init__(
            "The database was busy with other writes (an import or the news poller) for longer "
            "than this could wait, so nothing was stored. Try again in a moment."
        )

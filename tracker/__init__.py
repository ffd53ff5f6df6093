"""Event-and-statement timeline tracker."""

__version__ = "0.1.0"

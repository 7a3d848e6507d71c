"""The package version, in one place (the wheel metadata and reports name it)."""

__version__ = "0.1.0"

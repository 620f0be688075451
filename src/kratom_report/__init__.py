"""Build versioned, printable evidence briefings from YAML sources."""

__version__ = "0.3.0"

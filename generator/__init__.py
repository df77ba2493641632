"""readinglist: paper listings in, a searchable reading-list website out."""

__version__ = "0.1.0"

"""askdocs: the command line, the settings object and the error hierarchy shared by all packages."""

__version__ = "0.1.0"

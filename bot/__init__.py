"""studybot: the service, channels, commands, storage and CLI."""

__version__ = "0.1.0"

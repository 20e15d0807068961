"""Thin command handlers: parse arguments, call a service, render the reply."""

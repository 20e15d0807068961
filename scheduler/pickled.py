"""How the workday triggers' pickled state is versioned and compared, the way APScheduler's own triggers do it:
a job store written by one release must be read by the next, or refused with a clear message."""

from __future__ import annotations

from typing import Any

__all__ = ["check_version", "state_key"]


def state_key(trigger: object) -> tuple[type, Any]:
    # APScheduler's triggers have no __eq__, but their versioned state compares by value.
    return type(trigger), trigger.__getstate__()


def check_version(cls: type, state: dict[str, Any], supported: int) -> None:
    if state.get("version", 1) > supported:
        raise ValueError(
            f"Got serialized data for version {state['version']} of {cls.__name__}, "
            f"but only versions up to {supported} can be handled"
        )

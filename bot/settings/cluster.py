"""studybot.yaml's `cluster:` section: several `studybot run` on one PostgreSQL database, one of them the leader
(docs/cluster.md). SQLite is one process, so the section is read only on PostgreSQL."""

from __future__ import annotations

import socket

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["ClusterSettings"]


class ClusterSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # how this instance names itself in the lease row and the logs (default: host name and process id)
    instance: str = Field(default="", max_length=100)
    # the leader's lease: renewed every renew_seconds; a leader that could not renew it for lease_seconds is
    # replaced, so a dead leader is replaced within lease_seconds + renew_seconds
    lease_seconds: float = Field(default=8.0, ge=0.5, le=300)
    renew_seconds: float = Field(default=2.0, ge=0.1, le=100)
    # how long an outbox row (a push) or an inbox row (a message a standby took) stays with the instance that
    # claimed it; one that died lets go of its rows after this long
    claim_seconds: float = Field(default=60.0, ge=1, le=3600)
    # how often the leader looks for messages the standbys took (seconds)
    inbox_poll_seconds: float = Field(default=0.1, ge=0.01, le=10)

    def instance_name(self) -> str:
        return self.instance or socket.gethostname()

    @model_validator(mode="after")
    def _renew_often_enough(self) -> ClusterSettings:
        if self.renew_seconds * 2 > self.lease_seconds:
            raise ValueError(f"cluster.renew_seconds（{self.renew_seconds}）应不超过 cluster.lease_seconds"
                             f"（{self.lease_seconds}）的一半：续约一次失败时，领导者还来得及在租约到期前退位")
        if self.claim_seconds < self.lease_seconds:
            raise ValueError(f"cluster.claim_seconds（{self.claim_seconds}）不能小于 cluster.lease_seconds"
                             f"（{self.lease_seconds}）：否则新领导者可能在旧领导者退位前重发它领走的推送")
        return self

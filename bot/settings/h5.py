"""studybot.yaml's `h5:` section: the members' mobile pages (bot/web/h5/) for branches whose members sit in an
ordinary WeChat group, where no bot can join.

- `branches`: the branches on WeChat. Each gets a virtual group on the "h5" channel (「第三党支部（微信群）」), so a
  contest can be started for it (`studybot contest start --branches 第三党支部`, a plan's 全委竞赛) and it takes
  part in every 全委竞赛; its members answer on the live contest page, whose link the secretary posts in the group.
- `contest_links`: whether a contest's start message carries the page's link (「微信群成员可点击链接参加：…」) and
  its starter gets it privately. `auto` (the default): only when some branch is on WeChat (`branches`), so an
  organisation wholly on WeCom or DingTalk sees no link it has no use for; `on`: always; `off`: never. Links need
  the dashboard (`web.enabled`); they use `web.base_url` (else the server's address)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from safeio.names import name_problem

__all__ = ["H5Settings"]


class H5Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contest_links: Literal["auto", "on", "off"] = "auto"
    branches: list[str] = []

    @field_validator("branches")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for branch in value:
            if problem := name_problem("支部名", branch):
                raise ValueError(f"h5.branches 中的{problem}")
        return value

    def links_on(self) -> bool:
        return self.contest_links == "on" or (self.contest_links == "auto" and bool(self.branches))

"""`studybot rank` (placeholder)."""


def rank() -> None:
    """积分排行。"""

"""The callback endpoints with the ingress open, as `studybot run` serves them: callbacks arriving together share
one transaction, each gets its own passive reply once the commit is done, and a platform's retry arriving while
the first delivery still waits gets the first delivery's reply, the message stored once."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from callback_wire import open_endpoint
from sqlalchemy import text

from bot.clock import ManualClock
from bot.ingress import Ingress
from bot.messages import Incoming, Outgoing

_msgids = itertools.count(7_100_000_000_000_000_001)


@pytest.mark.parametrize("name", ["mp_safe", "app", "robot"])
def test_callbacks_together_share_a_commit_and_a_retry_gets_the_first_reply(tmp_path: Path, clock: ManualClock,
                                                                             name: str) -> None:
    endpoint = open_endpoint(name, tmp_path, clock)
    app = endpoint.service.app
    batches: list[int] = []
    many = app.dispatcher.handle_many

    def counted(incomings: list[Incoming]) -> list[list[Outgoing]]:
        batches.append(len(incomings))
        return many(incomings)

    app.ingress = Ingress(counted, window=0.003)
    try:
        ids = [next(_msgids) for _ in range(3)]
        calls = [endpoint.wire.message("帮助", msgid) for msgid in ids]
        retry = endpoint.wire.message("帮助", ids[0])  # the platform's retry: new nonce
        responses = endpoint.service.at_once([*calls, retry])
        replies = [endpoint.wire.read(response) for response in responses]
        assert all(reply is not None and "帮助" in str(reply) for reply in replies), replies
        assert replies[3] == replies[0]
        # one transaction for all (the robot's endpoint has the retry wait for the first delivery's reply itself)
        assert len(batches) == 1 and batches[0] in (3, 4)
        with app.db.session() as session:
            claimed = session.execute(text("SELECT message_id FROM processed_message ORDER BY message_id")).scalars()
            assert sorted(claimed) == sorted(str(msgid) for msgid in ids)
    finally:
        endpoint.close()

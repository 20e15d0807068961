"""The "h5" channel: the virtual groups of branches on WeChat (h5.branches), whose members follow contests on the
live contest page (bot/web/h5/contest.py) — see channel.py."""

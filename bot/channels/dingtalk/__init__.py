"""DingTalk (钉钉): the enterprise robot in Stream mode, its cards, session-webhook replies, the
robot OpenAPI and the groups' custom robots, as one channel "dingtalk" (`channel.DingTalkChannel`)."""

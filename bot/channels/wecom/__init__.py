"""WeCom (企业微信): the smart robot (long connection or HTTP callback), the self-built app and the
group 消息推送 webhooks, as one channel "wecom" (`channel.WeComChannel`)."""

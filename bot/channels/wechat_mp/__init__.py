"""The WeChat Official Account (微信公众号): callbacks, passive replies and customer-service
messages, as the channel "wechat_mp" (`channel.WeChatMP`)."""

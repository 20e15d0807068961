"""The WeCom smart robot's message crypto (HTTP callback mode): JSON bodies, receive id "".

wechatpy's `WeChatCrypto` does the AES work; two things are done here instead of by it: the
signature is compared in constant time (wechatpy compares with `!=`), and the reply is the
robot's JSON wrapper, not the XML `encrypt_message` returns. The key length is checked with an
exception rather than wechatpy's `assert`, which `python -O` strips."""

from __future__ import annotations

import time

from wechatpy.crypto import PrpCrypto, WeChatCrypto

from bot.channels.common.callbacks import is_aes_key, same_signature, signature

__all__ = ["RobotCrypto", "RobotCryptoError"]


class RobotCryptoError(Exception):
    """A payload that does not decrypt with our key (wrong key, wrong receive id, garbage)."""


class RobotCrypto:
    def __init__(self, token: str, encoding_aes_key: str, receive_id: str = "") -> None:
        if not is_aes_key(encoding_aes_key):
            raise ValueError("EncodingAESKey 应为 43 个字符（Base64，解码后 32 字节）")
        self._token = token
        self._receive_id = receive_id
        self._crypto = WeChatCrypto(token, encoding_aes_key, receive_id)
        self._prp = PrpCrypto(self._crypto.key)

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return signature(self._token, timestamp, nonce, encrypt)

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> bool:
        """sha1 of the sorted (token, timestamp, nonce, encrypt), compared in constant time."""
        return same_signature(self.signature(timestamp, nonce, encrypt), msg_signature)

    def decrypt(self, encrypt: str) -> str:
        """The plaintext of a verified `encrypt` (the JSON text, or the echostr's plaintext)."""
        try:
            return self._prp.decrypt(encrypt, self._receive_id)
        except Exception as exc:  # wrong key: struct.error, UnicodeDecodeError, InvalidAppIdException…
            raise RobotCryptoError(type(exc).__name__) from None

    def encrypt(self, plaintext: str, nonce: str, timestamp: str | None = None) -> dict[str, str]:
        """The passive-reply wrapper: {"encrypt", "msgsignature", "timestamp", "nonce"}."""
        timestamp = timestamp or str(int(time.time()))
        encrypt = self._prp.encrypt(plaintext, self._receive_id).decode()
        return {"encrypt": encrypt, "msgsignature": self.signature(timestamp, nonce, encrypt),
                "timestamp": timestamp, "nonce": nonce}

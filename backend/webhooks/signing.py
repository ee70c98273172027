"""Standard Webhooks signatures (https://www.standardwebhooks.com), made by the reference
library so receivers can check them with theirs."""

import base64
import json
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing key: `whsec_` and 32 random bytes in base64 (the spec's format)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def body_of(payload: dict) -> bytes:
    """The exact bytes sent (and signed): compact JSON of the stored payload."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(
    *, message_id: str, body: bytes, secrets_in_use: list[str], at: datetime
) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` and `webhook-signature` (one `v1,<base64>` per key,
    space-separated: during a rotation both the new and the previous key sign)."""
    at = at.astimezone(UTC)
    text = body.decode()
    signatures = [
        Webhook(secret).sign(msg_id=message_id, timestamp=at, data=text)
        for secret in secrets_in_use
    ]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }

"""A save request's message: how it is encoded, read back and validated, in one place.

A Celery protocol 2 message with only the headers a worker needs (``lang``, ``task``,
``id``) and the body ``[[product_id], {"v": MESSAGE_VERSION, "category_id"?: id}, {}]``.
``category_id`` is sent for a deleted product only: its statistics row, which remembered
the category, is gone, and the category's figures must still be refreshed. The batch
worker reads one message per save event, and py-amqp's decoding of the ~20 headers
``apply_async`` sends was the largest cost left in its main process (bench/README.md).

Celery-free: ``stats.batch.tasks`` publishes what ``encode`` builds and
``stats.batch.consumer`` reads what ``read_body`` returns.
"""

import json
import logging
from dataclasses import dataclass
from typing import Any, TypeGuard

logger = logging.getLogger(__name__)

#: Bumped when the message format changes; older workers reject newer messages.
MESSAGE_VERSION = 1


@dataclass(frozen=True)
class SaveRequest:
    product_id: int
    #: The category of a deleted product, else None.
    category_id: int | None = None


def encode(request: SaveRequest, *, task_name: str, request_id: str) -> tuple[dict, tuple]:
    """The headers and the body (args, kwargs, embed) of one request's message."""
    kwargs: dict[str, Any] = {"v": MESSAGE_VERSION}
    if request.category_id is not None:
        kwargs["category_id"] = request.category_id
    headers = {"lang": "py", "task": task_name, "id": request_id}
    return headers, ([request.product_id], kwargs, {})


def read_body(message: Any) -> tuple[Any, Any]:
    """``(args, kwargs)`` of a kombu message; raises if it cannot be decoded.

    JSON is parsed directly (no kombu round trip); any other content type goes through
    kombu, which refuses what the app does not accept (``ContentDisallowed``).
    """
    if message.content_type == "application/json":
        args, kwargs, _embed = json.loads(message.body)
    else:
        args, kwargs, _embed = message.decode()
    return args, kwargs


#: Characters of a malformed message's arguments that reach the log: a 200,000-id message
#: would otherwise be logged as one 1.5 MB line.
LOGGED_CHARS = 200


def _shown(value: Any) -> str:
    text = repr(value)
    if len(text) <= LOGGED_CHARS:
        return text
    return f"{text[:LOGGED_CHARS]}... ({len(text):,} chars)"


def _positive_id(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def validate(args: Any, kwargs: Any, *, request_id: str = "") -> SaveRequest | None:
    """The request a message carries, or None (logged) if it is malformed."""
    kwargs = kwargs or {}
    version = kwargs.get("v", MESSAGE_VERSION) if isinstance(kwargs, dict) else None
    product_id = args[0] if isinstance(args, list | tuple) and len(args) == 1 else None
    category_id = kwargs.get("category_id") if isinstance(kwargs, dict) else None
    if (
        version == MESSAGE_VERSION
        and _positive_id(product_id)
        and (category_id is None or _positive_id(category_id))
    ):
        return SaveRequest(product_id=product_id, category_id=category_id)
    logger.error(
        "Rejected malformed statistics request %s: args=%s kwargs=%s",
        request_id,
        _shown(args),
        _shown(kwargs),
    )
    return None

"""A save request's message: how it is encoded, read back and validated, in one place.

A Celery protocol 2 message with only the headers a worker needs (``lang``, ``task``,
``id``) and the body ``[[product_id], {"v": MESSAGE_VERSION, "category_id"?: id}, {}]``.
``category_id`` is sent for a deleted product only: its statistics row, which remembered
the category, is gone, and the category's figures must still be refreshed.

A bulk write (a bulk edit's chunk, an import's) saves many products in one transaction:
their requests go in few messages, ``[[[product_id, ...]], {"v": MANY_VERSION}, {}]``
(at most ``MAX_PRODUCTS`` ids each), since one message per product cost the writer about
0.45 ms each to publish and the batch worker as much to read, more than the write itself
(bench/README.md, bulk edit). The batch worker counts each id as one request for its
``flush_every``, and de-duplicates ids across messages as it does across single requests;
a worker older than ``MANY_VERSION`` rejects such a message (logged), and the products'
stale marks bring the sweep to them. A single product's request stays version 1. The batch
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
#: The version of a message carrying several products' requests (no deleted product's).
MANY_VERSION = 2
#: Product ids in one message of several: the batch worker reads it at once.
MAX_PRODUCTS = 500


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


def encode_many(product_ids: list[int], *, task_name: str, request_id: str) -> tuple[dict, tuple]:
    """The headers and the body of one message asking for several products' statistics."""
    if not 0 < len(product_ids) <= MAX_PRODUCTS:
        raise ValueError(f"1 to {MAX_PRODUCTS} product ids per message, not {len(product_ids)}")
    headers = {"lang": "py", "task": task_name, "id": request_id}
    return headers, ([list(product_ids)], {"v": MANY_VERSION}, {})


def products_counted(args: Any, kwargs: Any) -> int:
    """How many requests a message counts as in a batch buffer (unchecked: ``validate``
    checks it when the batch runs; a malformed message counts as one)."""
    many = isinstance(kwargs, dict) and kwargs.get("v") == MANY_VERSION
    if many and isinstance(args, list | tuple) and len(args) == 1:
        ids = args[0]
        if isinstance(ids, list) and 0 < len(ids) <= MAX_PRODUCTS:
            return len(ids)
    return 1


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


def validate_any(args: Any, kwargs: Any, *, request_id: str = "") -> list[SaveRequest]:
    """The requests a message of either version carries; [] (logged) if it is malformed."""
    if not (isinstance(kwargs, dict) and kwargs.get("v") == MANY_VERSION):
        one = validate(args, kwargs, request_id=request_id)
        return [] if one is None else [one]
    ids = args[0] if isinstance(args, list | tuple) and len(args) == 1 else None
    if (
        isinstance(ids, list)
        and 0 < len(ids) <= MAX_PRODUCTS
        and all(_positive_id(pid) for pid in ids)
        and set(kwargs) == {"v"}
    ):
        return [SaveRequest(product_id=pid) for pid in ids]
    logger.error(
        "Rejected malformed statistics request %s: args=%s kwargs=%s",
        request_id,
        _shown(args),
        _shown(kwargs),
    )
    return []

"""Starting Kafka clients from a command: one clean error instead of a traceback and a leaked client."""

from __future__ import annotations

from typing import Any, Protocol

from aiokafka.errors import KafkaConnectionError, KafkaError
from pydantic import ValidationError


class _Startable(Protocol):
    async def start(self) -> None: ...


class BrokerUnreachable(KafkaConnectionError):
    """The broker could not be reached; the message says where it looked. A KafkaConnectionError,
    so services that retry on those keep doing so."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "cannot reach the Kafka broker"


async def start_client(client: _Startable, bootstrap: str) -> None:
    """`await client.start()`; on failure the client is closed (no "Unclosed AIOKafkaConsumer" at
    exit) and `BrokerUnreachable` names the bootstrap address."""
    try:
        await client.start()
    except (KafkaError, OSError) as e:
        closer: Any = getattr(client, "stop", None) or getattr(client, "close", None)
        if closer is not None:
            await closer()
        raise BrokerUnreachable(
            f"cannot reach the Kafka broker at {bootstrap} ({type(e).__name__}); start one with "
            "`make kafka-start` or point KAFKA_BOOTSTRAP_SERVERS at yours") from e


def settings_error(e: ValidationError) -> str:
    """One line for a malformed ECOWIRE_* variable: which one, what it holds, what it must be."""
    parts = []
    for err in e.errors():
        name = "_".join(str(x) for x in err.get("loc", ())).upper()
        parts.append(f"ECOWIRE_{name}={err.get('input')!r}: {err.get('msg')}")
    return "invalid setting " + "; ".join(parts)

"""Create ecowire's topics up front from the one declaration in `ecowire_schemas.topics`."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from ecowire_schemas.topics import TOPICS, TopicSpec

from .clients import BrokerUnreachable
from .logs import get_logger
from .settings import Settings

log = get_logger("ecowire.topics")


def new_topics(settings: Settings, specs: tuple[TopicSpec, ...] = TOPICS) -> list[NewTopic]:
    return [
        NewTopic(
            spec.name(settings.topic_prefix),
            spec.partitions or settings.partitions,
            settings.replication_factor,
            topic_configs=spec.config(),
        )
        for spec in specs
    ]


async def ensure_topics(
    settings: Settings, specs: tuple[TopicSpec, ...] = TOPICS, connect_timeout_s: float = 60.0
) -> list[str]:
    """Create missing topics; returns the names created. Existing topics are left as they are,
    but a partition count that differs from the declaration is reported (it breaks co-partitioning).
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id="ecowire-admin")
    deadline = asyncio.get_running_loop().time() + connect_timeout_s
    while True:
        try:
            await admin.start()
            break
        except KafkaConnectionError as e:
            if asyncio.get_running_loop().time() > deadline:
                await admin.close()
                raise BrokerUnreachable(f"cannot reach the Kafka broker at {settings.bootstrap_servers} within "
                                        f"{connect_timeout_s:.0f} s; start one with `make kafka-start` or point "
                                        "KAFKA_BOOTSTRAP_SERVERS at yours") from e
            await asyncio.sleep(1.0)
    try:
        existing = set(await admin.list_topics())
        wanted = new_topics(settings, specs)
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                log.info("topics_raced", topics=[t.name for t in missing])  # another process created them
        present = [t for t in wanted if t.name in existing]
        if present:
            # describe_topics answers in its own order: match by name.
            described = {d["topic"]: d for d in await admin.describe_topics([t.name for t in present])}
            for t in present:
                have = len(described.get(t.name, {}).get("partitions", []))
                if have != t.num_partitions:
                    log.warning("topic_partition_mismatch", topic=t.name, declared=t.num_partitions, actual=have)
        created = [t.name for t in missing]
        if created:
            log.info("topics_created", topics=created)
        return created
    finally:
        await admin.close()

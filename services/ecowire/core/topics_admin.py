"""Create ecowire's topics up front from the one declaration in `ecowire_schemas.topics`."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from ecowire_schemas.topics import TOPICS, TopicSpec

from .clients import BrokerUnreachable, start_client
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


def config_mismatches(declared: dict[str, str], actual: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """The declared settings an existing topic does not have: name -> (declared, actual or None).

    Only declared names are compared: a broker default the declaration does not mention (e.g. a
    compacted topic's inert `retention.ms`) is not a mismatch."""
    return {name: (want, actual.get(name)) for name, want in declared.items() if actual.get(name) != want}


async def _actual_configs(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    """Each topic's effective configuration (explicit and broker defaults), by topic name."""
    responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    out: dict[str, dict[str, str]] = {}
    for response in responses:
        for res in response.to_object()["resources"]:
            if res["error_code"]:
                log.warning("topic_config_unreadable", topic=res["resource_name"], error=res["error_message"])
                continue
            out[res["resource_name"]] = {c["config_names"]: c["config_value"] for c in res["config_entries"]}
    return out


async def ensure_topics(
    settings: Settings, specs: tuple[TopicSpec, ...] = TOPICS, connect_timeout_s: float = 60.0
) -> list[str]:
    """Create missing topics; returns the names created. Existing topics are left as they are,
    but a partition count that differs from the declaration is reported (it breaks co-partitioning),
    and so is a declared config the topic lacks (`topic_config_mismatch`): Kafka applies a
    topic's config only at creation, so an upgrade that declares e.g. compaction for a topic
    created before does not change it (docs/operations.md, "Topic configuration").
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
            actual = await _actual_configs(admin, [t.name for t in present])
            for t in present:
                if t.name not in actual:
                    continue  # unreadable: warned above
                diff = config_mismatches(dict(t.topic_configs), actual[t.name])
                if diff:
                    log.warning("topic_config_mismatch", topic=t.name,
                                declared={k: d for k, (d, _) in diff.items()},
                                actual={k: a for k, (_, a) in diff.items()})
        created = [t.name for t in missing]
        if created:
            log.info("topics_created", topics=created)
        return created
    finally:
        await admin.close()


async def topic_partitions(settings: Settings, topic: str, client_id: str = "ecowire-admin") -> list[int]:
    """The partition numbers of `topic`, sorted; empty when the topic does not exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id=client_id)
    await start_client(admin, settings.bootstrap_servers)
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for p in described.get("partitions", []))

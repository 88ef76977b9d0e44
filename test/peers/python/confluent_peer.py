"""confluent-kafka-python against one broker, for the tests: one command per run, one JSON answer.

Usage: confluent_peer.py BOOTSTRAP COMMAND ARGS...
  admin TOPIC...              create the topics (3 partitions), then list and describe them
  produce TOPIC COUNT         idempotent producer, acks=all; COUNT keyed records over the partitions
  consume TOPIC GROUP COUNT   consumer group member: COUNT records, then commit and report offsets
  regex PATTERN GROUP COUNT   consumer subscribed by regular expression

PEER_CONFIG (environment, JSON): client settings added to every client (security, say).
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicCollection, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

EXTRA = json.loads(os.environ.get("PEER_CONFIG", "{}"))


def admin(bootstrap, topics):
    client = AdminClient({**EXTRA, "bootstrap.servers": bootstrap})
    created = {}
    for name, future in client.create_topics([NewTopic(t, num_partitions=3, replication_factor=1) for t in topics]).items():
        try:
            future.result(timeout=30)
            created[name] = "created"
        except KafkaException as e:
            created[name] = e.args[0].name()
    # list_topics() with no topic asks for every topic (Metadata v12/v13 from librdkafka 2.3 on).
    listed = client.list_topics(timeout=30)
    described = client.describe_topics(TopicCollection(list(topics))).items()
    return {
        "created": created,
        "listed": sorted(t for t in listed.topics if not t.startswith("__")),
        "partitions": {t: len(listed.topics[t].partitions) for t in topics if t in listed.topics},
        "brokers": sorted(b.id for b in listed.brokers.values()),
        "described": {name: len(f.result(timeout=30).partitions) for name, f in described},
    }


def produce(bootstrap, topic, count):
    producer = Producer({**EXTRA, "bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5})
    delivered, errors = [], []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered.append([msg.partition(), msg.offset()])

    for i in range(count):
        producer.produce(topic, key=f"k{i}", value=f"v{i}", on_delivery=on_delivery)
        producer.poll(0)
    left = producer.flush(30)
    by_partition = {}
    for partition, offset in delivered:
        by_partition.setdefault(partition, []).append(offset)
    return {"delivered": len(delivered), "errors": errors, "unflushed": left,
            "dense": all(sorted(o) == list(range(len(o))) for o in by_partition.values())}


def consume(bootstrap, subscription, group, count):
    consumer = Consumer({**EXTRA, "bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "topic.metadata.refresh.interval.ms": 1000})
    consumer.subscribe([subscription])
    values, topics = [], set()
    deadline = time.time() + 60
    while len(values) < count and time.time() < deadline:
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            raise KafkaException(msg.error())
        values.append(msg.value().decode())
        topics.add(msg.topic())
    assignment = sorted([tp.topic, tp.partition] for tp in consumer.assignment())
    consumer.commit(asynchronous=False)
    committed = consumer.committed([TopicPartition(t, p) for t, p in assignment], timeout=30)
    consumer.close()
    return {"values": sorted(values, key=lambda v: int(v[1:])), "topics": sorted(topics), "assignment": assignment,
            "committed": sum(tp.offset for tp in committed if tp.offset >= 0)}


def main():
    bootstrap, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if command == "admin":
        out = admin(bootstrap, args)
    elif command == "produce":
        out = produce(bootstrap, args[0], int(args[1]))
    elif command in ("consume", "regex"):
        # A subscription that starts with ^ is a regular expression to librdkafka.
        out = consume(bootstrap, args[0], args[1], int(args[2]))
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()

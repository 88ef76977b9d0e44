"""confluent-kafka-python against one broker, for the tests: one command per run, one JSON answer.

Usage: confluent_peer.py BOOTSTRAP COMMAND ARGS...
  admin TOPIC...              create the topics (3 partitions), then list and describe them
  produce TOPIC COUNT         idempotent producer, acks=all; COUNT keyed records over the partitions
  consume TOPIC GROUP COUNT   consumer group member: COUNT records, then commit and report offsets
  regex PATTERN GROUP COUNT   consumer subscribed by regular expression
  transactions TOPIC GROUP    a transactional producer: COUNT records committed with the group's
                              offsets sent in the transaction, then more aborted; a read_committed
                              consumer and the group's committed offsets say what stayed

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


def transactions(bootstrap, topic, group):
    producer = Producer({**EXTRA, "bootstrap.servers": bootstrap, "transactional.id": f"{topic}-txn", "linger.ms": 5})
    producer.init_transactions(30)
    consumer_meta = Consumer({**EXTRA, "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    for outcome, first, count in (("commit", 0, 30), ("abort", 30, 20), ("commit", 50, 10)):
        producer.begin_transaction()
        for i in range(first, first + count):
            producer.produce(topic, key=f"k{i}", value=f"{outcome}-{i}", partition=i % 3)
        # The group's offsets (as a consume-transform-produce loop would) go in the transaction too.
        offsets = [TopicPartition(topic, p, first + count) for p in range(3)]
        producer.send_offsets_to_transaction(offsets, consumer_meta.consumer_group_metadata(), 30)
        if outcome == "commit":
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)
    consumer_meta.close()
    reader = Consumer({**EXTRA, "bootstrap.servers": bootstrap, "group.id": f"{group}-reader", "auto.offset.reset": "earliest",
                       "isolation.level": "read_committed", "enable.partition.eof": True})
    reader.assign([TopicPartition(topic, p, 0) for p in range(3)])
    values, eof = [], set()
    deadline = time.time() + 60
    while len(eof) < 3 and time.time() < deadline:
        msg = reader.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == -191:  # _PARTITION_EOF
                eof.add(msg.partition())
                continue
            raise KafkaException(msg.error())
        values.append(msg.value().decode())
    reader.close()
    check = Consumer({**EXTRA, "bootstrap.servers": bootstrap, "group.id": group})
    committed = check.committed([TopicPartition(topic, p) for p in range(3)], timeout=30)
    check.close()
    return {"values": sorted(values, key=lambda v: int(v.split("-")[1])), "committed": [tp.offset for tp in committed]}


def main():
    bootstrap, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if command == "admin":
        out = admin(bootstrap, args)
    elif command == "produce":
        out = produce(bootstrap, args[0], int(args[1]))
    elif command == "transactions":
        out = transactions(bootstrap, args[0], args[1])
    elif command in ("consume", "regex"):
        # A subscription that starts with ^ is a regular expression to librdkafka.
        out = consume(bootstrap, args[0], args[1], int(args[2]))
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()

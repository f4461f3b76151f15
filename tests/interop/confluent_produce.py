"""Produces records with Confluent's own serializers (the confluent-kafka package's
AvroSerializer and ProtobufSerializer), as an upstream team's service would.

Reads JSON lines from stdin: {"topic": ..., "kind": "products|prices|inventory|intl",
"key": ..., "value": {...} or null}. Values are written in --format with the contract's schema
of their kind (schemas/avro/*.avsc, or the message types of a compiled descriptor set of
schemas/protobuf/*.proto given with --descriptors), registered under "{topic}-value" by the
serializer itself. --header-ids puts the schema id in the `__value_schema_id` header (Confluent's
GUID form) instead of the value's prefix. A null value is a tombstone.
"""

import argparse
import json
import os
import sys

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, header_schema_id_serializer
from confluent_kafka.serialization import MessageField, SerializationContext

KINDS = ["products", "prices", "inventory", "intl"]
MESSAGES = {
    "products": "vitrine.products.Product",
    "prices": "vitrine.prices.Price",
    "inventory": "vitrine.inventory.Inventory",
    "intl": "vitrine.intl.Country",
}


def avro_serializers(client, schemas, conf):
    from confluent_kafka.schema_registry.avro import AvroSerializer

    out = {}
    for kind in KINDS:
        with open(os.path.join(schemas, "avro", kind + ".avsc")) as f:
            out[kind] = (AvroSerializer(client, f.read(), conf=conf), lambda v: v)
    return out


def protobuf_serializers(client, descriptors, conf):
    from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer

    with open(descriptors, "rb") as f:
        files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    out = {}
    for kind in KINDS:
        cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(MESSAGES[kind]))

        def to_message(value, cls=cls):
            return json_format.ParseDict(value, cls(), ignore_unknown_fields=True)

        out[kind] = (ProtobufSerializer(cls, client, conf), to_message)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--format", choices=["avro", "protobuf"], required=True)
    parser.add_argument("--schemas", required=True, help="the repository's schemas/ folder")
    parser.add_argument("--descriptors", help="FileDescriptorSet of schemas/protobuf/*.proto")
    parser.add_argument("--header-ids", action="store_true")
    args = parser.parse_args()

    client = SchemaRegistryClient({"url": args.registry})
    conf = {"auto.register.schemas": True}
    if args.header_ids:
        conf["schema.id.serializer"] = header_schema_id_serializer
    if args.format == "avro":
        serializers = avro_serializers(client, args.schemas, conf)
    else:
        serializers = protobuf_serializers(client, args.descriptors, conf)

    producer = Producer({"bootstrap.servers": args.brokers, "linger.ms": 5, "acks": "all"})
    failures = []

    def delivered(err, _msg):
        if err is not None:
            failures.append(str(err))

    count = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        record = json.loads(line)
        topic, kind, key, value = record["topic"], record["kind"], record["key"], record["value"]
        headers = []
        payload = None
        if value is not None:
            serializer, convert = serializers[kind]
            ctx = SerializationContext(topic, MessageField.VALUE, headers)
            payload = serializer(convert(value), ctx)
        while True:
            try:
                producer.produce(topic, key=key.encode(), value=payload, headers=headers or None,
                                 on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
        count += 1
    left = producer.flush(60)
    if left or failures:
        print(f"not delivered: {left} queued, failures {failures[:3]}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"produced": count}))


if __name__ == "__main__":
    main()

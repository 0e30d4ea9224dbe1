"""The practical limit: a plain aiokafka consume -> produce loop over the same records.

    python -m benchmarks.passthrough --bootstrap H:P --inputs a,b --output o --group g

getmany batches, orjson parse and re-encode of every value (one field added, as any gate
must at least read and write the record), sends queued without awaiting each delivery, one
wait for the batch's deliveries, then one offset commit per batch (at-least-once). No
transactions, no state, no rules: the most any Python gate on aiokafka can do here.
"""

from __future__ import annotations

import argparse
import asyncio

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def passthrough(bootstrap: str, inputs: list[str], output: str, group: str) -> None:
    consumer = AIOKafkaConsumer(*inputs, bootstrap_servers=bootstrap, group_id=group,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5,
                                max_batch_size=256 * 1024)
    await consumer.start()
    await producer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            pending = []
            for records in batches.values():
                for record in records:
                    value = orjson.loads(record.value)
                    value["passed"] = True
                    pending.append(await producer.send(output, orjson.dumps(value),
                                                       key=record.key))
            if pending:
                await asyncio.gather(*pending)
                await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--inputs", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--group", required=True)
    args = parser.parse_args()
    print("passthrough ready", flush=True)
    asyncio.run(passthrough(args.bootstrap, args.inputs.split(","), args.output, args.group))


if __name__ == "__main__":
    main()

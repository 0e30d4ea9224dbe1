"""The naive Faust agent: what a Faust user writes first, with Faust's defaults.

    python -m benchmarks.naive --bootstrap H:P --inputs a,b --output o --app-id id --data-dir d

Per event: `async for` over the stream, orjson parse, one table update (a per-key counter in
a RocksDB table, as SendGuard's store), one awaited `send`. Faust defaults otherwise
(at-least-once, producer_linger 0, broker_max_poll_records unset). No repartition and no
rules: it does strictly less than SendGuard per record.
"""

from __future__ import annotations

import argparse
import asyncio

import faust
import orjson


def create_app(bootstrap: str, inputs: list[str], output: str, app_id: str,
               data_dir: str, partitions: int) -> faust.App:
    app = faust.App(app_id, broker=f"kafka://{bootstrap}", store="rocksdb://",
                    datadir=data_dir, web_enabled=False, topic_partitions=partitions,
                    consumer_auto_offset_reset="earliest")
    source = app.topic(*inputs, key_serializer="raw", value_serializer="raw")
    sink = app.topic(output, key_serializer="raw", value_serializer="raw")
    seen = app.Table("seen", default=int, partitions=partitions)

    @app.agent(source, name="naive")
    async def naive(stream: faust.StreamT) -> None:
        async for key, raw in stream.items():
            value = orjson.loads(raw)
            phone = str(value.get("phone"))
            seen[phone] += 1
            value["seen"] = seen[phone]
            await sink.send(key=key, value=orjson.dumps(value))

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("--bootstrap", "--inputs", "--output", "--app-id", "--data-dir"):
        parser.add_argument(name, required=True)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app = create_app(args.bootstrap, args.inputs.split(","), args.output, args.app_id,
                     args.data_dir, args.partitions)
    faust.Worker(app, loglevel="INFO", loop=loop).execute_from_commandline()


if __name__ == "__main__":
    main()

"""The seam: every use of faust-streaming's, aiokafka's and mode's internals, and nothing else.

The app is made with `transport.SeamApp`, whose transport (`transport.Transport`, chosen per
app) builds the seam's consumer, producer and transaction manager; nothing is installed
process-wide. Modules:

- transport: SeamApp, Transport, flow control that keeps queues on a repeated resume
- consumer:  batch delivery (Faust's fetch loop without a task per record), fetch meter
- standby:   standby changelog records applied in the fetch loop, in write batches
- batches:   event_batches (an agent's events in batches), current event
- sender:    BatchSender (a batch's records as record batches, in their transaction)
- eos:       exactly-once: gated consumer and producer, source-partition transactions
- gate:      the commit gate's logic (pure: imports no Faust)
- memory_budget: the state memory budget split into RocksDB options (pure)
- bounded_store: BoundedTable, whose RocksDB partitions share one cache within the budget
- tables:    raw RocksDB access (state reads and writes, the sweep, the key estimate)
- sensor:    Faust's Prometheus sensor, batched
- contract:  what the seam takes from upstream: pins, fingerprints, private names

Importing this package imports nothing (so `gate` stays free of Faust).
"""

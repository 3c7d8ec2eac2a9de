"""Real servers on 127.0.0.1 for the tests and the benchmarks: a Milvus 2.3.5 standalone
(``milvus_standalone``), a throwaway PostgreSQL cluster (``postgres``) and ``dagster dev``
(``dagster_dev``). The product never starts them; they import nothing of it but
``event_storage``'s dagster.yaml."""


class ServerUnavailable(RuntimeError):
    """The server's binaries are not installed here (the message says how to get them)."""

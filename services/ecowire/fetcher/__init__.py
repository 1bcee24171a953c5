"""The fetcher stage: ingest requests (URLs, inline content) and polled sources become raw documents."""

"""news-pipeline: RSS/Atom/JSON feeds -> Kafka -> Apache Beam (normalize, dedup, enrich) -> Avro."""

__version__ = "0.1.0"

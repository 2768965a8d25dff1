"""Deployment helpers: the Dataflow job (dry-run translation, launch arguments) and Kafka secrets resolution."""

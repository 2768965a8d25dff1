"""io: connectors between the pipeline and the outside, one package per system (kafka/)."""

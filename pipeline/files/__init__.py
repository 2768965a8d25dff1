"""Avro files derived from the output topic: names by offset range (naming), one file (writer), the sink."""

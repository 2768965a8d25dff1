"""Pure-Python Kafka IO for Beam, in the order data flows.

specs.py (the values the stages pass each other; a leaf) -> partitions.py (which partitions, from which offset) ->
fetch.py (one consumer per reader instance) -> source.py (``ReadFromKafkaPy``) ... sink.py (``WriteToKafkaPy``).
"""

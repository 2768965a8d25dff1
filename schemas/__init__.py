"""The Avro contract, shipped inside the wheel as the ``news_schemas`` package (see setup.py)."""

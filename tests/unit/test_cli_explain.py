"""``explain`` turns any exception into one line (it once raised AttributeError on every non-HTTP error: it named a
kafka-python 2.x class that 3.x does not have)."""

from __future__ import annotations

import pytest
from kafka import errors

from pipeline.ops.errors import explain


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (RuntimeError("boom"), "RuntimeError: boom"),
        (errors.KafkaTimeoutError("no metadata"), "did not answer in time"),
        (errors.KafkaConnectionError("reset"), "lost the connection"),
        (errors.MetadataEmptyBrokerList("none"), "no Kafka broker answered"),
        (errors.UnknownTopicOrPartitionError(), "Kafka error UnknownTopicOrPartitionError"),
    ],
)
def test_every_exception_gets_one_line(exc: BaseException, expected: str) -> None:
    line = explain(exc)
    assert expected in line and "\n" not in line

"""The parts of SQS that read client input, directly: attribute checks, digests, receipt handles, queue
URLs and ARNs, redrive documents, the visibility index — with properties checked over generated input (bad input is an
SQS error, never an exception of another kind)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.context import RequestContext
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.models import load_service
from cloudlet.services.sqs import attributes, messages, receipts
from cloudlet.services.sqs.urls import address_from_path, parse_arn, parse_queue_url
from cloudlet.services.sqs.visibility import QueueIndex

CTX = RequestContext(load_service("sqs"), None, None, "json", "us-east-1")


def test_digests_match_values_recorded_from_aws() -> None:
    assert messages.md5_of_body("This is a test message") == "fafb00f5732ab283681e124bf8747ed1"
    assert messages.md5_of_attributes({
        "General": {"DataType": "String", "StringValue": "Kenobi"},
        "Hello": {"DataType": "String", "StringValue": "There"},
        "Help.Me": {"DataType": "String", "StringValue": "Me"},
    }) == "4c360f3fdafd970e05fae2f149d997f5"
    assert messages.md5_of_attributes({"attr1": {
        "DataType": "Binary",
        "BinaryValue": b"traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01"}}) == (
        "8cbe4db156db8a94db8b801b7addb984")


def test_attribute_order_does_not_change_the_digest() -> None:
    a = {"b": {"DataType": "Number", "StringValue": "1"}, "a": {"DataType": "String", "StringValue": "x"}}
    assert messages.md5_of_attributes(a) == messages.md5_of_attributes(dict(reversed(list(a.items()))))


def test_numbers_within_sqs_limits() -> None:
    ok = ["0", "-1", "1.5", "1e126", "1e-128", "12345678901234567890123456789012345678", " 7 "]
    bad = ["1e127", "1e-129", "123456789012345678901234567890123456789", "NaN", "Infinity", "1,5", ""]
    for text in ok:
        messages.check_attributes({"n": {"DataType": "Number", "StringValue": text}})
    for text in bad:
        try:
            messages.check_attributes({"n": {"DataType": "Number", "StringValue": text}})
        except ServiceError as error:
            assert error.code == "InvalidParameterValue"
        else:
            raise AssertionError(text)


def test_attribute_selection() -> None:
    stored = {"a.b": 1, "a.c": 2, "ab": 3, "z": 4}
    assert messages.select_attributes(stored, ["a.*"]) == {"a.b": 1, "a.c": 2}
    assert messages.select_attributes(stored, ["z", "nope"]) == {"z": 4}
    assert messages.select_attributes(stored, ["All"]) == stored == messages.select_attributes(stored, [".*"])
    assert messages.select_attributes(stored, []) == {}


@given(st.text(max_size=40), st.text(max_size=20), st.one_of(st.text(max_size=20), st.binary(max_size=20)))
@settings(max_examples=300, deadline=None)
def test_any_attribute_is_accepted_or_an_sqs_error(name: str, data_type: str, value: object) -> None:
    attribute = {"DataType": data_type, "BinaryValue" if isinstance(value, bytes) else "StringValue": value}
    try:
        size = messages.check_attributes({name: attribute})
    except ServiceError as error:
        assert error.code == "InvalidParameterValue" and error.message
        return
    assert size > 0
    assert len(messages.md5_of_attributes({name: attribute})) == 32


@given(st.text(max_size=50))
@settings(max_examples=300, deadline=None)
def test_any_body_is_accepted_or_an_sqs_error(body: str) -> None:
    try:
        assert messages.check_body(body) == len(body.encode("utf-8", "surrogatepass"))
    except ServiceError as error:
        assert error.code in ("InvalidMessageContents", "MissingParameter")


def test_receipts_round_trip_and_refuse_forgeries() -> None:
    handle = receipts.encode("0123456789abcdef", 1795442312643570, 3, 1795442312647)
    assert receipts.decode(handle) == receipts.Receipt("0123456789abcdef", 1795442312643570, 3)
    assert handle.startswith("AQEB")
    forged = handle[:-6] + ("AAAAAA" if not handle.endswith("AAAAAA") else "BBBBBB")
    assert receipts.decode(forged) is None
    for bad in ("", "AQEB", "AQEB!!!!", "fake", "AQEB" + "A" * 2000, None):
        assert receipts.decode(bad) is None  # type: ignore[arg-type]


@given(st.text(max_size=300))
@settings(max_examples=500, deadline=None)
def test_any_receipt_handle_decodes_or_is_refused(handle: str) -> None:
    result = receipts.decode(handle)
    assert result is None or isinstance(result, receipts.Receipt)


def test_queue_urls_and_arns() -> None:
    assert parse_queue_url("http://localhost:4566/000000000000/q", CTX) == ("000000000000", "us-east-1", "q")
    assert parse_queue_url("http://sqs.eu-west-1.localhost.localstack.cloud:4566/111122223333/q", CTX) == (
        "111122223333", "eu-west-1", "q")
    assert parse_queue_url("https://sqs.ap-south-1.amazonaws.com/111122223333/q.fifo", CTX)[1:] == (
        "ap-south-1", "q.fifo")
    assert parse_queue_url("https://eu-west-2.queue.amazonaws.com/111122223333/q", CTX)[1] == "eu-west-2"
    assert parse_queue_url("http://localhost:4566/queue/us-west-2/111122223333/q", CTX)[1] == "us-west-2"
    assert address_from_path("/111122223333/q", CTX) == ("111122223333", "us-east-1", "q")
    assert address_from_path("/", CTX) is None
    assert parse_arn("arn:aws:sqs:us-east-1:111122223333:q") == ("111122223333", "us-east-1", "q")
    assert parse_arn("arn:aws:sns:us-east-1:111122223333:q") is None


@given(st.text(max_size=120))
@settings(max_examples=500, deadline=None)
def test_any_queue_url_parses_or_is_an_invalid_address(url: str) -> None:
    try:
        address = parse_queue_url(url, CTX)
    except ServiceError as error:
        assert error.code == "InvalidAddress"
        return
    assert len(address.account) == 12 and address.name


@given(st.one_of(st.text(max_size=80), st.dictionaries(
    st.sampled_from(["deadLetterTargetArn", "maxReceiveCount", "other"]),
    st.one_of(st.integers(-5, 2000), st.text(max_size=30), st.none(), st.booleans(), st.floats()), max_size=3,
).map(json.dumps)))
@settings(max_examples=400, deadline=None)
def test_any_redrive_policy_is_read_or_refused_with_sqs_words(raw: str) -> None:
    try:
        target, count = attributes.parse_redrive_policy(raw)
    except ServiceError as error:
        assert error.code == "InvalidParameterValue"
        assert error.message.startswith(f"Value {raw} for parameter RedrivePolicy is invalid. Reason: ")
        return
    assert parse_arn(target) is not None and 1 <= count <= 1000


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_any_redrive_allow_policy_is_read_or_refused(raw: str) -> None:
    try:
        document = attributes.parse_redrive_allow_policy(raw)
    except ServiceError as error:
        assert error.code == "InvalidParameterValue"
        return
    assert document["redrivePermission"] in ("allowAll", "denyAll", "byQueue")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "move", "remove", "take"]), st.integers(0, 40),
                          st.integers(0, 60), st.booleans()), max_size=200))
def test_the_visibility_index_agrees_with_a_plain_table(steps: list[tuple[str, int, int, bool]]) -> None:
    """Whatever order of sends, receives, visibility changes and deletes: the due messages come out in
    (visible-at, sequence) order, and the counts are those of the table of what each message says."""
    index = QueueIndex([(1000, 5, True), (1001, 0, False)])
    table = {1000: (5, True), 1001: (0, False)}  # seq -> (visible at, delayed)
    for op, value, when, flag in steps:
        seq = 1000 + value
        if op == "add" and seq not in table:
            index.add(seq, when, flag)
            table[seq] = (when, flag)
        elif op == "move" and seq in table:
            index.move(seq, when)
            table[seq] = (when, False)
        elif op == "remove":
            index.remove(seq)
            table.pop(seq, None)
        elif op == "take":
            limit = value % 11 + 1
            due = sorted((v, s) for s, (v, _) in table.items() if v <= when)[:limit]
            assert index.take_due(when, limit) == [s for _, s in due]
            for s in [s for _, s in due]:  # received: hidden for 30 more
                index.move(s, when + 30)
                table[s] = (when + 30, False)
        visible = sum(1 for v, _ in table.values() if v <= when)
        delayed = sum(1 for v, d in table.values() if d and v > when)
        assert index.counts(when) == (visible, len(table) - visible - delayed, delayed)
        assert index.next_at() == min((v for v, _ in table.values()), default=None)
        assert index.due(when) == [s for _, s in sorted((v, s) for s, (v, _) in table.items() if v <= when)]

"""Publish and PublishBatch: validation, FIFO sequencing and deduplication, per-protocol messages,
SMS and push, Lambda attempts (kept in the outbox until the Lambda service takes them)."""

from __future__ import annotations

import json
import threading

import pytest
from botocore.exceptions import ClientError

from tests.sns.conftest import error_of

LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:handler"


@pytest.fixture
def sns(cloudlet):  # noqa: ANN001, ANN201
    return cloudlet.client("sns")


def kept(cloudlet, **filters: str) -> list[dict]:  # noqa: ANN001
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return cloudlet.admin("GET", f"sns/messages?{query}")["messages"]


@pytest.mark.parametrize(("kwargs", "code", "message"), [
    ({"Message": ""}, "InvalidParameter", "Invalid parameter: Empty message"),
    ({"Message": "x" * (256 * 1024 + 1)}, "InvalidParameter", "Invalid parameter: Message too long"),
    ({"Message": "x", "Subject": ""}, "InvalidParameter", "Invalid parameter: Subject"),
    ({"Message": "x", "Subject": "a\nb"}, "InvalidParameter", "Invalid parameter: Subject"),
    ({"Message": "x", "Subject": "s" * 100}, "InvalidParameter", "Invalid parameter: Subject"),
    ({"Message": "x", "MessageStructure": "json"}, "InvalidParameter",
     "Invalid parameter: Message Structure - JSON message body failed to parse"),
    ({"Message": '{"sqs": "x"}', "MessageStructure": "json"}, "InvalidParameter",
     "Invalid parameter: Message Structure - No default entry in JSON message body"),
    ({"Message": "x", "MessageDeduplicationId": "d"}, "InvalidParameter",
     "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that "
     "is not valid for this topic type"),
    ({"Message": "x", "MessageAttributes": {".bad": {"DataType": "String", "StringValue": "v"}}},
     "ParameterValueInvalid", "Invalid message attribute name starting with character '.' was found."),
    ({"Message": "x", "MessageAttributes": {"a b": {"DataType": "String", "StringValue": "v"}}},
     "ParameterValueInvalid", "Invalid non-alphanumeric character '#x20' was found in the message attribute name. "
                              "Can only include alphanumeric characters, hyphens, underscores, or dots."),
    ({"Message": "x", "MessageAttributes": {"a": {"DataType": "Text", "StringValue": "v"}}},
     "ParameterValueInvalid", "The message attribute 'a' has an invalid message attribute type, the set of supported "
                              "type prefixes is Binary, Number, and String."),
    ({"Message": "x", "MessageAttributes": {"a": {"DataType": "Number", "StringValue": "ten"}}},
     "ParameterValueInvalid", "Could not cast message attribute 'a' value to number."),
    ({"Message": "x", "MessageAttributes": {"a": {"DataType": "String", "StringValue": ""}}},
     "ParameterValueInvalid", "The message attribute 'a' must contain non-empty message attribute value for message "
                              "attribute type 'String'."),
    ({"Message": "x", "MessageAttributes": {"a": {"DataType": "Binary", "StringValue": "v"}}},
     "ParameterValueInvalid", "The message attribute 'a' with type 'Binary' must use field 'Binary'."),
])
def test_publish_validation(sns, kwargs, code, message) -> None:  # noqa: ANN001
    topic = sns.create_topic(Name="publish-validation")["TopicArn"]
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, **kwargs)
    assert error_of(e)[:2] == (code, message)


def test_publish_needs_a_target(sns) -> None:  # noqa: ANN001
    with pytest.raises(ClientError) as e:
        sns.publish(Message="x")
    assert error_of(e)[1] == "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter"


def test_size_counts_attributes(sns) -> None:  # noqa: ANN001
    topic = sns.create_topic(Name="publish-size")["TopicArn"]
    attribute = {"k": {"DataType": "String", "StringValue": "v" * 100}}
    body = "x" * (256 * 1024 - 100 - len("k") - len("String"))
    sns.publish(TopicArn=topic, Message=body, MessageAttributes=attribute)
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, Message=body + "x", MessageAttributes=attribute)
    assert error_of(e)[1] == "Invalid parameter: Message too long"


def test_fifo_publish_sequence_and_deduplication(cloudlet, sns) -> None:  # noqa: ANN001
    topic = sns.create_topic(Name="publish.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, Message="x", MessageDeduplicationId="d")
    assert error_of(e)[1] == "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, Message="x", MessageGroupId="g")
    assert error_of(e)[1] == ("Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
                              "MessageDeduplicationId provided explicitly")
    first = sns.publish(TopicArn=topic, Message="x", MessageGroupId="g", MessageDeduplicationId="d1")
    second = sns.publish(TopicArn=topic, Message="y", MessageGroupId="g", MessageDeduplicationId="d2")
    assert int(second["SequenceNumber"]) > int(first["SequenceNumber"])
    assert len(first["SequenceNumber"]) == 20
    again = sns.publish(TopicArn=topic, Message="x", MessageGroupId="g", MessageDeduplicationId="d1")
    assert again["MessageId"] == first["MessageId"] and again["SequenceNumber"] == first["SequenceNumber"]
    cloudlet.advance_clock(301)  # past the five-minute window
    later = sns.publish(TopicArn=topic, Message="x", MessageGroupId="g", MessageDeduplicationId="d1")
    assert later["MessageId"] != first["MessageId"]


def test_batch_validation(sns) -> None:  # noqa: ANN001
    topic = sns.create_topic(Name="publish-batch")["TopicArn"]
    cases = [
        ([], "EmptyBatchRequest", "The batch request doesn't contain any entries."),
        ([{"Id": str(i), "Message": "m"} for i in range(11)], "TooManyEntriesInBatchRequest",
         "The batch request contains more entries than permissible."),
        ([{"Id": "a", "Message": "m"}, {"Id": "a", "Message": "n"}], "BatchEntryIdsNotDistinct",
         "Two or more batch entries in the request have the same Id."),
        ([{"Id": "no spaces", "Message": "m"}], "InvalidBatchEntryId",
         "The Id of a batch entry in the batch request contains an impermissible character: no spaces"),
        ([{"Id": "x" * 81, "Message": "m"}], "InvalidBatchEntryId",
         f"The Id of a batch entry in the batch request is too long: {'x' * 81}"),
        ([{"Id": "a", "Message": "m" * 200_000}, {"Id": "b", "Message": "m" * 70_000}], "BatchRequestTooLong",
         "The length of all the messages put together is more than the limit."),
    ]
    for entries, code, message in cases:
        with pytest.raises(ClientError) as e:
            sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
        assert error_of(e)[:2] == (code, message)


def test_batch_reports_entries_that_fail(sns) -> None:  # noqa: ANN001
    topic = sns.create_topic(Name="publish-batch-partial")["TopicArn"]
    result = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "good", "Message": "fine"},
        {"Id": "empty", "Message": ""},
    ])
    assert [s["Id"] for s in result["Successful"]] == ["good"]
    assert result["Failed"] == [{"Id": "empty", "Code": "InvalidParameter",
                                 "Message": "Invalid parameter: Empty message", "SenderFault": True}]


def test_fifo_batch(sns) -> None:  # noqa: ANN001
    topic = sns.create_topic(Name="batch.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})[
        "TopicArn"]
    result = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "1", "Message": "a", "MessageGroupId": "g"},
        {"Id": "2", "Message": "b", "MessageGroupId": "g"},
    ])
    numbers = [int(s["SequenceNumber"]) for s in result["Successful"]]
    assert numbers == sorted(numbers) and len(set(numbers)) == 2


def test_message_structure_picks_the_protocol_message(cloudlet, sns) -> None:  # noqa: ANN001
    topic = sns.create_topic(Name="publish-structure")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15550001111")
    sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint="json@example.com")
    sns.publish(TopicArn=topic, MessageStructure="json",
                Message=json.dumps({"default": "for everyone", "sms": "short", "email": "long", "ignored": 5}))
    assert [m["body"] for m in kept(cloudlet, topicArn=topic, protocol="sms")] == ["short"]


def test_sms_and_push(cloudlet, sns) -> None:  # noqa: ANN001
    result = sns.publish(PhoneNumber="+15557654321", Message="your code is 1234")
    texts = kept(cloudlet, protocol="sms", endpoint="%2B15557654321")
    assert [(t["message_id"], t["body"]) for t in texts] == [(result["MessageId"], "your code is 1234")]
    with pytest.raises(ClientError) as e:
        sns.publish(PhoneNumber="12-34", Message="x")
    assert error_of(e)[1] == "Invalid parameter: PhoneNumber Reason: 12-34 is not valid to publish to"
    app = sns.create_platform_application(Name="app", Platform="GCM", Attributes={"PlatformCredential": "key"})[
        "PlatformApplicationArn"]
    assert app == "arn:aws:sns:us-east-1:000000000000:app/GCM/app"
    endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1")["EndpointArn"]
    assert sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1")["EndpointArn"] == endpoint
    sns.publish(TargetArn=endpoint, MessageStructure="json",
                Message=json.dumps({"default": "d", "GCM": json.dumps({"notification": {"title": "hi"}})}))
    pushes = kept(cloudlet, protocol="application", endpoint=endpoint)
    assert json.loads(pushes[-1]["body"]) == {"notification": {"title": "hi"}}
    sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    with pytest.raises(ClientError) as e:
        sns.publish(TargetArn=endpoint, Message="x")
    assert error_of(e) == ("EndpointDisabled", "Endpoint is disabled", 400)
    listed = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]
    assert [x["EndpointArn"] for x in listed] == [endpoint]
    sns.delete_endpoint(EndpointArn=endpoint)
    sns.delete_platform_application(PlatformApplicationArn=app)
    with pytest.raises(ClientError) as e:
        sns.get_platform_application_attributes(PlatformApplicationArn=app)
    assert error_of(e) == ("NotFound", "PlatformApplication does not exist", 404)


def test_sms_settings_and_opt_out(cloudlet, sns) -> None:  # noqa: ANN001
    sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional"})
    assert sns.get_sms_attributes(attributes=["DefaultSMSType"])["attributes"] == {"DefaultSMSType": "Transactional"}
    with pytest.raises(ClientError) as e:
        sns.set_sms_attributes(attributes={"DefaultSMSType": "Loud"})
    assert error_of(e)[0] == "InvalidParameter"
    assert sns.check_if_phone_number_is_opted_out(phoneNumber="+15550009999")["isOptedOut"] is False
    cloudlet.admin("POST", "sns/opt-out", {"phoneNumber": "+15550009999"})
    assert sns.check_if_phone_number_is_opted_out(phoneNumber="+15550009999")["isOptedOut"] is True
    assert "+15550009999" in sns.list_phone_numbers_opted_out()["phoneNumbers"]
    sns.opt_in_phone_number(phoneNumber="+15550009999")
    assert sns.check_if_phone_number_is_opted_out(phoneNumber="+15550009999")["isOptedOut"] is False


def test_sms_sandbox(cloudlet, sns) -> None:  # noqa: ANN001
    sns.create_sms_sandbox_phone_number(PhoneNumber="+15550004444", LanguageCode="en-US")
    listed = sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"]
    assert {"PhoneNumber": "+15550004444", "Status": "Pending"} in listed
    code = kept(cloudlet, type="VerificationCode", endpoint="%2B15550004444")[-1]["code"]
    with pytest.raises(ClientError) as e:
        sns.verify_sms_sandbox_phone_number(PhoneNumber="+15550004444", OneTimePassword="000000" if code != "000000" else "1")
    assert error_of(e)[0] == "VerificationException"
    sns.verify_sms_sandbox_phone_number(PhoneNumber="+15550004444", OneTimePassword=code)
    assert {"PhoneNumber": "+15550004444", "Status": "Verified"} in sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"]
    sns.delete_sms_sandbox_phone_number(PhoneNumber="+15550004444")


def test_lambda_attempts_are_recorded_and_put_on_the_bus(cloudlet, sns) -> None:  # noqa: ANN001
    heard: list[dict] = []
    arrived = threading.Event()

    def listener(topic: str, event: dict) -> None:
        heard.append(event)
        arrived.set()

    unsubscribe = cloudlet.server.app.runtime.bus.subscribe("sns:lambda-delivery", listener)
    topic = sns.create_topic(Name="publish-lambda")["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=LAMBDA)["SubscriptionArn"]
    try:
        published = sns.publish(TopicArn=topic, Message="event!", Subject="s",
                                MessageAttributes={"n": {"DataType": "Number", "StringValue": "5"}})
        assert arrived.wait(10)
    finally:
        unsubscribe()
    assert heard[0]["function_arn"] == LAMBDA and heard[0]["subscription_arn"] == sub
    assert heard[0]["event"]["Records"][0]["Sns"]["MessageId"] == published["MessageId"]
    attempt = kept(cloudlet, topicArn=topic, protocol="lambda")[-1]
    record = attempt["event"]["Records"][0]
    assert record["EventSource"] == "aws:sns" and record["EventSubscriptionArn"] == sub
    assert record["Sns"]["MessageId"] == published["MessageId"]
    assert record["Sns"]["Message"] == "event!" and record["Sns"]["Subject"] == "s"
    assert record["Sns"]["MessageAttributes"] == {"n": {"Type": "Number", "Value": "5"}}
    assert record["Sns"]["SigningCertUrl"].endswith(".pem") and record["Sns"]["Signature"]


def test_unimplemented_nothing(sns) -> None:  # noqa: ANN001
    assert sns.get_sms_sandbox_account_status()["IsInSandbox"] is False
    assert sns.list_origination_numbers()["PhoneNumbers"] == []

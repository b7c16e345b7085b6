"""HTTP/S subscriptions: confirmation by token or SubscribeURL, signed notifications, retries, DLQ."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import urllib.request

import pytest

from cloudlet.config import Config
from cloudlet.testing import cloudlet_server

SIGNED_NOTIFICATION = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
SIGNED_CONFIRMATION = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


@pytest.fixture(scope="module")
def cloud():  # noqa: ANN201 - a private server: these tests move the clock
    with cloudlet_server(Config(ephemeral=True, port=0)) as server:
        yield server


def string_to_sign(document: dict) -> bytes:
    names = SIGNED_NOTIFICATION if document["Type"] == "Notification" else SIGNED_CONFIRMATION
    return "".join(f"{n}\n{document[n]}\n" for n in names if n in document).encode()


def openssl_verifies(tmp_path, document: dict) -> bool:  # noqa: ANN001
    """Verify a message as a subscriber would: fetch SigningCertURL, check with openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    with urllib.request.urlopen(document["SigningCertURL"], timeout=10) as response:
        (tmp_path / "cert.pem").write_bytes(response.read())
    pub = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "cert.pem"), "-noout", "-pubkey"],
                         capture_output=True, check=True).stdout
    (tmp_path / "pub.pem").write_bytes(pub)
    (tmp_path / "data").write_bytes(string_to_sign(document))
    (tmp_path / "sig").write_bytes(base64.b64decode(document["Signature"]))
    digest = "-sha256" if document["SignatureVersion"] == "2" else "-sha1"
    result = subprocess.run(["openssl", "dgst", digest, "-verify", str(tmp_path / "pub.pem"), "-signature",
                             str(tmp_path / "sig"), str(tmp_path / "data")], capture_output=True)
    return result.returncode == 0


def subscribe_and_confirm(sns, topic: str, endpoint, how: str = "api") -> str:  # noqa: ANN001
    protocol = endpoint.url.split(":", 1)[0]
    pending = sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint.url + "/hook")
    assert pending["SubscriptionArn"] == "pending confirmation"
    headers, confirmation = endpoint.next_json()
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert "x-amz-sns-subscription-arn" not in headers
    if how == "api":
        return sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"]
    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=10) as response:
        body = response.read().decode()
    assert "<ConfirmSubscriptionResult>" in body
    return body.split("<SubscriptionArn>")[1].split("</SubscriptionArn>")[0]


def test_confirmation_message_is_signed_and_the_token_confirms(cloud, endpoint, tmp_path) -> None:  # noqa: ANN001
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="http-confirm")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url + "/hook")
    request = endpoint.next()
    headers, confirmation = request["headers"], json.loads(request["body"])
    assert request["path"] == "/hook"
    assert headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert headers["User-Agent"] == "Amazon Simple Notification Service Agent"
    assert headers["x-amz-sns-topic-arn"] == topic
    assert list(confirmation) == ["Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL", "Timestamp",
                                  "SignatureVersion", "Signature", "SigningCertURL"]
    assert confirmation["Message"] == (
        f"You have chosen to subscribe to the topic {topic}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message."
    )
    assert len(confirmation["Token"]) == 288
    assert openssl_verifies(tmp_path, confirmation)
    subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in subs] == ["PendingConfirmation"]
    arn = sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    # confirming again is harmless
    assert sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"] == arn


def test_subscribe_url_confirms_without_a_signature(cloud, endpoint) -> None:  # noqa: ANN001
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="http-url")["TopicArn"]
    arn = subscribe_and_confirm(sns, topic, endpoint, how="url")
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    assert attributes["ConfirmationWasAuthenticated"] == "false"


def test_bad_tokens_are_refused(cloud) -> None:  # noqa: ANN001
    from botocore.exceptions import ClientError

    sns = cloud.client("sns")
    topic = sns.create_topic(Name="http-bad-token")["TopicArn"]
    with pytest.raises(ClientError) as e:
        sns.confirm_subscription(TopicArn=topic, Token="00" * 144)
    assert e.value.response["Error"]["Code"] == "InvalidParameter"
    assert e.value.response["Error"]["Message"] == "Invalid parameter: Token"


@pytest.mark.parametrize("version", ["1", "2"])
def test_notifications_are_signed_with_the_served_certificate(cloud, endpoint, tmp_path, version) -> None:  # noqa: ANN001
    sns = cloud.client("sns")
    topic = sns.create_topic(Name=f"http-notify-{version}", Attributes={"SignatureVersion": version})["TopicArn"]
    arn = subscribe_and_confirm(sns, topic, endpoint)
    published = sns.publish(TopicArn=topic, Message="héllo \"world\"\nline", Subject="greeting",
                            MessageAttributes={"store": {"DataType": "String", "StringValue": "example_corp"}})
    headers, document = endpoint.next_json()
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-message-id"] == published["MessageId"]
    assert headers["x-amz-sns-subscription-arn"] == arn
    assert list(document) == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
                              "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"]
    assert document["Message"] == "héllo \"world\"\nline"
    assert document["SignatureVersion"] == version
    assert document["MessageAttributes"] == {"store": {"Type": "String", "Value": "example_corp"}}
    assert document["UnsubscribeURL"].endswith(f"/?Action=Unsubscribe&SubscriptionArn={arn}")
    assert openssl_verifies(tmp_path, document)
    tampered = {**document, "Message": "something else"}
    assert not openssl_verifies(tmp_path, tampered)


def test_https_endpoints_with_self_signed_certificates_get_confirmations_and_notifications(
    cloud, https_endpoint, tmp_path,  # noqa: ANN001
) -> None:
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="https-notify")["TopicArn"]
    arn = subscribe_and_confirm(sns, topic, https_endpoint)
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["Protocol"] == "https"
    sns.publish(TopicArn=topic, Message="over TLS")
    headers, document = https_endpoint.next_json()
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-subscription-arn"] == arn
    assert document["Message"] == "over TLS"
    assert openssl_verifies(tmp_path, document)


def test_raw_delivery_posts_the_message_itself(cloud, endpoint) -> None:  # noqa: ANN001
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="http-raw")["TopicArn"]
    arn = subscribe_and_confirm(sns, topic, endpoint)
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue="true")
    sns.publish(TopicArn=topic, Message="just this")
    request = endpoint.next()
    assert request["body"] == b"just this"
    assert request["headers"]["x-amz-sns-rawdelivery"] == "true"


def test_unsubscribe_url_unsubscribes(cloud, endpoint) -> None:  # noqa: ANN001
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="http-unsubscribe")["TopicArn"]
    subscribe_and_confirm(sns, topic, endpoint)
    sns.publish(TopicArn=topic, Message="one")
    _, document = endpoint.next_json()
    with urllib.request.urlopen(document["UnsubscribeURL"], timeout=10) as response:
        assert response.status == 200
    headers, goodbye = endpoint.next_json()
    assert goodbye["Type"] == "UnsubscribeConfirmation"
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_failed_deliveries_are_retried_per_the_delivery_policy(cloud, endpoint) -> None:  # noqa: ANN001
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="http-retry")["TopicArn"]
    arn = subscribe_and_confirm(sns, topic, endpoint)
    policy = {"healthyRetryPolicy": {"numRetries": 2, "minDelayTarget": 5, "maxDelayTarget": 5}}
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="DeliveryPolicy",
                                    AttributeValue=json.dumps(policy))
    endpoint.statuses = [500, 503]
    sns.publish(TopicArn=topic, Message="persist")
    first = endpoint.next()
    assert first["status"] == 500
    assert endpoint.nothing_more()  # the retry waits for Cloudlet's clock
    cloud.advance_clock(5)
    second = endpoint.next()
    assert second["status"] == 503 and second["body"] == first["body"]
    cloud.advance_clock(5)
    third = endpoint.next()
    assert third["status"] == 200 and third["body"] == first["body"]
    cloud.advance_clock(60)
    assert endpoint.nothing_more()


def test_client_errors_are_not_retried(cloud, endpoint) -> None:  # noqa: ANN001
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="http-404")["TopicArn"]
    subscribe_and_confirm(sns, topic, endpoint)
    endpoint.statuses = [404]
    sns.publish(TopicArn=topic, Message="gone")
    assert endpoint.next()["status"] == 404
    cloud.advance_clock(120)
    assert endpoint.nothing_more()
    failures = cloud.admin("GET", f"sns/messages?type=DeliveryFailure&topicArn={topic}")["messages"]
    assert [f["error_code"] for f in failures] == ["HTTP 404"]


def test_effective_delivery_policy(cloud, endpoint) -> None:  # noqa: ANN001
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="http-policy")["TopicArn"]
    arn = subscribe_and_confirm(sns, topic, endpoint)
    effective = json.loads(sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["EffectiveDeliveryPolicy"])
    assert effective["healthyRetryPolicy"]["numRetries"] == 3
    assert effective["healthyRetryPolicy"]["minDelayTarget"] == 20
    assert effective["requestPolicy"] == {"headerContentType": "text/plain; charset=UTF-8"}

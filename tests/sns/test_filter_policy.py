"""The filter policy engine directly: AWS's operators, scopes, limits and messages; property tests."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.services.sns.filter_policy import FilterPolicy, FilterPolicyError


def attrs(**values: object) -> dict:
    out = {}
    for name, value in values.items():
        if isinstance(value, list):
            out[name] = {"DataType": "String.Array", "StringValue": json.dumps(value)}
        elif isinstance(value, int | float):
            out[name] = {"DataType": "Number", "StringValue": str(value)}
        elif isinstance(value, bytes):
            out[name] = {"DataType": "Binary", "BinaryValue": value}
        else:
            out[name] = {"DataType": "String", "StringValue": value}
    return out


def matches(policy: dict, **values: object) -> bool:
    return FilterPolicy.from_document(policy).matches_attributes(attrs(**values))


def body_matches(policy: dict, body: object) -> bool:
    return FilterPolicy.from_document(policy, "MessageBody").matches_body(json.dumps(body))


def error(policy: object, scope: str = "MessageAttributes") -> str:
    with pytest.raises(FilterPolicyError) as e:
        FilterPolicy.parse(policy if isinstance(policy, str) else json.dumps(policy), scope)
    return e.value.message


# --- attribute scope --------------------------------------------------------------------------


def test_exact_strings_are_ored_within_a_key_and_anded_across_keys() -> None:
    policy = {"store": ["example_corp", "other"], "event": ["order_placed"]}
    assert matches(policy, store="other", event="order_placed")
    assert not matches(policy, store="other", event="order_cancelled")
    assert not matches(policy, store="other")
    assert not matches(policy, store="Example_corp", event="order_placed")  # case-sensitive


def test_numbers_match_number_attributes_only() -> None:
    assert matches({"price": [100]}, price=100)
    assert matches({"price": [100]}, price=100.0)
    assert not matches({"price": [100]}, price="100")
    assert not matches({"price": ["100"]}, price=100)


def test_string_arrays_match_when_any_element_does() -> None:
    assert matches({"sport": ["rugby"]}, sport=["soccer", "rugby"])
    assert not matches({"sport": ["rugby"]}, sport=["soccer"])
    assert matches({"n": [3]}, n=[1, 3])
    assert matches({"flag": [True]}, flag=[True])


def test_binary_attributes_are_ignored() -> None:
    assert not matches({"b": [{"exists": True}]}, b=b"xyz")
    assert matches({"b": [{"exists": False}]}, b=b"xyz")


def test_prefix_suffix_and_equals_ignore_case() -> None:
    assert matches({"k": [{"prefix": "bas"}]}, k="baseball")
    assert not matches({"k": [{"prefix": "bas"}]}, k="rugby")
    assert matches({"k": [{"suffix": "ball"}]}, k="baseball")
    assert matches({"k": [{"equals-ignore-case": "ReD"}]}, k="red")
    assert not matches({"k": [{"equals-ignore-case": "red"}]}, k="reddish")


def test_anything_but() -> None:
    assert matches({"k": [{"anything-but": "red"}]}, k="blue")
    assert not matches({"k": [{"anything-but": ["red", "blue"]}]}, k="blue")
    assert not matches({"k": [{"anything-but": "red"}]})  # absent: no match
    assert matches({"k": [{"anything-but": [100]}]}, k=101)
    assert not matches({"k": [{"anything-but": [100]}]}, k=100)
    assert matches({"k": [{"anything-but": {"prefix": "order-"}}]}, k="invoice-1")
    assert not matches({"k": [{"anything-but": {"prefix": "order-"}}]}, k="order-1")


def test_numeric_ranges() -> None:
    policy = {"price": [{"numeric": [">", 0, "<=", 150]}]}
    assert matches(policy, price=150)
    assert matches(policy, price=0.5)
    assert not matches(policy, price=0)
    assert not matches(policy, price=150.1)
    assert not matches(policy, price="10")  # a String attribute is not a number
    assert matches({"p": [{"numeric": ["=", 301.5]}]}, p=301.5)
    assert matches({"p": [{"numeric": [">=", 10]}]}, p=10)
    assert not matches({"p": [{"numeric": ["<", 10]}]}, p=10)


def test_exists() -> None:
    assert matches({"k": [{"exists": True}]}, k="anything")
    assert not matches({"k": [{"exists": True}]}, other="x")
    assert matches({"k": [{"exists": False}]}, other="x")
    assert not matches({"k": [{"exists": False}]}, k="x")


def test_cidr() -> None:
    assert matches({"ip": [{"cidr": "10.0.0.0/24"}]}, ip="10.0.0.255")
    assert not matches({"ip": [{"cidr": "10.0.0.0/24"}]}, ip="10.0.1.0")
    assert matches({"ip": [{"cidr": "2001:db8::/32"}]}, ip="2001:db8::1")
    assert not matches({"ip": [{"cidr": "10.0.0.0/24"}]}, ip="not an ip")


def test_or_offers_alternatives() -> None:
    policy = {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}
    assert matches(policy, source="aws.cloudwatch", namespace="AWS/EC2")
    assert matches(policy, source="aws.cloudwatch", metricName="CPUUtilization")
    assert not matches(policy, source="aws.cloudwatch", metricName="Other")
    assert not matches(policy, source="other", namespace="AWS/EC2")


def test_an_empty_policy_matches_everything() -> None:
    assert FilterPolicy.parse("{}").matches_attributes({})
    assert FilterPolicy.parse("{}", "MessageBody").matches_body("not json")


# --- body scope -----------------------------------------------------------------------------------


def test_body_scope_nests_like_the_body() -> None:
    policy = {"customer": {"tier": ["gold"], "address": {"country": [{"prefix": "U"}]}}}
    assert body_matches(policy, {"customer": {"tier": "gold", "address": {"country": "US"}}})
    assert not body_matches(policy, {"customer": {"tier": "gold", "address": {"country": "FR"}}})
    assert not body_matches(policy, {"customer": {"tier": "gold"}})


def test_body_arrays_match_when_any_element_does() -> None:
    assert body_matches({"tags": ["b"]}, {"tags": ["a", "b"]})
    assert body_matches({"items": {"sku": ["x"]}}, {"items": [{"sku": "y"}, {"sku": "x"}]})
    assert not body_matches({"items": {"sku": ["z"]}}, {"items": [{"sku": "y"}, {"sku": "x"}]})


def test_body_types_booleans_and_null() -> None:
    assert body_matches({"ok": [True]}, {"ok": True})
    assert not body_matches({"ok": [True]}, {"ok": "true"})
    assert body_matches({"v": [None]}, {"v": None})
    assert body_matches({"n": [{"numeric": [">", 1]}]}, {"n": 2})
    assert body_matches({"missing": [{"exists": False}]}, {"other": 1})
    assert not body_matches({"obj": [{"exists": True}]}, {"obj": {}})  # an object is not a leaf


def test_a_body_that_is_not_a_json_object_matches_nothing() -> None:
    policy = FilterPolicy.parse('{"a": ["b"]}', "MessageBody")
    assert not policy.matches_body("plain text")
    assert not policy.matches_body("[1, 2]")
    assert not policy.matches_body('"a"')


# --- validation: AWS's limits and words --------------------------------------------------------------


@pytest.mark.parametrize(("policy", "message"), [
    ('{"a": ', "failed to parse JSON."),
    ({"a": "b"}, '"a" must be an object or an array'),
    ({"a": []}, "Empty arrays are not allowed"),
    ({"a": [{"prefix": 1}]}, "prefix match pattern must be a string"),
    ({"a": [{"suffix": None}]}, "suffix match pattern must be a string"),
    ({"a": [{"equals-ignore-case": 5}]}, "equals-ignore-case match pattern must be a string"),
    ({"a": [{"exists": "yes"}]}, "exists match pattern must be either true or false."),
    ({"a": [{"wildcard": "x*"}]}, "Unrecognized match type wildcard"),
    ({"a": [{"prefix": "x", "suffix": "y"}]}, "Only one key allowed in match expression"),
    ({"a": [["nested"]]}, "Match value must be String, number, true, false, or null"),
    ({"a": [{"anything-but": {"suffix": "x"}}]}, "Unsupported anything-but pattern: suffix"),
    ({"a": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
    ({"a": [{"numeric": [5]}]}, "Invalid member in numeric match: 5"),
    ({"a": [{"numeric": ["!=", 5]}]}, "Unrecognized numeric range operator: !="),
    ({"a": [{"numeric": ["=", "5"]}]}, "Value of equals must be numeric"),
    ({"a": [{"numeric": ["<", 5, ">", 1]}]}, "Too many elements in numeric expression"),
    ({"a": [{"numeric": [">", 5, "=", 1]}]}, "Bad numeric range operator: ="),
    ({"a": [{"numeric": [">", 5, "<", 1]}]}, "Bottom must be less than top"),
    ({"a": [{"numeric": [">", 1, "<", 5, 6]}]}, "Too many terms in numeric range expression"),
    ({"a": [{"cidr": "10.0.0.0"}]}, "Malformed CIDR, one '/' required"),
    ({"a": [{"cidr": "10.0.0.0/x"}]}, "Malformed CIDR, mask bits must be an integer"),
    ({"a": [{"cidr": "10.0.0.300/8"}]}, "Nonstandard IP address: 10.0.0.300"),
    ({k: ["v"] for k in "abcdef"}, "Filter policy can not have more than 5 keys"),
    ({"a": list(range(10)), "b": list(range(10)), "c": list(range(2))}, "Filter policy is too complex"),
    ({"a": {"b": ["c"]}}, "Filter policy scope MessageAttributes does not support nested filter policy"),
])
def test_invalid_policies(policy: object, message: str) -> None:
    assert error(policy) == message


def test_complexity_counts_nesting_depth_in_body_scope() -> None:
    # 3 x 4 x 2 x 3 = 72, the AWS guide's example, is allowed; nine values make 3 x 9 x 2 x 3 = 162
    fine = {"key_a": {"key_b": {"key_c": ["1", "2", "3", "4"]}}, "key_d": {"key_e": ["1", "2", "3"]}}
    FilterPolicy.from_document(fine, "MessageBody")
    too_much = {"key_a": {"key_b": {"key_c": [str(i) for i in range(9)]}}, "key_d": {"key_e": ["1", "2", "3"]}}
    assert error(too_much, "MessageBody") == "Filter policy is too complex"


def test_or_combinations_add_up() -> None:
    FilterPolicy.from_document({"$or": [{"a": list(range(75))}, {"b": list(range(75))}]})
    assert error({"$or": [{"a": list(range(76))}, {"b": list(range(75))}]}) == "Filter policy is too complex"


# --- properties ---------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from(["MessageAttributes", "MessageBody"]))
def test_any_json_is_a_policy_or_a_filter_policy_error(document: object, scope: str) -> None:
    try:
        policy = FilterPolicy.parse(json.dumps(document), scope)
    except FilterPolicyError as e:
        assert e.message
        return
    policy.matches_body(json.dumps(document))
    policy.matches_attributes({"a": {"DataType": "String", "StringValue": "x"}})


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_a_policy_or_a_filter_policy_error(text: str) -> None:
    try:
        FilterPolicy.parse(text)
    except FilterPolicyError:
        pass


words = st.text(alphabet="abcxyz", min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(words, st.lists(words, min_size=1, max_size=3, unique=True), min_size=1, max_size=3), st.data())
def test_exact_policies_match_exactly_the_listed_values(policy: dict, data: st.DataObject) -> None:
    compiled = FilterPolicy.from_document(policy)
    chosen = {key: data.draw(st.sampled_from(values)) for key, values in policy.items()}
    assert compiled.matches_attributes(attrs(**chosen))
    spoiled = data.draw(st.sampled_from(sorted(policy)))
    other = data.draw(words.filter(lambda w: w not in policy[spoiled]))
    assert not compiled.matches_attributes(attrs(**{**chosen, spoiled: other}))
    # anything-but of the same lists is the complement, for present keys
    negated = FilterPolicy.from_document({spoiled: [{"anything-but": policy[spoiled]}]})
    assert negated.matches_attributes(attrs(**{spoiled: other}))
    assert not negated.matches_attributes(attrs(**{spoiled: chosen[spoiled]}))


@settings(max_examples=200, deadline=None)
@given(st.integers(-1000, 1000), st.integers(1, 1000), st.integers(-3000, 3000))
def test_numeric_ranges_are_intervals(low: int, width: int, value: int) -> None:
    policy = FilterPolicy.from_document({"n": [{"numeric": [">=", low, "<", low + width]}]})
    assert policy.matches_attributes(attrs(n=value)) == (low <= value < low + width)
    body = FilterPolicy.from_document({"n": [{"numeric": [">=", low, "<", low + width]}]}, "MessageBody")
    assert body.matches_body(json.dumps({"n": value})) == (low <= value < low + width)

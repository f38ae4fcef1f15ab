"""The key layout: one key per thing, never shared, one Cluster slot per channel."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.state.keys import (
    IntakeRef,
    answer_log_key,
    cards_key,
    channel_index_key,
    channel_member,
    channel_of_member,
    channel_tag,
    cluster_slot,
    conversation_key,
    delivery_key,
    digest_claim_key,
    digest_schedule_key,
    digest_slot_key,
    history_log_key,
    intake_delivery_key,
    intake_key,
    names_key,
    outbox_key,
    place_key,
    reminder_claim_key,
    reminder_slot_key,
    thread_of_intake_key,
)

PREFIX = "intake"

# A small alphabet full of separators and escape look-alikes, so that examples
# which a naive join would confuse come up all the time.
_tricky = st.text(alphabet=":{}%3A7BDab ", max_size=5)
component = st.one_of(_tricky, st.text(max_size=12))
refs = st.builds(IntakeRef, component, component, component, component)


def _hash_tag(key: str) -> str:
    """What Redis Cluster hashes: the text between the first '{' and the next '}'."""
    start = key.index("{")
    return key[start + 1 : key.index("}", start + 1)]


def _parse(key: str) -> tuple[str, ...]:
    """Read a key back into its kind and unescaped components."""
    assert key.startswith(PREFIX + ":")
    kind, rest = key[len(PREFIX) + 1 :].split(":", 1)
    assert rest.startswith("{")
    tag, _, tail = rest[1:].partition("}")
    parts = tag.split(":") + (tail[1:].split(":") if tail else [])
    return (kind, *(unquote(p) for p in parts))


@given(refs, st.text())
def test_keys_read_back_to_exactly_their_components(ref: IntakeRef, user: str) -> None:
    """Every key decodes to its own ref and user, so distinct inputs cannot share a key."""
    fields = (ref.platform, ref.workspace, ref.channel, ref.thread)
    assert _parse(intake_key(ref, PREFIX)) == ("intake", *fields)
    assert _parse(place_key(ref, user, PREFIX)) == ("place", *fields, user)


@given(refs, refs)
def test_distinct_refs_have_distinct_intake_keys(a: IntakeRef, b: IntakeRef) -> None:
    """Two different intakes never share a record."""
    assume(a != b)
    assert intake_key(a, PREFIX) != intake_key(b, PREFIX)


@given(refs, component, refs, component)
def test_distinct_people_or_intakes_have_distinct_place_keys(
    a: IntakeRef, user_a: str, b: IntakeRef, user_b: str
) -> None:
    """Nobody's place is shared with another person or another intake."""
    assume((a, user_a) != (b, user_b))
    assert place_key(a, user_a, PREFIX) != place_key(b, user_b, PREFIX)


@given(component, component, component, component)
def test_distinct_deliveries_have_distinct_keys(
    platform_a: str, id_a: str, platform_b: str, id_b: str
) -> None:
    """A delivery is only taken for a repeat of itself."""
    assume((platform_a, id_a) != (platform_b, id_b))
    assert delivery_key(platform_a, id_a, PREFIX) != delivery_key(platform_b, id_b, PREFIX)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (IntakeRef("slack", "T1:C1", "", "1.2"), IntakeRef("slack", "T1", "C1:", "1.2")),
        (IntakeRef("slack", "T1", "C1", "1:2"), IntakeRef("slack", "T1", "C1:1", "2")),
        (IntakeRef("slack", "T}{1", "C1", "x"), IntakeRef("slack", "T", "}{1:C1", "x")),
        (IntakeRef("slack", "T%3A1", "C", ""), IntakeRef("slack", "T:1", "C", "")),
        (IntakeRef("slack", "T1", "C1", ""), IntakeRef("slack", "T1", "C1", "%")),
    ],
)
def test_values_with_separators_do_not_collide(a: IntakeRef, b: IntakeRef) -> None:
    """Ids that a plain ':'-join (or an escape-unaware one) would merge stay apart."""
    assert intake_key(a, PREFIX) != intake_key(b, PREFIX)
    assert place_key(a, "U1", PREFIX) != place_key(b, "U1", PREFIX)


def test_user_with_separator_does_not_reach_another_thread() -> None:
    """A user id cannot spell out a different thread's place."""
    assert place_key(IntakeRef("slack", "T", "C", "1"), "2:U", PREFIX) != place_key(
        IntakeRef("slack", "T", "C", "1:2"), "U", PREFIX
    )


@given(refs, component, component)
def test_an_intakes_keys_share_one_cluster_slot(ref: IntakeRef, user: str, delivery: str) -> None:
    """Intake, places, channel index, deliveries and the channel's address share one slot."""
    keys = [
        intake_key(ref, PREFIX),
        place_key(ref, user, PREFIX),
        channel_index_key(ref.platform, ref.workspace, ref.channel, PREFIX),
        intake_delivery_key(ref, delivery, PREFIX),
        conversation_key(ref.platform, ref.workspace, ref.channel, PREFIX),
        answer_log_key(ref, PREFIX),
        history_log_key(ref, PREFIX),
        outbox_key(ref, PREFIX),
        digest_schedule_key(ref.platform, ref.workspace, ref.channel, PREFIX),
        digest_slot_key(ref, delivery, PREFIX),
        digest_claim_key(ref, delivery, PREFIX),
        reminder_slot_key(ref, delivery, PREFIX),
        reminder_claim_key(ref, delivery, PREFIX),
        cards_key(ref.platform, ref.workspace, ref.channel, PREFIX),
    ]
    tag = channel_tag(ref.platform, ref.workspace, ref.channel)
    assert {_hash_tag(k) for k in keys} == {tag[1:-1]}
    assert len({cluster_slot(k) for k in keys}) == 1


def test_channels_get_their_own_hash_tags() -> None:
    """Channels spread over the Cluster instead of piling into one slot."""
    tags = {
        channel_tag(
            "slack",
            "T1",
            f"C{n}",
        )
        for n in range(50)
    }
    assert len({cluster_slot(t) for t in tags}) > 40


@pytest.mark.parametrize("prefix", ["intake", "intake:staging", "test-0a1b"])
def test_prefix_leads_every_key(prefix: str) -> None:
    """Each deployment (and each test) keeps to its own namespace."""
    ref = IntakeRef("teams", "tenant", "19:abc@thread.tacv2", "")
    keys = [
        intake_key(ref, prefix),
        place_key(ref, "U", prefix),
        channel_index_key("teams", "tenant", "19:abc@thread.tacv2", prefix),
        intake_delivery_key(ref, "d1", prefix),
        delivery_key("teams", "d1", prefix),
    ]
    assert all(k.startswith(prefix + ":") for k in keys)
    assert intake_key(ref, prefix) != intake_key(ref, prefix + "x")


@pytest.mark.parametrize("prefix", ["", "a{b}", "a}", "a:", ":a", "a::b", "a b"])
def test_prefixes_that_could_break_the_layout_are_refused(prefix: str) -> None:
    """A brace in the prefix would become every key's hash tag; empty parts blur the layout."""
    with pytest.raises(ValueError, match="key prefix"):
        intake_key(IntakeRef("slack", "T", "C", "1"), prefix)


def test_kinds_never_share_a_key() -> None:
    """No two kinds of record (intake, place, index, delivery marks, address, names) collide."""
    ref = IntakeRef("slack", "T", "C", "")
    keys = {
        intake_key(ref, PREFIX),
        place_key(ref, "", PREFIX),
        channel_index_key("slack", "T", "C", PREFIX),
        intake_delivery_key(ref, "", PREFIX),
        delivery_key("slack", "", PREFIX),
        conversation_key("slack", "T", "C", PREFIX),
        names_key("slack", "T", PREFIX),
    }
    assert len(keys) == 7


@given(refs)
def test_a_channel_member_and_an_intake_key_read_back(ref: IntakeRef) -> None:
    """The scheduler finds channels and threads again from the keys it scans and the set it reads."""
    member = channel_member(ref.platform, ref.workspace, ref.channel)
    assert channel_of_member(member) == (ref.platform, ref.workspace, ref.channel)
    assert thread_of_intake_key(intake_key(ref, PREFIX)) == ref.thread


@given(refs, component, component)
def test_scheduled_post_slots_differ_by_period_and_day(ref: IntakeRef, a: str, b: str) -> None:
    """Two periods (or days) of one channel never share a once-only slot."""
    if a != b:
        assert digest_slot_key(ref, a, PREFIX) != digest_slot_key(ref, b, PREFIX)
        assert reminder_slot_key(ref, a, PREFIX) != reminder_slot_key(ref, b, PREFIX)

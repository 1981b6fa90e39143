"""The virtual router's DHCP lease state machine."""

from controllers.leases import LeasePool

A, B, C = "08:00:27:00:00:01", "08:00:27:00:00:02", "08:00:27:00:00:03"


def test_addresses_are_handed_out_from_the_first_upwards():
    pool = LeasePool("10.0.2.15", 10)
    assert pool.offer(A, now=0) == "10.0.2.15"
    assert pool.request(A, "10.0.2.15", now=0) == 3600
    assert pool.offer(B, now=0) == "10.0.2.16"


def test_reserved_addresses_go_to_their_mac_only():
    pool = LeasePool("10.0.2.15", 10, reserved={B: "10.0.2.15"})
    assert pool.offer(A, now=0) == "10.0.2.16"
    assert pool.offer(B, now=0) == "10.0.2.15"
    assert pool.request(A, "10.0.2.15", now=0) is None  # NAK: not A's to take


def test_a_request_for_an_address_that_is_not_ours_gets_a_nak():
    pool = LeasePool("10.0.2.15", 10)
    assert pool.request(A, "192.168.1.50", now=0) is None
    pool.request(A, "10.0.2.15", now=0)
    assert pool.request(B, "10.0.2.15", now=1) is None  # held by A


def test_renewal_keeps_the_address_and_extends_the_lease():
    pool = LeasePool("10.0.2.15", 10, lease_time=100)
    pool.request(A, "10.0.2.15", now=0)
    assert pool.request(A, "10.0.2.15", now=90) == 100
    assert pool.owner("10.0.2.15", now=150) == A


def test_released_and_expired_addresses_are_reused():
    pool = LeasePool("10.0.2.15", 1, lease_time=100)
    pool.request(A, "10.0.2.15", now=0)
    assert pool.offer(B, now=50) is None  # exhausted
    pool.release(A, "10.0.2.15")
    assert pool.offer(B, now=51) == "10.0.2.15"
    pool.request(B, "10.0.2.15", now=51)
    assert pool.owner("10.0.2.15", now=152) is None  # expired
    assert pool.offer(C, now=152) == "10.0.2.15"


def test_an_offer_alone_does_not_own_the_address():
    pool = LeasePool("10.0.2.15", 10)
    pool.offer(A, now=0)
    assert pool.owner("10.0.2.15", now=1) is None

"""Signature checks of both platforms, against digests computed independently with hashlib."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.channels.signatures import (
    compute_messenger_signature,
    compute_zalo_signature,
    is_zalo_timestamp_fresh,
    verify_messenger_signature,
    verify_zalo_signature,
)

APP_ID = "3608465248940903967"
OA_SECRET = "oa-secret"
BODY = (
    '{"app_id":"3608465248940903967","event_name":"user_send_text",'
    '"timestamp":"1718000000000","message":{"text":"Chào chị"}}'
).encode()
TIMESTAMP = "1718000000000"
ZALO_MAC = hashlib.sha256(APP_ID.encode() + BODY + TIMESTAMP.encode() + OA_SECRET.encode()).hexdigest()

APP_SECRET = "meta-app-secret"
META_BODY = b'{"object":"page","entry":[{"messaging":[{"message":{"text":"Ch\\u00e0o"}}]}]}'
META_HEX = hmac.new(APP_SECRET.encode(), META_BODY, hashlib.sha256).hexdigest()


def test_compute_zalo_signature_is_plain_sha256_of_concatenation() -> None:
    assert compute_zalo_signature(APP_ID, BODY, TIMESTAMP, OA_SECRET) == ZALO_MAC


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"mac={ZALO_MAC}", True),
        (ZALO_MAC, True),
        (f"mac={ZALO_MAC.upper()}", True),
        (f"  mac = {ZALO_MAC}  ", True),
        (f"MAC={ZALO_MAC}", True),
        (None, False),
        ("", False),
        ("mac=", False),
        (f"mac={ZALO_MAC[:-1]}0" if ZALO_MAC[-1] != "0" else f"mac={ZALO_MAC[:-1]}1", False),
        (f"mac={ZALO_MAC}00", False),
        (f"sha256={ZALO_MAC}", False),
        # an HMAC with the secret (a common mistake) is not the Zalo mac
        ("mac=" + hmac.new(OA_SECRET.encode(), BODY, hashlib.sha256).hexdigest(), False),
    ],
)
def test_verify_zalo_signature_table(header: str | None, expected: bool) -> None:
    assert (
        verify_zalo_signature(
            header, app_id=APP_ID, raw_body=BODY, timestamp=TIMESTAMP, oa_secret_key=OA_SECRET
        )
        is expected
    )


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("raw_body", BODY.replace(b"Ch\xc3\xa0o", b"Chao")),
        ("raw_body", BODY + b" "),
        ("timestamp", "1718000000001"),
        ("app_id", "1"),
        ("oa_secret_key", "other-secret"),
        ("oa_secret_key", ""),
    ],
)
def test_verify_zalo_signature_rejects_any_changed_input(change: str, value: object) -> None:
    kwargs = {
        "app_id": APP_ID,
        "raw_body": BODY,
        "timestamp": TIMESTAMP,
        "oa_secret_key": OA_SECRET,
    }
    kwargs[change] = value
    assert verify_zalo_signature(f"mac={ZALO_MAC}", **kwargs) is False  # type: ignore[arg-type]


NOW_MS = 1_718_000_000_000


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        (str(NOW_MS), True),
        (str(NOW_MS - 299_000), True),
        (str(NOW_MS - 43_200_000), True),
        (str(NOW_MS - 43_200_001), False),
        (str(NOW_MS + 299_000), True),
        (str(NOW_MS + 301_000), False),
        ("", False),
        ("17180abc", False),
        ("-5", False),
    ],
)
def test_is_zalo_timestamp_fresh_table(timestamp: str, expected: bool) -> None:
    assert is_zalo_timestamp_fresh(timestamp, now_ms=NOW_MS, max_age_seconds=43_200) is expected


def test_compute_messenger_signature_matches_hmac_sha256() -> None:
    assert compute_messenger_signature(META_BODY, APP_SECRET) == f"sha256={META_HEX}"


@pytest.mark.parametrize(
    ("header", "body", "expected"),
    [
        (f"sha256={META_HEX}", META_BODY, True),
        (f"sha256={META_HEX.upper()}", META_BODY, True),
        (f"SHA256={META_HEX}", META_BODY, True),
        (None, META_BODY, False),
        ("", META_BODY, False),
        (META_HEX, META_BODY, False),  # prefix required
        (
            "sha1=" + hmac.new(APP_SECRET.encode(), META_BODY, hashlib.sha1).hexdigest(),
            META_BODY,
            False,
        ),
        (f"sha256={META_HEX}", META_BODY.replace(b"\\u00e0", "à".encode()), False),  # re-serialised
        (f"sha256={META_HEX}", META_BODY + b"\n", False),
        (f"sha256={'0' * 64}", META_BODY, False),
    ],
)
def test_verify_messenger_signature_table(header: str | None, body: bytes, expected: bool) -> None:
    assert verify_messenger_signature(header, body, APP_SECRET) is expected


def test_verify_messenger_signature_refuses_when_secret_empty() -> None:
    empty_mac = hmac.new(b"", META_BODY, hashlib.sha256).hexdigest()
    assert verify_messenger_signature(f"sha256={empty_mac}", META_BODY, "") is False

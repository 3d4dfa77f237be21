#!/usr/bin/env python3
"""Writes the generated seeds of tests/fuzz/corpus (only fuzz_token's tokens
are generated; every other seed is a hand-written file).

    python3 tests/fuzz/make_seeds.py

Tokens are HS256 JWTs signed with the two keys fixed in fuzz_token.cpp, valid
at its fixed time (1900000000) unless their name says otherwise. Written
independently of common/token.cpp (standard library only), so the seeds also
check that the verifier accepts tokens it did not mint itself. Output is
deterministic: re-running changes nothing.
"""
import base64
import hashlib
import hmac
import json
import os

KEYS = {
    "k1": b"fuzz-secret-one-0123456789abcdef0123456789",
    "k2.rotated": b"fuzz-secret-two-abcdefghijklmnopqrstuvwxyz",
}
NOW = 1900000000
SUB = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
SID = "11111111-1111-4111-8111-111111111111"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_token")


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def token(header: dict, payload: dict, key: bytes) -> str:
    h = b64(json.dumps(header, separators=(",", ":")).encode())
    p = b64(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(key, f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64(sig)}"


def claims(**over) -> dict:
    c = {
        "iss": "https://telemed.example", "aud": "janus.plugin.telemed", "sub": SUB, "sid": SID,
        "role": "patient", "perms": ["publish_audio", "publish_video", "subscribe", "chat"],
        "iat": NOW - 60, "nbf": NOW - 60, "exp": NOW + 3600, "jti": "0123456789abcdef",
    }
    c.update(over)
    return c


def main() -> None:
    hs = {"alg": "HS256", "typ": "JWT", "kid": "k1"}
    hs2 = {"alg": "HS256", "typ": "JWT", "kid": "k2.rotated"}
    seeds = {
        "valid_k1": token(hs, claims(), KEYS["k1"]),
        "valid_k2_doctor": token(hs2, claims(role="doctor", perms=[], aud=["x", "janus.plugin.telemed"],
                                             iss="telemed-fuzz"), KEYS["k2.rotated"]),
        "expired": token(hs, claims(exp=NOW - 3600, nbf=NOW - 7200, iat=NOW - 7200), KEYS["k1"]),
        "not_yet_valid": token(hs, claims(nbf=NOW + 600), KEYS["k1"]),
        "wrong_key": token(hs, claims(), KEYS["k2.rotated"]),
        "unknown_kid": token({"alg": "HS256", "kid": "k9"}, claims(), KEYS["k1"]),
        "alg_none": b64(b'{"alg":"none","kid":"k1"}') + "." + b64(json.dumps(claims()).encode()) + ".",
        "bad_claims": token(hs, claims(role="nurse", sub="not-a-uuid"), KEYS["k1"]),
    }
    os.makedirs(OUT, exist_ok=True)
    for name, text in seeds.items():
        with open(os.path.join(OUT, name), "w", encoding="ascii") as f:
            f.write(text)
    # Line form for the mint round trip: iss, jti, sub, sid, iat, nbf, exp, role, perms.
    lines = ["https://telemed.example", "jti-\u00e9t\u00e9", SUB, SID.upper(),
             str(NOW - 60), str(NOW - 60), str(NOW + 3600), "2", "511"]
    with open(os.path.join(OUT, "mint_lines"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()

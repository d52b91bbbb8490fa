#!/usr/bin/env python3
"""Independent implementation of the sealed-session wire format, version 1.

Written from FORMAT.md and tests/vectors/v1.json alone (not from the Rust
sources), to show that the document is enough to seal and open values in
another language. Run from anywhere:

    python3 -m pip install -r tests/independent/requirements.txt
    python3 tests/independent/format_v1.py

It prints one line per failed check and ends with `N passed, M failed`;
the exit status is non-zero if any check failed.

AEAD backend: PyNaCl (libsodium's crypto_aead_xchacha20poly1305_ietf_*) when
installed; otherwise HChaCha20 (pure Python, FORMAT.md §3) on top of
`cryptography`'s ChaCha20Poly1305; otherwise a pure-Python ChaCha20-Poly1305.
Every sealed vector is also recomputed with the pure-Python construction of
§3, so the document's description of XChaCha20-Poly1305 is checked too.
"""

import hashlib
import json
import os
import re
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "vectors" / "v1.json"

# ---------------------------------------------------------------------------
# Constants from FORMAT.md
# ---------------------------------------------------------------------------

VERSION = 0x01
HEADER_LEN = 29  # §2: version(1) + key_id(4) + nonce(24)
TAG_LEN = 16
OVERHEAD = HEADER_LEN + TAG_LEN  # §2: 45
AAD_PREFIX = b"sealed-session"  # §3: 14 ASCII bytes
DEFAULT_COOKIE_NAME = "__Host-session"
DEFAULT_LIMIT = 4096  # §5 step 1
DEFAULT_SKEW = 60  # §5 step 6
DEFAULT_TTL = 86400
DEFAULT_IDLE = 1800
U32_MAX = 0xFFFFFFFF
U64_MAX = 0xFFFFFFFFFFFFFFFF


class OpenError(Exception):
    """Refusal while opening; `kind` is the snake_case name used by v1.json."""

    def __init__(self, kind, detail=""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


class SealError(Exception):
    def __init__(self, kind, actual=None, allowed=None):
        super().__init__(f"{kind}: actual {actual}, allowed {allowed}")
        self.kind = kind
        self.actual = actual
        self.allowed = allowed


class KeyringError(Exception):
    """A refused keyring line (§9): `refusal` is the identifier, `entry` or
    `key_id` what it names, `reason` the reason of `invalid_key`."""

    def __init__(self, refusal, entry=None, key_id=None, reason=None):
        super().__init__(f"{refusal} entry={entry} key_id={key_id} reason={reason}")
        self.refusal = refusal
        self.entry = entry
        self.key_id = key_id
        self.reason = reason


# ---------------------------------------------------------------------------
# §1: strict base64url without padding
# ---------------------------------------------------------------------------

B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
B64_INDEX = {c: i for i, c in enumerate(B64_ALPHABET)}


def b64url_encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - len(data) % 3, 3):
        n = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2]
        out.append(B64_ALPHABET[(n >> 18) & 63] + B64_ALPHABET[(n >> 12) & 63]
                   + B64_ALPHABET[(n >> 6) & 63] + B64_ALPHABET[n & 63])
    rest = len(data) % 3
    if rest == 1:
        n = data[-1] << 16
        out.append(B64_ALPHABET[(n >> 18) & 63] + B64_ALPHABET[(n >> 12) & 63])
    elif rest == 2:
        n = (data[-2] << 16) | (data[-1] << 8)
        out.append(B64_ALPHABET[(n >> 18) & 63] + B64_ALPHABET[(n >> 12) & 63]
                   + B64_ALPHABET[(n >> 6) & 63])
    return "".join(out)


def b64url_decode_strict(text: str) -> bytes:
    """Raise ValueError on anything §1 refuses."""
    for ch in text:
        if ch not in B64_INDEX:
            raise ValueError(f"character {ch!r} is not in the base64url alphabet")
    if len(text) % 4 == 1:
        raise ValueError("length 4k+1 cannot encode whole bytes")
    out = bytearray()
    full = len(text) - len(text) % 4
    for i in range(0, full, 4):
        n = 0
        for ch in text[i:i + 4]:
            n = (n << 6) | B64_INDEX[ch]
        out += n.to_bytes(3, "big")
    tail = text[full:]
    if len(tail) == 2:
        n = (B64_INDEX[tail[0]] << 6) | B64_INDEX[tail[1]]  # 12 bits, 8 used
        if n & 0x0F:
            raise ValueError("non-zero unused bits in the last character")
        out.append(n >> 4)
    elif len(tail) == 3:
        n = (B64_INDEX[tail[0]] << 12) | (B64_INDEX[tail[1]] << 6) | B64_INDEX[tail[2]]
        if n & 0x03:  # 18 bits, 16 used
            raise ValueError("non-zero unused bits in the last character")
        out += (n >> 2).to_bytes(2, "big")
    return bytes(out)


def b64_encoded_len(b: int) -> int:
    """§7: 4 * floor(b / 3) + {0, 2, 3}[b mod 3]."""
    return 4 * (b // 3) + (0, 2, 3)[b % 3]


# ---------------------------------------------------------------------------
# §4: postcard / LEB128 varints
# ---------------------------------------------------------------------------


def varint(x: int) -> bytes:
    if x < 0 or x > U64_MAX:
        raise ValueError("varint out of u64 range")
    out = bytearray()
    while True:
        b = x & 0x7F
        x >>= 7
        if x:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


class Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("unexpected end of input")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def varint(self, bits: int = 64) -> int:
        """Unsigned LEB128 of at most ceil(bits/7) bytes, value < 2**bits.

        Non-shortest encodings are accepted: FORMAT.md only says that
        *encoders* write the shortest form.
        """
        max_bytes = (bits + 6) // 7
        value = 0
        for i in range(max_bytes):
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << (7 * i)
            if not byte & 0x80:
                if value >> bits:
                    raise ValueError("varint overflows the target type")
                return value
        raise ValueError("varint too long")

    def at_end(self) -> bool:
        return self.pos == len(self.data)


def encode_plaintext(issued_at, last_active_at, expires_at, session_id, schema: bytes, payload: bytes) -> bytes:
    assert len(session_id) == 16 and len(schema) == 8
    return varint(issued_at) + varint(last_active_at) + varint(expires_at) + session_id + schema + payload


# ---------------------------------------------------------------------------
# §4.1, §4.2: type fingerprints
# ---------------------------------------------------------------------------

SHAPE_PREFIX = b"sealed-session/schema/shape\x00"
NAME_PREFIX = b"sealed-session/schema/name\x00"


def shape_fingerprint(description: str) -> bytes:
    return hashlib.sha256(SHAPE_PREFIX + description.encode("utf-8")).digest()[:8]


def name_fingerprint(name: str) -> bytes:
    return hashlib.sha256(NAME_PREFIX + name.encode("utf-8")).digest()[:8]


def quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def expr(t) -> str:
    """A type expression of §4.1 from a small model: a primitive name, or
    ("ref", name), ("option", t), ("seq", t), ("map", k, v), ("tuple", [t..]),
    ("fingerprint", bytes)."""
    if isinstance(t, str):
        return t
    kind = t[0]
    if kind == "ref":
        return quote(t[1])
    if kind in ("option", "seq"):
        return f"{kind}<{expr(t[1])}>"
    if kind == "map":
        return f"map<{expr(t[1])},{expr(t[2])}>"
    if kind == "tuple":
        return "tuple<" + ",".join(expr(x) for x in t[1]) + ">"
    if kind == "fingerprint":
        return f"fingerprint({t[1].hex()})"
    raise ValueError(kind)


def fields(fs) -> str:
    return ",".join(f"{quote(n)}:{expr(t)}" for n, t in fs)


def definition(d) -> str:
    """("struct", [(name, t)..]), ("enum", [(name, variant)..]) with variant
    "unit", ("newtype", t), ("tuple", [t..]) or ("struct", [(name, t)..]),
    ("unit_struct",), ("newtype_struct", t), ("tuple_struct", [t..])."""
    kind = d[0]
    if kind == "struct":
        return "struct{" + fields(d[1]) + "}"
    if kind == "unit_struct":
        return "unit_struct"
    if kind == "newtype_struct":
        return f"newtype_struct<{expr(d[1])}>"
    if kind == "tuple_struct":
        return "tuple_struct<" + ",".join(expr(x) for x in d[1]) + ">"
    if kind == "enum":
        out = []
        for name, v in d[1]:
            if v == "unit":
                body = "unit"
            elif v[0] == "newtype":
                body = f"newtype<{expr(v[1])}>"
            elif v[0] == "tuple":
                body = "tuple<" + ",".join(expr(x) for x in v[1]) + ">"
            else:
                body = "struct{" + fields(v[1]) + "}"
            out.append(f"{quote(name)}:{body}")
        return "enum{" + ",".join(out) + "}"
    raise ValueError(kind)


def describe(root, defs=None) -> str:
    """§4.1: the root expression, then one line per named type, sorted."""
    lines = [expr(root)]
    for name in sorted((defs or {}), key=lambda n: n.encode("utf-8")):
        lines.append(f"{quote(name)} = {definition(defs[name])}")
    return "".join(line + "\n" for line in lines)


LOGIN_DEFS = {"Login": ("struct", [("user_id", "u64"), ("name", "str"), ("admin", "bool")])}
DESCRIPTIONS = {
    "unit": describe("unit"),
    "u32": describe("u32"),
    "string": describe("str"),
    "bytes": describe(("seq", "u8")),
    "login": describe(("ref", "Login"), LOGIN_DEFS),
}
SCHEMAS = {kind: shape_fingerprint(d) for kind, d in DESCRIPTIONS.items()}


def record_description(data_fingerprint: bytes) -> str:
    """§11: the session layer's record for data of the given fingerprint."""
    return describe(("ref", "SessionRecord"), {"SessionRecord": ("struct", [
        ("data", ("option", ("fingerprint", data_fingerprint))),
        ("flash", ("option", ("seq", "u8"))),
    ])})


# Payload codecs for the application types used by the vectors. Each decoder
# reads from a Reader; the caller checks that nothing is left afterwards.

def dec_unit(r):
    return None


def dec_u32(r):
    return r.varint(32)


def dec_string(r):
    n = r.varint(64)
    return r.take(n).decode("utf-8")  # UnicodeDecodeError is a ValueError


def dec_bytes_hex(r):  # Vec<u8>; v1.json gives such payloads as bare hex
    n = r.varint(64)
    return r.take(n).hex()


def dec_bool(r):
    b = r.take(1)[0]
    if b > 1:
        raise ValueError("bool must be 00 or 01")
    return b == 1


def dec_login(r):  # struct { user_id: u64, name: String, admin: bool }
    user_id = r.varint(64)
    name = dec_string(r)
    admin = dec_bool(r)
    return {"user_id": user_id, "name": name, "admin": admin}


DECODERS = {
    "unit": dec_unit,
    "u32": dec_u32,
    "string": dec_string,
    "bytes": dec_bytes_hex,
    "login": dec_login,
}


def enc_payload(kind, value) -> bytes:
    if kind == "unit":
        return b""
    if kind == "u32":
        return varint(value)
    if kind == "string":
        b = value.encode("utf-8")
        return varint(len(b)) + b
    if kind == "bytes":
        b = bytes.fromhex(value)
        return varint(len(b)) + b
    if kind == "login":
        name = value["name"].encode("utf-8")
        return varint(value["user_id"]) + varint(len(name)) + name + bytes([1 if value["admin"] else 0])
    raise ValueError(kind)


# ---------------------------------------------------------------------------
# §3: XChaCha20-Poly1305 (pure Python reference + library backends)
# ---------------------------------------------------------------------------

M32 = 0xFFFFFFFF


def _rotl(v, c):
    return ((v << c) & M32) | (v >> (32 - c))


def _quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & M32; s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & M32; s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & M32; s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & M32; s[b] = _rotl(s[b] ^ s[c], 7)


def _rounds(s):
    for _ in range(10):
        _quarter(s, 0, 4, 8, 12); _quarter(s, 1, 5, 9, 13)
        _quarter(s, 2, 6, 10, 14); _quarter(s, 3, 7, 11, 15)
        _quarter(s, 0, 5, 10, 15); _quarter(s, 1, 6, 11, 12)
        _quarter(s, 2, 7, 8, 13); _quarter(s, 3, 4, 9, 14)


_SIGMA = struct.unpack("<4I", b"expand 32-byte k")


def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    """draft-irtf-cfrg-xchacha-03 §2.2: subkey from key and 16 nonce bytes."""
    s = list(_SIGMA) + list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    _rounds(s)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def _chacha20_block(key: bytes, counter: int, nonce12: bytes) -> bytes:
    init = list(_SIGMA) + list(struct.unpack("<8I", key)) + [counter] + list(struct.unpack("<3I", nonce12))
    s = init[:]
    _rounds(s)
    return struct.pack("<16I", *((x + y) & M32 for x, y in zip(s, init)))


def _chacha20_xor(key, counter, nonce12, data):
    out = bytearray()
    for i in range(0, len(data), 64):
        block = _chacha20_block(key, counter + i // 64, nonce12)
        out += bytes(a ^ b for a, b in zip(data[i:i + 64], block))
    return bytes(out)


def _poly1305(key32: bytes, msg: bytes) -> bytes:
    r = int.from_bytes(key32[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key32[16:], "little")
    p = (1 << 130) - 5
    acc = 0
    for i in range(0, len(msg), 16):
        chunk = msg[i:i + 16]
        acc = (acc + int.from_bytes(chunk + b"\x01", "little")) * r % p
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, "little")


def _pad16(n):
    return b"\x00" * (-n % 16)


def _rfc8439_seal(key, nonce12, plaintext, aad):
    otk = _chacha20_block(key, 0, nonce12)[:32]
    ct = _chacha20_xor(key, 1, nonce12, plaintext)
    mac_data = aad + _pad16(len(aad)) + ct + _pad16(len(ct)) + struct.pack("<QQ", len(aad), len(ct))
    return ct + _poly1305(otk, mac_data)


def _xnonce_parts(key, nonce24):
    # §3: HChaCha20 subkey from the first 16 nonce bytes, then RFC 8439 with
    # the nonce 0x00000000 || nonce[16..24].
    return hchacha20(key, nonce24[:16]), b"\x00\x00\x00\x00" + nonce24[16:24]


def pure_xchacha_seal(key, nonce24, plaintext, aad):
    subkey, n12 = _xnonce_parts(key, nonce24)
    return _rfc8439_seal(subkey, n12, plaintext, aad)


def pure_xchacha_open(key, nonce24, ct_tag, aad):
    import hmac
    subkey, n12 = _xnonce_parts(key, nonce24)
    ct, tag = ct_tag[:-16], ct_tag[-16:]
    otk = _chacha20_block(subkey, 0, n12)[:32]
    mac_data = aad + _pad16(len(aad)) + ct + _pad16(len(ct)) + struct.pack("<QQ", len(aad), len(ct))
    if not hmac.compare_digest(_poly1305(otk, mac_data), tag):
        raise ValueError("tag mismatch")
    return _chacha20_xor(subkey, 1, n12, ct)


def _make_backend():
    # SEALED_SESSION_AEAD=cryptography or =pure forces a fallback backend.
    choice = os.environ.get("SEALED_SESSION_AEAD", "")
    try:
        if choice:
            raise ImportError
        from nacl import bindings as nb
        import nacl

        def seal(key, nonce, pt, aad):
            return nb.crypto_aead_xchacha20poly1305_ietf_encrypt(pt, aad, nonce, key)

        def open_(key, nonce, ct, aad):
            try:
                return nb.crypto_aead_xchacha20poly1305_ietf_decrypt(ct, aad, nonce, key)
            except Exception as e:  # nacl.exceptions.CryptoError
                raise ValueError(str(e))

        return f"PyNaCl {nacl.__version__}", seal, open_
    except ImportError:
        pass
    try:
        if choice == "pure":
            raise ImportError
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
        from cryptography.exceptions import InvalidTag
        import cryptography

        def seal(key, nonce, pt, aad):
            subkey, n12 = _xnonce_parts(key, nonce)
            return ChaCha20Poly1305(subkey).encrypt(n12, pt, aad)

        def open_(key, nonce, ct, aad):
            subkey, n12 = _xnonce_parts(key, nonce)
            try:
                return ChaCha20Poly1305(subkey).decrypt(n12, ct, aad)
            except InvalidTag as e:
                raise ValueError("tag mismatch") from e

        return f"cryptography {cryptography.__version__} + HChaCha20", seal, open_
    except ImportError:
        pass
    return "pure Python", pure_xchacha_seal, pure_xchacha_open


BACKEND_NAME, aead_seal, aead_open = _make_backend()


# ---------------------------------------------------------------------------
# §2, §3, §5, §6: envelope, aad, opening, sealing
# ---------------------------------------------------------------------------


def make_aad(key_id: int, cookie_name: str) -> bytes:
    name = cookie_name.encode("ascii")
    return AAD_PREFIX + bytes([VERSION]) + struct.pack(">I", key_id) + struct.pack(">H", len(name)) + name


def seal_raw(key_id, key, nonce, cookie_name, issued_at, last_active_at, expires_at,
             session_id, payload: bytes, limit=DEFAULT_LIMIT, schema=SCHEMAS["login"]):
    """§6 steps 3-4 with every input given (nonce included)."""
    plaintext = encode_plaintext(issued_at, last_active_at, expires_at, session_id, schema, payload)
    aad = make_aad(key_id, cookie_name)
    envelope = bytes([VERSION]) + struct.pack(">I", key_id) + nonce + aead_seal(key, nonce, plaintext, aad)
    value = b64url_encode(envelope)
    total = len(cookie_name.encode()) + len(value.encode())
    if total > limit:
        raise SealError("too_large", total, limit)
    return value, aad, plaintext, envelope


def seal_new(keyring, cookie_name, payload: bytes, now, schema, ttl=DEFAULT_TTL, limit=DEFAULT_LIMIT):
    """§6 for a new session, with a fresh nonce and session id."""
    primary_id, keys = keyring
    return seal_raw(primary_id, keys[primary_id], os.urandom(24), cookie_name,
                    now, now, now + ttl, os.urandom(16), payload, limit, schema)[0]


def open_value(keyring, cookie_name, value, now, decoder, schema, ttl=DEFAULT_TTL,
               idle=DEFAULT_IDLE, skew=DEFAULT_SKEW, limit=DEFAULT_LIMIT, not_before=0):
    """§5, in order. keyring is (primary_id, {id: key}). idle=None disables.
    schema is the fingerprint of the type decoder reads (§4.1)."""
    primary_id, keys = keyring
    # 1. size, before decoding: name plus value in UTF-8 bytes
    if len(cookie_name.encode()) + len(value.encode()) > limit:
        raise OpenError("too_large")
    # 2. strict base64url, at least 45 bytes
    try:
        env = b64url_decode_strict(value)
    except ValueError as e:
        raise OpenError("malformed", str(e))
    if len(env) < OVERHEAD:
        raise OpenError("malformed", f"{len(env)} bytes < {OVERHEAD}")
    # 3. version
    if env[0] != VERSION:
        raise OpenError("unsupported_version", str(env[0]))
    # 4. key lookup by id alone
    key_id = struct.unpack(">I", env[1:5])[0]
    if key_id not in keys:
        raise OpenError("unknown_key_id", str(key_id))
    # 5. authenticate and decrypt
    nonce = env[5:29]
    try:
        plaintext = aead_open(keys[key_id], nonce, env[29:], make_aad(key_id, cookie_name))
    except ValueError:
        raise OpenError("authentication_failed")
    # 6. fixed fields and timestamps
    r = Reader(plaintext)
    try:
        issued_at = r.varint(64)
        last_active_at = r.varint(64)
        expires_at = r.varint(64)
        session_id = r.take(16)
        sealed_schema = r.take(8)
    except ValueError as e:
        # §4: fixed fields that cannot be decoded are a payload mismatch.
        raise OpenError("payload_mismatch", "fixed fields: " + str(e))
    if last_active_at < issued_at or expires_at <= issued_at:
        raise OpenError("invalid_timestamps")
    # Python integers do not wrap: comparing with the exact sums gives the
    # same answers as sums saturating at 2^64 - 1 (§5).
    if issued_at > now + skew or last_active_at > now + skew:
        raise OpenError("issued_in_future")
    if issued_at < not_before:
        raise OpenError("revoked")
    e = min(expires_at, issued_at + ttl)
    if now >= e:
        raise OpenError("expired")
    idle_deadline = None if idle is None else min(last_active_at + idle, e, U64_MAX)
    if idle_deadline is not None and now >= idle_deadline:
        raise OpenError("idle_timeout")
    # 7. the type fingerprint, before any payload byte is read
    if sealed_schema != schema:
        raise OpenError("schema_mismatch", sealed_schema.hex())
    # 8. payload, consuming everything
    try:
        payload = decoder(r)
    except ValueError as e:
        raise OpenError("payload_mismatch", str(e))
    if not r.at_end():
        raise OpenError("payload_mismatch", f"{len(plaintext) - r.pos} trailing bytes")
    return {
        "key_id": key_id,
        "issued_at": issued_at,
        "last_active_at": last_active_at,
        "expires_at": expires_at,
        "session_id": session_id,
        "schema": sealed_schema,
        "payload": payload,
        "reseal": key_id != primary_id,
        "effective_expiry": min(e, U64_MAX),
        "idle_deadline": idle_deadline,
    }


# ---------------------------------------------------------------------------
# §9: keyring line
# ---------------------------------------------------------------------------

_ID_RE = re.compile(r"(0|[1-9][0-9]*)")
_LINE_SPACE = " \t\r\n"  # §9: these four characters only


def _key_of(text: str):
    """§9 rule 4: the key bytes, or the reason KEY is refused."""
    if len(text.encode()) > 64:
        return None, ("invalid_length" if all(c in B64_INDEX for c in text) else "invalid_encoding")
    try:
        key = b64url_decode_strict(text)
    except ValueError:
        return None, "invalid_encoding"
    if len(key) != 32:
        return None, "invalid_length"
    if len(set(key)) == 1:
        return None, "weak_key"
    return key, None


def parse_keyring(line: str):
    """§9: return (primary_id, {id: key}) in line order; raise KeyringError."""
    trimmed = line.strip(_LINE_SPACE)
    if not trimmed:
        raise KeyringError("empty_keyring")
    keys = {}
    primary = None
    for n, raw in enumerate(trimmed.split(","), start=1):
        entry = raw.strip(_LINE_SPACE)
        if ":" not in entry:
            raise KeyringError("invalid_syntax", entry=n)
        id_text, key_text = entry.split(":", 1)
        if not (id_text.isascii() and _ID_RE.fullmatch(id_text)) or int(id_text) > U32_MAX:
            raise KeyringError("invalid_key_id", entry=n)
        kid = int(id_text)
        key, reason = _key_of(key_text)
        if key is None:
            raise KeyringError("invalid_key", entry=n, reason=reason)
        if kid in keys:
            raise KeyringError("duplicate_id", key_id=kid)
        if key in keys.values():
            raise KeyringError("duplicate_key", key_id=kid)
        keys[kid] = key
        if primary is None:
            primary = kid
    return primary, keys


# ---------------------------------------------------------------------------
# §6 re-sealing, §11 session-layer record, §12 chunking, §13 request cookies
# ---------------------------------------------------------------------------

AFTER_AUTHENTICATION = {"invalid_timestamps", "issued_in_future", "revoked", "expired",
                        "idle_timeout", "schema_mismatch", "payload_mismatch"}
MAX_CANDIDATES = 8  # §13


def dec_record(data_decoder):
    """§11: data: Option<T>, flash: Option<bytes>; returns {"data", "flash"}."""
    def dec(r):
        tag = r.take(1)[0]
        if tag > 1:
            raise ValueError("Option tag must be 00 or 01")
        data = data_decoder(r) if tag else None
        tag = r.take(1)[0]
        if tag > 1:
            raise ValueError("Option tag must be 00 or 01")
        flash = r.take(r.varint(64)) if tag else None
        return {"data": data, "flash": flash}
    return dec


def enc_record(data_bytes, flash):
    out = (b"\x01" + data_bytes) if data_bytes is not None else b"\x00"
    out += (b"\x01" + varint(len(flash)) + flash) if flash is not None else b"\x00"
    return out


def read_flash_as_string(flash):
    """Reading a flash message as a String: ('valid', text) or the refusal."""
    if flash is None:
        return None, None
    r = Reader(flash)
    try:
        text = dec_string(r)
        if not r.at_end():
            raise ValueError("trailing bytes")
        return "valid", text
    except ValueError:
        return "payload_mismatch", None


def reseal(keyring, cookie_name, opened, now, nonce, payload: bytes, limit=DEFAULT_LIMIT):
    """§6 for an existing session opened earlier (the result of open_value)."""
    if now >= opened["effective_expiry"] or (opened["idle_deadline"] is not None
                                             and now >= opened["idle_deadline"]):
        raise SealError("expired")
    primary_id, keys = keyring
    fields = (opened["issued_at"], max(now, opened["last_active_at"]), opened["expires_at"])
    value = seal_raw(primary_id, keys[primary_id], nonce, cookie_name, *fields,
                     opened["session_id"], payload, limit, opened["schema"])[0]
    return value, fields


def chunk_split(name, value, limit, max_chunks):
    """§12 sealing: [(cookie name, cookie value)] or SealError too_large."""
    name_len = len(name.encode())
    if name_len + len(value) <= limit:
        return [(name, value)]
    c = limit - name_len - 2
    n = -(-len(value) // c)
    allowed = limit if max_chunks == 1 else name_len + max_chunks * c
    if n > max_chunks:
        raise SealError("too_large", name_len + len(value), allowed)
    pieces = [value[i * c:(i + 1) * c] for i in range(n)]
    return [(name, f"{n}.{pieces[0]}")] + [(f"{name}.{i}", pieces[i]) for i in range(1, n)]


def chunk_removals(name, count, max_chunks, carried):
    """§12: the chunk cookies a response removes after setting `count` cookies."""
    if count > 1:
        wanted = [i for i in range(count, 9) if i in carried or i <= max_chunks - 1]
    else:
        wanted = [i for i in range(1, 9) if i in carried]
    return [f"{name}.{i}" for i in wanted]


def request_cookies(headers):
    """§13: (name, value) pairs of the Cookie headers, in order."""
    for header in headers:
        for part in header.split(";"):
            if "=" not in part:
                continue
            name, value = part.split("=", 1)
            name, value = name.strip(" \t"), value.strip(" \t")
            if name:
                yield name, value


def load_session(keyring, name, headers, now, decoder, schema, limit, max_chunks,
                 ttl=DEFAULT_TTL, idle=DEFAULT_IDLE, skew=DEFAULT_SKEW):
    """§12 and §13: ('valid', opened), ('none', None) or (outcome, None)."""
    pairs = list(request_cookies(headers))
    name_len = len(name.encode())
    chunks = {}
    if max_chunks > 1:
        pattern = re.compile(re.escape(name) + r"\.([1-8])")
        for cookie, value in pairs:
            m = pattern.fullmatch(cookie)
            if m:
                chunks.setdefault(int(m.group(1)), []).append(value)

    def usable(i):
        values = chunks.get(i, [])
        return len(values) == 1 and len(f"{name}.{i}".encode()) + len(values[0].encode()) <= limit

    c = limit - name_len - 2
    joined_limit = limit if max_chunks == 1 else name_len + max_chunks * c
    candidates = [value for cookie, value in pairs if cookie == name]
    outcomes = []
    for v in candidates[:MAX_CANDIDATES]:
        try:
            whole = v
            if max_chunks > 1:
                if name_len + len(v.encode()) > limit:
                    raise OpenError("too_large")
                if "." in v:
                    if not (len(v) >= 2 and v[0] in "23456789" and v[1] == "."):
                        raise OpenError("malformed")
                    n = int(v[0])
                    if n > max_chunks:
                        raise OpenError("chunks_mismatch")
                    for i in range(1, 9):
                        if (i < n and not usable(i)) or (i >= n and i in chunks):
                            raise OpenError("chunks_mismatch")
                    whole = v[2:] + "".join(chunks[i][0] for i in range(1, n))
            opened = open_value(keyring, name, whole, now, decoder, schema, ttl=ttl, idle=idle, skew=skew,
                                limit=joined_limit)
            return "valid", opened
        except OpenError as e:
            outcomes.append(e.kind)
    if not candidates:
        return "none", None
    for o in outcomes:
        if o in AFTER_AUTHENTICATION:
            return o, None
    return outcomes[0], None


def record_schema(data_type):
    """§11: the fingerprint of the session layer's record holding data_type."""
    return shape_fingerprint(record_description(SCHEMAS[data_type]))


def vector_ring(entries):
    """A keyring from the vector file's [{key_id, key_hex}], primary first."""
    keys = {e["key_id"]: bytes.fromhex(e["key_hex"]) for e in entries}
    return entries[0]["key_id"], keys


def check_reseal(v):
    tag = f"vector {v['id']} ({v['comment']})"
    kr = vector_ring(v["keyring"])
    decoder = DECODERS[v["payload_type"]]
    schema = SCHEMAS[v["payload_type"]]
    check_eq(f"{tag}: schema_hex", v["schema_hex"], schema.hex())
    opened = open_value(kr, v["cookie_name"], v["cookie_value"], v["opened_at"], decoder, schema,
                        ttl=v["absolute_ttl"], idle=v["idle_timeout"], skew=v["clock_skew"],
                        limit=v["max_cookie_bytes"])
    payload = enc_payload(v["payload_type"], v["payload"])
    try:
        value, fields = reseal(kr, v["cookie_name"], opened, v["now"], bytes.fromhex(v["nonce_hex"]),
                               payload, limit=v["max_cookie_bytes"])
    except SealError as e:
        check_eq(f"{tag}: outcome", e.kind, v["expect"])
        return
    check_eq(f"{tag}: outcome", "valid", v["expect"])
    check_eq(f"{tag}: fields", (fields, opened["session_id"].hex(), kr[0]),
             ((v["issued_at"], v["last_active_at"], v["expires_at"]), v["session_id_hex"], v["key_id"]))
    check_eq(f"{tag}: resealed value", value, v["resealed_value"])
    again = open_value(kr, v["cookie_name"], value, v["now"], decoder, schema, ttl=v["absolute_ttl"],
                       idle=v["idle_timeout"], skew=v["clock_skew"], limit=v["max_cookie_bytes"])
    check_eq(f"{tag}: reopens under the primary key", (again["key_id"], again["payload"]),
             (kr[0], v["payload"]))


def check_record(v):
    tag = f"vector {v['id']} ({v['comment']})"
    data = None if v["data"] is None else enc_payload(v["data_type"], v["data"])
    flash = None if v["flash_hex"] is None else bytes.fromhex(v["flash_hex"])
    payload = enc_record(data, flash)
    check_eq(f"{tag}: payload_hex", payload.hex(), v["payload_hex"])
    key = bytes.fromhex(v["key_hex"])
    schema = record_schema(v["data_type"])
    check_eq(f"{tag}: schema_hex is the record fingerprint of §11", v["schema_hex"], schema.hex())
    value = seal_raw(v["key_id"], key, bytes.fromhex(v["nonce_hex"]), v["cookie_name"], v["issued_at"],
                     v["last_active_at"], v["expires_at"], bytes.fromhex(v["session_id_hex"]), payload,
                     schema=schema)[0]
    check_eq(f"{tag}: cookie_value", value, v["cookie_value"])
    got = open_value(ring(v["key_id"], key), v["cookie_name"], v["cookie_value"], v["now"],
                     dec_record(DECODERS[v["data_type"]]), schema)
    check_eq(f"{tag}: data and flash", (got["payload"]["data"], got["payload"]["flash"]), (v["data"], flash))
    check_eq(f"{tag}: flash read as a string", read_flash_as_string(got["payload"]["flash"]),
             (v["flash_read"], v["flash"]))


def check_chunk_split(v):
    tag = f"vector {v['id']} ({v['comment']})"
    try:
        cookies = chunk_split(v["cookie_name"], v["cookie_value"], v["max_cookie_bytes"], v["max_chunks"])
    except SealError as e:
        check_eq(f"{tag}: too large", (e.kind, e.actual, e.allowed), (v["expect"], v.get("actual"), v.get("limit")))
        return
    check_eq(f"{tag}: outcome", "valid", v["expect"])
    check_eq(f"{tag}: cookies", [list(c) for c in cookies], v["cookies"])
    check("%s: every cookie fits" % tag,
          all(len(n.encode()) + len(c.encode()) <= v["max_cookie_bytes"] for n, c in cookies))
    check_eq(f"{tag}: removals",
             chunk_removals(v["cookie_name"], len(cookies), v["max_chunks"], set(v["carried"])), v["removed"])


def check_chunks(v):
    tag = f"vector {v['id']} ({v['comment']})"
    kr = ring(v["key_id"], bytes.fromhex(v["key_hex"]))
    schema = record_schema(v["data_type"])
    check_eq(f"{tag}: schema_hex is the record fingerprint of §11", v["schema_hex"], schema.hex())
    got, opened = load_session(kr, v["cookie_name"], v["cookie_headers"], v["now"],
                               dec_record(DECODERS[v["data_type"]]), schema,
                               v["max_cookie_bytes"], v["max_chunks"],
                               ttl=v["absolute_ttl"], idle=v["idle_timeout"], skew=v["clock_skew"])
    data = opened["payload"]["data"] if opened else None
    check_eq(f"{tag}: outcome and data", (got, data), (v["expect"], v["data"]))


def check_keyring_vector(v):
    tag = f"vector {v['id']} ({v['comment']})"
    try:
        primary, keys = parse_keyring(v["line"])
        got = ("valid", primary, list(keys), [k.hex() for k in keys.values()])
        want = (v["expect"], v.get("primary_key_id"), v.get("key_ids"), v.get("keys_hex"))
    except KeyringError as e:
        got = ("refused", e.refusal, e.entry, e.key_id, e.reason)
        want = (v["expect"], v.get("refusal"), v.get("entry"), v.get("key_id"), v.get("reason"))
    check_eq(f"{tag}: outcome", got, want)


KIND_CHECKS = {
    "reseal": check_reseal,
    "record": check_record,
    "chunk_split": check_chunk_split,
    "chunks": check_chunks,
    "keyring": check_keyring_vector,
}
KNOWN_KINDS = {"seal", "open", "schema", *KIND_CHECKS}


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------

PASSED = 0
FAILED = 0


def check(name, ok, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
    else:
        FAILED += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))


def check_eq(name, got, want):
    check(name, got == want, f"got {got!r}, want {want!r}")


def outcome(fn):
    """Run an open; return 'valid', the refusal kind, or the unexpected error."""
    try:
        fn()
        return "valid"
    except OpenError as e:
        return e.kind
    except Exception as e:  # a bug here, reported as a mismatch
        return f"unexpected {type(e).__name__}: {e}"


def check_outcome(name, want, fn):
    check_eq(name, outcome(fn), want)


def ring(key_id, key):
    return (key_id, {key_id: key})


def main():
    data = json.loads(VECTORS.read_text())
    print(f"AEAD backend: {BACKEND_NAME}")
    check_eq("json format_version", data["format_version"], 1)
    check_eq("json algorithm", data["algorithm"], "XChaCha20-Poly1305")

    valid = [v for v in data["vectors"] if v["kind"] == "seal"]
    invalid = [v for v in data["vectors"] if v["kind"] == "open"]
    schemas = [v for v in data["vectors"] if v["kind"] == "schema"]
    for v in data["vectors"]:
        check(f"vector {v['id']}: kind {v['kind']!r} is known", v["kind"] in KNOWN_KINDS)
    check_eq("vector ids are unique", len({v["id"] for v in data["vectors"]}), len(data["vectors"]))
    by_id = {v["id"]: v for v in data["vectors"]}

    # -- 0. type fingerprints: recomputed from descriptions and names -----
    for v in schemas:
        tag = f"vector {v['id']} ({v['comment']})"
        if v["prefix"] == "sealed-session/schema/shape":
            got = shape_fingerprint(v["description"])
        else:
            check_eq(f"{tag}: prefix", v["prefix"], "sealed-session/schema/name")
            got = name_fingerprint(v["name"])
        check_eq(f"{tag}: fingerprint", got.hex(), v["fingerprint_hex"])
    check(">= 9 schema vectors", len(schemas) >= 9)
    # Descriptions written here from the §4.1 grammar agree with the file's.
    written = {
        201: describe("unit"),
        202: describe("u32"),
        203: DESCRIPTIONS["login"],
        204: describe(("ref", "Login"), {"Login": ("struct", [
            ("user_id", "u64"), ("admin", "bool"), ("name", "str")])}),
        205: describe(("ref", "Account"), {
            "Account": ("struct", [("user_id", "u64"), ("roles", ("seq", ("ref", "Role"))),
                                   ("org", ("option", "u32"))]),
            "Role": ("enum", [("Reader", "unit"), ("Editor", ("struct", [("sections", ("seq", "str"))])),
                              ("Admin", ("newtype", "u8"))]),
        }),
        206: describe(("ref", "Menu"), {"Menu": ("struct", [("label", "str"),
                                                           ("children", ("seq", ("ref", "Menu")))])}),
        208: record_description(SCHEMAS["login"]),
        209: record_description(name_fingerprint(by_id[207]["name"])),
    }
    for vid, text in written.items():
        check_eq(f"vector {vid}: description written from §4.1", text, by_id[vid]["description"])
    check_eq("vector 204 differs from 203 (fields reordered)",
             by_id[203]["fingerprint_hex"] != by_id[204]["fingerprint_hex"], True)

    # -- 1. valid vectors: seal exactly, then open -------------------------
    for v in valid:
        tag = f"vector {v['id']} ({v['comment']})"
        key = bytes.fromhex(v["key_hex"])
        nonce = bytes.fromhex(v["nonce_hex"])
        sid = bytes.fromhex(v["session_id_hex"])
        payload = bytes.fromhex(v["payload_hex"])
        # §10: nonce bytes are 0x40 + id + i
        check_eq(f"{tag}: nonce rule of §10", nonce, bytes(0x40 + v["id"] + i for i in range(24)))
        # payload_hex is the postcard encoding of the typed payload
        check_eq(f"{tag}: payload_hex is postcard of payload",
                 enc_payload(v["payload_type"], v["payload"]).hex(), v["payload_hex"])
        schema = SCHEMAS[v["payload_type"]]
        check_eq(f"{tag}: schema_description", v["schema_description"], DESCRIPTIONS[v["payload_type"]])
        check_eq(f"{tag}: schema_hex is the fingerprint of §4.1", v["schema_hex"], schema.hex())
        try:
            value, aad, pt, env = seal_raw(v["key_id"], key, nonce, v["cookie_name"], v["issued_at"],
                                           v["last_active_at"], v["expires_at"], sid, payload,
                                           schema=schema)
        except Exception as e:
            check(f"{tag}: seals", False, repr(e))
            continue
        check_eq(f"{tag}: aad", aad.hex(), v["aad_hex"])
        check_eq(f"{tag}: plaintext", pt.hex(), v["plaintext_hex"])
        check_eq(f"{tag}: cookie_value", value, v["cookie_value"])
        # the §3 construction, computed without any library, agrees
        pure = pure_xchacha_seal(key, nonce, pt, aad)
        check_eq(f"{tag}: pure-Python XChaCha20-Poly1305 of §3", pure.hex(), env[29:].hex())
        check_eq(f"{tag}: envelope length = 45 + plaintext", len(env), OVERHEAD + len(pt))
        check_eq(f"{tag}: §7 encoded length", len(value), b64_encoded_len(len(env)))
        # open it again
        now = v["now"]
        try:
            got = open_value(ring(v["key_id"], key), v["cookie_name"], v["cookie_value"], now,
                             DECODERS[v["payload_type"]], schema)
        except Exception as e:
            check(f"{tag}: opens", False, repr(e))
            continue
        check_eq(f"{tag}: opened fields",
                 (got["key_id"], got["issued_at"], got["last_active_at"], got["expires_at"],
                  got["session_id"].hex(), got["payload"], got["reseal"]),
                 (v["key_id"], v["issued_at"], v["last_active_at"], v["expires_at"],
                  v["session_id_hex"], v["payload"], False))

    # -- 2. invalid vectors -----------------------------------------------
    for v in invalid:
        tag = f"vector {v['id']} ({v['comment']})"
        kr = ring(v["key_id"], bytes.fromhex(v["key_hex"]))
        check_eq(f"{tag}: expected schema", v["schema_hex"], SCHEMAS[v["payload_type"]].hex())
        check_outcome(tag, v["expect"],
                      lambda v=v, kr=kr: open_value(kr, v["cookie_name"], v["cookie_value"], v["now"],
                                                    DECODERS[v["payload_type"]],
                                                    SCHEMAS[v["payload_type"]],
                                                    ttl=v["absolute_ttl"], idle=v["idle_timeout"],
                                                    skew=v["clock_skew"], limit=v["max_cookie_bytes"],
                                                    not_before=v.get("not_before", 0)))

    # -- 2b. the other kinds (each must be checked) --------------------------
    counts = {}
    for v in data["vectors"]:
        if v["kind"] in KIND_CHECKS:
            counts[v["kind"]] = counts.get(v["kind"], 0) + 1
            try:
                KIND_CHECKS[v["kind"]](v)
            except Exception as e:  # a refusal where none was expected, or a bug here
                check(f"vector {v['id']} ({v['comment']})", False, repr(e))
    for kind in KIND_CHECKS:
        check(f"the file holds {kind} vectors", counts.get(kind, 0) > 0)

    # -- 3. self-made checks ----------------------------------------------
    v1, v4 = by_id[1], by_id[4]
    key = bytes.fromhex(v4["key_hex"])
    kr = ring(1, key)
    name = DEFAULT_COOKIE_NAME
    now = 1800000120
    sid = bytes.fromhex(v4["session_id_hex"])
    T_ISS, T_LAST, T_EXP = 1800000000, 1800000060, 1800086400

    def op(value, now=now, decoder=dec_login, kr=kr, name=name, schema=None, **kw):
        if schema is None:
            schema = {dec_login: SCHEMAS["login"], dec_unit: SCHEMAS["unit"], dec_u32: SCHEMAS["u32"]}[decoder]
        return lambda: open_value(kr, name, value, now, decoder, schema, **kw)

    # §1 base64url, at the codec level
    check_eq("§1 'AA' accepted", b64url_decode_strict("AA"), b"\x00")
    check_eq("§1 'AAA' accepted", b64url_decode_strict("AAA"), b"\x00\x00")
    check_eq("§1 '' decodes to nothing", b64url_decode_strict(""), b"")
    for bad in ["AB", "AAB", "A", "AAAAA", "AA==", "AA=", "+w", "/w", "A A", "AA.", "AA\n", "\u00e9A"]:
        try:
            b64url_decode_strict(bad)
            check(f"§1 {bad!r} refused", False, "accepted")
        except ValueError:
            check(f"§1 {bad!r} refused", True)
    import base64
    rnd = os.urandom(200)
    ok = all(b64url_encode(rnd[:n]) == base64.urlsafe_b64encode(rnd[:n]).decode().rstrip("=")
             and b64url_decode_strict(b64url_encode(rnd[:n])) == rnd[:n] for n in range(200))
    check("§1 encoder matches RFC 4648 §5 without padding, round trip", ok)
    check_eq("§1 vector 4 standard-alphabet decoding refused",
             outcome(op(v4["cookie_value"].replace("_", "/").replace("-", "+"))), "malformed")

    # §1 on whole values
    val1 = v1["cookie_value"]
    check_eq("vector 1 is 112 characters (§7: empty payload)", len(val1), 112)
    check_eq("vector 1 opens", outcome(op(val1, decoder=dec_unit)), "valid")
    check_eq("padding '==' refused", outcome(op(val1 + "==", decoder=dec_unit)), "malformed")
    val2 = by_id[2]["cookie_value"]
    check_eq("vector 2 is 114 characters", len(val2), 114)
    # 114 = 4k + 2, so the last character carries 4 unused bits
    last = B64_INDEX[val2[-1]]
    check_eq("vector 2 last character has zero unused bits", last & 0x0F, 0)
    noncanon = val2[:-1] + B64_ALPHABET[last | 0x01]
    check_eq("non-canonical trailing bits refused (would decode to the same bytes)",
             outcome(op(noncanon, decoder=dec_u32)), "malformed")
    check_eq("4k+1-length value refused", outcome(op(val1 + "A", decoder=dec_unit)), "malformed")
    check_eq("the 4k+1 value above has 4k+1 characters", (len(val1) + 1) % 4, 1)
    for ch in [" ", "\t", ".", "\u00e9", "%"]:
        check_eq(f"value with {ch!r} refused", outcome(op(v4["cookie_value"][:-1] + ch)), "malformed")

    # §2 envelope boundaries
    def env_value(version=1, key_id=1, body_len=16):
        return b64url_encode(bytes([version]) + struct.pack(">I", key_id) + bytes(24) + bytes(body_len))

    check_eq("44-byte envelope malformed", outcome(op(env_value(body_len=15))), "malformed")
    check_eq("44-byte envelope with version 2 malformed (length first)",
             outcome(op(env_value(version=2, body_len=15))), "malformed")
    check_eq("45-byte envelope fails authentication", outcome(op(env_value())), "authentication_failed")
    check_eq("45-byte envelope version 2: unsupported version", outcome(op(env_value(version=2))),
             "unsupported_version")
    check_eq("45-byte envelope version 0: unsupported version", outcome(op(env_value(version=0))),
             "unsupported_version")
    check_eq("45-byte envelope key id 7: unknown key id", outcome(op(env_value(key_id=7))),
             "unknown_key_id")

    # §3 the key is chosen by key_id alone
    wrong = bytes(range(1, 33))
    check_eq("key id 1 bound to another key, right key under id 2: authentication failed",
             outcome(op(v4["cookie_value"], kr=(2, {1: wrong, 2: key}))), "authentication_failed")
    res = {}
    check_eq("opened with a non-primary key",
             outcome(lambda: res.update(open_value((9, {9: wrong, 1: key}), name, v4["cookie_value"], now,
                                                   dec_login, SCHEMAS["login"]))), "valid")
    check("opened with a non-primary key: reseal requested", res.get("reseal") is True)

    # §5 step 1: size before decoding
    limit_len = DEFAULT_LIMIT - len(name)  # 4082
    check_eq("name + value = 4097: too large before decoding",
             outcome(op("=" * (limit_len + 1))), "too_large")
    check_eq("name + value = 4096 of 'A': decoded, version 0 → unsupported version",
             outcome(op("A" * limit_len)), "unsupported_version")
    check_eq("limit is configurable", outcome(op(v4["cookie_value"], limit=100)), "too_large")

    # §5 step 6: timestamps, with values sealed here
    def sealed(iss, last, exp, payload=enc_payload("login", {"user_id": 7, "name": "ada", "admin": True}),
               schema=SCHEMAS["login"]):
        return seal_raw(1, key, os.urandom(24), name, iss, last, exp, sid, payload, schema=schema)[0]

    check_eq("last_active_at < issued_at: invalid timestamps",
             outcome(op(sealed(T_ISS, T_ISS - 1, T_EXP))), "invalid_timestamps")
    check_eq("expires_at == issued_at: invalid timestamps",
             outcome(op(sealed(T_ISS, T_ISS, T_ISS))), "invalid_timestamps")
    check_eq("invalid timestamps come before issued in future",
             outcome(op(sealed(T_ISS + 10**6, T_ISS + 10**6 - 1, T_ISS + 10**6))), "invalid_timestamps")
    check_eq("last_active_at = now + 60: opens",
             outcome(op(sealed(now, now + 60, now + 100))), "valid")
    check_eq("last_active_at = now + 61: issued in future",
             outcome(op(sealed(now, now + 61, now + 100))), "issued_in_future")
    v4v = v4["cookie_value"]
    # vector 4's last_active_at is issued_at + 60, so it is the later bound
    check_eq("vector 4, now = last_active_at - 60: opens", outcome(op(v4v, now=T_LAST - 60)), "valid")
    check_eq("vector 4, now = last_active_at - 61: issued in future",
             outcome(op(v4v, now=T_LAST - 61)), "issued_in_future")
    check_eq("issued_at = now + 60: opens", outcome(op(sealed(now + 60, now + 60, now + 100))), "valid")
    check_eq("issued_at = now + 61: issued in future",
             outcome(op(sealed(now + 61, now + 61, now + 100))), "issued_in_future")
    check_eq("vector 4, idle disabled, at last_active_at + 1800: opens",
             outcome(op(v4v, now=T_LAST + 1800, idle=None)), "valid")
    check_eq("vector 4, idle disabled, at expires_at - 1: opens",
             outcome(op(v4v, now=T_EXP - 1, idle=None)), "valid")
    check_eq("vector 4, idle disabled, at expires_at: expired",
             outcome(op(v4v, now=T_EXP, idle=None)), "expired")
    check_eq("vector 4, idle on, at expires_at: expired (before idle)",
             outcome(op(v4v, now=T_EXP)), "expired")
    check_eq("vector 4, ttl 3600, at issued_at + 3599: opens",
             outcome(op(v4v, now=T_ISS + 3599, ttl=3600, idle=None)), "valid")
    check_eq("vector 4, ttl 3600, at issued_at + 3600: expired (ttl caps expires_at)",
             outcome(op(v4v, now=T_ISS + 3600, ttl=3600, idle=None)), "expired")
    check_eq("expires_at before the idle deadline: expired",
             outcome(op(sealed(T_ISS, T_ISS, T_ISS + 100), now=T_ISS + 100)), "expired")

    # §5 step 7: schema mismatch, before the payload is read
    check_eq("vector 4 opened as u32 → schema mismatch",
             outcome(op(v4v, decoder=dec_u32)), "schema_mismatch")
    check_eq("vector 1 (empty) opened as u32 → schema mismatch",
             outcome(op(val1, decoder=dec_u32)), "schema_mismatch")
    check_eq("vector 2 (42u32) opened as unit → schema mismatch",
             outcome(op(val2, decoder=dec_unit)), "schema_mismatch")
    check_eq("vector 4 expected with the reordered Login of vector 204 → schema mismatch",
             outcome(op(v4v, schema=bytes.fromhex(by_id[204]["fingerprint_hex"]))), "schema_mismatch")
    check_eq("schema mismatch comes after the timestamps",
             outcome(op(v4v, decoder=dec_u32, now=T_EXP)), "expired")
    check_eq("a name fingerprint (§4.2) opens only under that name",
             outcome(op(sealed(T_ISS, T_LAST, T_EXP, schema=name_fingerprint("x")),
                        schema=name_fingerprint("x"))), "valid")
    # §5 step 8: payload mismatch under the right schema
    check_eq("bool byte 02 → payload mismatch",
             outcome(op(sealed(T_ISS, T_LAST, T_EXP, bytes.fromhex("070361646102")))), "payload_mismatch")
    check_eq("one byte after the payload → payload mismatch",
             outcome(op(sealed(T_ISS, T_LAST, T_EXP, bytes.fromhex("07036164610100")))), "payload_mismatch")
    def sealed_plaintext(pt):
        nonce = os.urandom(24)
        env = bytes([VERSION]) + struct.pack(">I", 1) + nonce + aead_seal(key, nonce, pt, make_aad(1, name))
        return b64url_encode(env)

    # §4: fixed fields that do not decode are a payload mismatch; the
    # shortest fixed fields are 27 bytes.
    full = encode_plaintext(T_ISS, T_LAST, T_EXP, sid, SCHEMAS["unit"], b"")
    shortest = encode_plaintext(0, 0, 0, sid, SCHEMAS["unit"], b"")
    check_eq("shortest fixed fields are 27 bytes (§4)", len(shortest), 27)
    check_eq("authenticated 26-byte plaintext (shortest fixed fields, truncated schema) refused",
             outcome(op(sealed_plaintext(shortest[:-1]), decoder=dec_unit)), "payload_mismatch")
    check_eq("authenticated 38-byte plaintext (truncated schema): payload mismatch (§4)",
             outcome(op(sealed_plaintext(full[:-1]), decoder=dec_unit)), "payload_mismatch")
    check_eq("authenticated 30-byte plaintext (truncated session id) refused",
             outcome(op(sealed_plaintext(full[:-9]), decoder=dec_unit)), "payload_mismatch")
    check_eq("authenticated empty plaintext refused",
             outcome(op(sealed_plaintext(b""), decoder=dec_unit)), "payload_mismatch")
    check_eq("authenticated 11-byte varint refused",
             outcome(op(sealed_plaintext(b"\xff" * 10 + b"\x01" + full[5:]), decoder=dec_unit)),
             "payload_mismatch")
    check_eq("sealed_plaintext of the full plaintext opens",
             outcome(op(sealed_plaintext(full), decoder=dec_unit)), "valid")
    check_eq("varint 1800000000 = 80 a4 a7 da 06 (§4)", varint(1800000000).hex(), "80a4a7da06")
    check_eq("u64::MAX varint is 10 bytes", len(varint(U64_MAX)), 10)
    check_eq("u64::MAX varint round trip", Reader(varint(U64_MAX)).varint(64), U64_MAX)

    # §7 sizes at the vector timestamps
    fixed = len(encode_plaintext(T_ISS, T_LAST, T_EXP, sid, bytes(8), b""))
    check_eq("§7 plaintext is 39 + p", fixed, 39)

    def largest(cookie_name):
        room = DEFAULT_LIMIT - len(cookie_name)
        chars = max(c for c in range(room + 1) if c % 4 != 1)
        env = max(b for b in range(room) if b64_encoded_len(b) <= room)
        return chars, env, env - OVERHEAD - fixed

    # (name, largest value chars, largest envelope, largest payload)
    # FORMAT.md's `sid` row says 4093 chars, a 4k+1 length no value can have:
    # the largest value for `sid` is 4092 characters (3069 bytes).
    for cname, want in [(DEFAULT_COOKIE_NAME, (4082, 3061, 2977)), ("sid", (4092, 3069, 2985))]:
        got = largest(cname)
        check_eq(f"§7 size table row {cname!r}", got, want)
        p = got[2]
        try:
            value = seal_raw(1, key, os.urandom(24), cname, T_ISS, T_LAST, T_EXP, sid, bytes(p))[0]
            check_eq(f"§7 {cname!r}: {p}-byte payload seals to name + value",
                     (len(value), len(cname) + len(value) <= DEFAULT_LIMIT), (got[0], True))
            check_eq(f"§7 {cname!r}: the largest value opens",
                     outcome(lambda: open_value(kr, cname, value, now, lambda r: r.take(p),
                                                SCHEMAS["login"])), "valid")
        except SealError as e:
            check(f"§7 {cname!r}: {p}-byte payload seals", False, str(e))
        try:
            seal_raw(1, key, os.urandom(24), cname, T_ISS, T_LAST, T_EXP, sid, bytes(p + 1))
            check(f"§7 {cname!r}: {p + 1}-byte payload refused on sealing", False, "sealed")
        except SealError as e:
            check_eq(f"§7 {cname!r}: {p + 1}-byte payload refused with actual and allowed sizes",
                     (e.kind, e.actual, e.allowed),
                     ("too_large", len(cname) + b64_encoded_len(OVERHEAD + fixed + p + 1), DEFAULT_LIMIT))
    check_eq("§7 empty payload gives 112 characters", b64_encoded_len(OVERHEAD + fixed), 112)
    check("§7 5-byte varints from 2021 to 3058",
          all(len(varint(t)) == 5 for t in (1609459200, 34359738367)) and len(varint(2**35)) == 6)

    # §6: a fresh seal opens
    res = {}
    check_eq("§6 new session opens",
             outcome(lambda: res.update(open_value(kr, name,
                                                   seal_new(kr, name, enc_payload("u32", 5), now, SCHEMAS["u32"]),
                                                   now, dec_u32, SCHEMAS["u32"]))), "valid")
    check_eq("§6 new session: issued = last active = now, expires = now + ttl, payload",
             tuple(res.get(k) for k in ("issued_at", "last_active_at", "expires_at", "payload")),
             (now, now, now + DEFAULT_TTL, 5))

    # §9 keyring line
    k1 = b64url_encode(bytes(range(32)))
    k2 = b64url_encode(bytes(range(32, 64)))
    check_eq("§9 key of 00..1f is 43 characters", len(k1), 43)
    good = [
        (f"1:{k1}", (1, [1])),
        (f" 2:{k2} ,\t1:{k1}\r\n", (2, [2, 1])),
        (f"4294967295:{k1},0:{k2}", (4294967295, [4294967295, 0])),
    ]
    for line, (primary, ids) in good:
        try:
            p, keys = parse_keyring(line)
            check_eq(f"§9 {line!r} parses", (p, list(keys)), (primary, ids))
        except KeyringError as e:
            check(f"§9 {line!r} parses", False, str(e))
    check_eq("§9 parsed key opens vector 4", outcome(op(v4v, kr=parse_keyring(f"1:{k1}"))), "valid")
    zero_key = b64url_encode(bytes(32))
    bad = [
        f"01:{k1}",  # leading zero
        f"+1:{k1}",  # sign
        f"-1:{k1}",
        f"4294967296:{k1}",  # out of range
        f"1:{k1},1:{k2}",  # duplicate id
        f"1:{k1},2:{k1}",  # duplicate key
        f"1:{zero_key}",  # all bytes equal
        f"1:{k1}=",  # padding
        f"1:{k1[:-1]}",  # 42 characters
        f"1:{k1[:-1]}B",  # non-canonical last character
        f"1:{k1[:-1]}+",  # character outside the alphabet
        f"1{k1}",  # no colon
        f"x:{k1}",
    ]
    for line in bad:
        try:
            parse_keyring(line)
            check(f"§9 {line!r} refused", False, "accepted")
        except KeyringError:
            check(f"§9 {line!r} refused", True)

    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


def run():
    try:
        return main()
    except Exception:  # a crash is a failure, never a silent pass
        import traceback
        traceback.print_exc()
        check("script ran to the end", False, "unexpected exception")
        print(f"{PASSED} passed, {FAILED} failed")
        return 1


if __name__ == "__main__":
    sys.exit(run())

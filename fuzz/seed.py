#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ from tests/vectors/v1.json.

The inputs that `run.sh --long` keeps in the same folders are left alone.

Deterministic: running it again rewrites the same files. Usage, from anywhere:
    python3 fuzz/seed.py
"""
import base64
import json
import pathlib
import re
import struct

FUZZ = pathlib.Path(__file__).resolve().parent
VECTORS = json.loads((FUZZ.parent / "tests" / "vectors" / "v1.json").read_text())["vectors"]
# The name libFuzzer gives an input it found: its SHA-1 in hex.
FOUND = re.compile("[0-9a-f]{40}")
SEED_DIRS = ["open_value", "format_parse", "keyring_line", "roundtrip", "authenticated_garbage", "cookie_header", "chunks"]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n == 0:
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def write(target: str, name: str, data) -> None:
    if isinstance(data, str):
        data = data.encode()
    (FUZZ / "corpus" / target / name).write_bytes(data)


def slug(v) -> str:
    words = "".join(c if c.isalnum() else "-" for c in v["comment"].lower())
    words = "-".join(w for w in words.split("-") if w)[:40].rstrip("-")
    return f"vector-{v['id']:03}-{words}"


def main() -> None:
    # Rewrites the seeds only: the inputs that `run.sh --long` found and
    # kept (named by their SHA-1) stay.
    for target in SEED_DIRS:
        folder = FUZZ / "corpus" / target
        folder.mkdir(parents=True, exist_ok=True)
        for path in folder.iterdir():
            if path.is_file() and not FOUND.fullmatch(path.name):
                path.unlink()

    valid = [v for v in VECTORS if v["kind"] == "seal"]
    key = bytes.fromhex(VECTORS[0]["key_hex"])
    key_text = b64(key)
    other_key = b64(bytes(range(0x20, 0x40)))

    # (a) open_value: every vector's cookie value, as text (keyring and
    # chunks vectors carry none).
    for v in VECTORS:
        if "cookie_value" in v:
            write("open_value", slug(v) + ".txt", v["cookie_value"])
    write("open_value", "short-4k-plus-1.txt", "AQAAA")
    write("open_value", "non-canonical-tail.txt", "AB")

    # format_parse: decoded envelopes and texts.
    for v in valid:
        write("format_parse", slug(v) + ".bin", unb64(v["cookie_value"]))
    env4 = unb64(valid[3]["cookie_value"])
    write("format_parse", "envelope-44-bytes.bin", env4[:44])
    write("format_parse", "envelope-version-2.bin", b"\x02" + env4[1:])
    write("format_parse", "envelope-empty-body.bin", env4[:29] + env4[-16:])
    write("format_parse", "text-vector-004.txt", valid[3]["cookie_value"])
    write("format_parse", "text-padded.txt", valid[3]["cookie_value"] + "=")

    # (b) cookie_header: raw Cookie headers around vector 4.
    v4 = valid[3]["cookie_value"]
    headers = {
        "only-ours": f"__Host-session={v4}",
        "spaced": f" theme=dark ;  __Host-session = {v4} ;; x=1",
        "nameless": f"={v4}; =; plain; __Host-session={v4}",
        "duplicates": f"__Host-session=forged; __Host-session={v4}; __Host-session=x",
        "quoted": f'__Host-session="{v4}"',
        "chunk-names": f"__Host-session=3.{v4[:40]}; __Host-session.1={v4[40:80]}; __Host-session.2={v4[80:]}",
        "tabs-and-nbsp": "\t__Host-session\t=\tv\t;\u00a0__Host-session=w",
        "empty": "",
    }
    for name, header in headers.items():
        write("cookie_header", name + ".txt", header)

    # (d) chunks: operation bytes (see `chunks` in src/fuzzing.rs).
    ops = {
        "untouched": b"",
        "drop-first": bytes([0]),
        "drop-second": bytes([8]),
        "duplicate": bytes([1]),
        "swap-cookies": bytes([2]),
        "swap-values": bytes([3, 11]),
        "flip": bytes([4, 12, 20]),
        "rename": bytes([5, 13]),
        "resplit": bytes([6, 14]),
        "truncate": bytes([7]),
        "many": bytes(range(64)),
    }
    for name, data in ops.items():
        write("chunks", name + ".bin", data)

    # (c) keyring_line.
    lines = {
        "one-key": f"1:{key_text}",
        "two-keys": f"2:{other_key},1:{key_text}",
        "spaced": f" \t2:{other_key} ,\r\n 1:{key_text}\n",
        "largest-id": f"4294967295:{key_text}",
        "id-overflow": f"4294967296:{key_text}",
        "leading-zero": f"01:{key_text}",
        "duplicate-id": f"1:{key_text},1:{other_key}",
        "duplicate-key": f"1:{key_text},2:{key_text}",
        "weak-key": "1:" + "A" * 43,
        "padded-key": f"1:{key_text}=",
        "short-key": f"1:{key_text[:42]}",
        "standard-alphabet": "1:" + base64.b64encode(bytes(range(0xF0, 0x100)) * 2).decode().rstrip("="),
        "no-colon": "1",
        "empty-entry": f"1:{key_text},,2:{other_key}",
        "only-spaces": "  ",
    }
    for name, line in lines.items():
        write("keyring_line", name + ".txt", line)

    # (e) roundtrip: configuration bytes (see Input in src/fuzzing.rs), then
    # a payload of each kind, then times and bit positions.
    def config(name=0, ttl=86_399, idle=1799, skew=60, limit_sel=0, now=1_800_000_000 - 1_700_000_000):
        out = bytes([name]) + struct.pack("<Q", ttl)
        out += bytes([1]) + struct.pack("<Q", idle) if idle is not None else bytes([0])
        out += struct.pack("<Q", skew) + bytes([limit_sel])
        return out + bytes([2]) + struct.pack("<Q", now) + bytes([0])

    tail = struct.pack("<Q", 600) + bytes(range(16))
    payloads = {
        "unit": bytes([0]),
        "bool": bytes([1, 1]),
        "int": bytes([2]) + struct.pack("<Q", 42),
        "signed": bytes([3]) + struct.pack("<q", -7),
        "wide": bytes([4]) + (1 << 100).to_bytes(16, "little"),
        "char": bytes([5]) + struct.pack("<I", 0x1F600),
        "text": bytes([6, 12]) + b"hello, world",
        "bytes-300": bytes([7]) + struct.pack("<H", 300) + bytes(i % 251 for i in range(300)),
        "pair": bytes([8, 2, 7, 6, 3]) + b"ada",
        "list": bytes([9, 3, 0, 1, 1, 6, 1]) + b"x",
        "maybe": bytes([10, 1, 2]) + struct.pack("<Q", 1 << 63),
        "record": bytes([11]) + struct.pack("<I", 7) + bytes([3]) + b"ada" + bytes([2, 1, 0, 2, 0]),
        "map": bytes([12, 2, 1]) + b"a" + struct.pack("<Q", 1) + bytes([1]) + b"b" + struct.pack("<Q", 2),
    }
    for name, payload in payloads.items():
        write("roundtrip", f"payload-{name}.bin", config() + payload + tail)
    write("roundtrip", "name-sid-no-idle.bin", config(name=1, idle=None) + payloads["text"] + tail)
    write("roundtrip", "small-limit.bin", config(limit_sel=1) + payloads["bytes-300"] + tail)
    write("roundtrip", "near-u64-max.bin", config(now=0) [:-10] + bytes([1]) + struct.pack("<Q", 5) + bytes([0]) + payloads["int"] + tail)
    write("roundtrip", "empty.bin", b"")

    # (f) authenticated_garbage: even first byte, a payload after a valid
    # header; odd, a whole plaintext.
    for v in valid:
        write("authenticated_garbage", slug(v) + "-payload.bin", b"\x00" + bytes.fromhex(v["payload_hex"]))
        write("authenticated_garbage", slug(v) + "-plaintext.bin", b"\x01" + bytes.fromhex(v["plaintext_hex"]))
    write("authenticated_garbage", "claims-2-pow-60.bin", b"\x00" + varint(1 << 60))
    write("authenticated_garbage", "nested-lists.bin", b"\x00" + b"\x09\x01" * 64 + b"\x00")
    write("authenticated_garbage", "bad-utf8.bin", b"\x00\x02\xff\xfe")
    write("authenticated_garbage", "bad-char.bin", b"\x00\x80\x80\xc4\x00")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes tests/data/gap_session.stt: a .stt version 3 file (docs/FEEDS.md) of two symbols
whose live recording dropped trades, i.e. with gap records (kind 2). ALFA: 40 trades, a gap
of 5, 40 more; BETA: 80 trades without a gap. Run from the repository root."""
import struct

def fnv1a(h, data):
    for b in data:
        h ^= b
        h = (h * 16777619) & 0xFFFFFFFF
    return h

symbols = [b"ALFA", b"BETA"]
table = b"".join(struct.pack("<ddBBH", 0.01, 1.0, 2, 0, len(n)) + n for n in symbols)
header_size = (32 + len(table) + 7) // 8 * 8
records = []
t0 = 1_767_364_200_000_000_000
for i in range(80):
    ts = t0 + i * 500_000_000
    if i == 40:  # ALFA's trades 41-45 were dropped live: a gap record, then trade 46
        records.append(struct.pack("<qqqqqII", ts, 0, 5, 0, 0, 0, 2))
    price = 10000 + (i * 7) % 23
    records.append(struct.pack("<qqqqqII", ts, price, 1 + i % 4, price - 1, price + 1, 0, 0))
    records.append(struct.pack("<qqqqqII", ts + 1, 20000 - (i * 5) % 17, 2, 0, 0, 1, 0))
fixed = b"\x89STT\r\n\x1a\n" + struct.pack("<HHIII", 3, 0, header_size, len(symbols), 0)
fixed += struct.pack("<Q", len(records))
header = bytearray(fixed + table + b"\0" * (header_size - 32 - len(table)))
checksum = fnv1a(fnv1a(2166136261, header[0:20]), header[32:])
header[20:24] = struct.pack("<I", checksum)
with open("tests/data/gap_session.stt", "wb") as f:
    f.write(bytes(header) + b"".join(records))

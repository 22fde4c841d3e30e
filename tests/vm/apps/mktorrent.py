#!/usr/bin/env python3
"""Writes a single-file, trackerless, public .torrent for FILE (aria2 cannot
create torrents): peers can find each other only by Local Peer Discovery.

    mktorrent.py FILE OUT.torrent      prints the info hash"""
import hashlib
import os
import sys

PIECE = 16384


def bencode(x):
    if isinstance(x, int):
        return b"i%de" % x
    if isinstance(x, str):
        x = x.encode()
    if isinstance(x, bytes):
        return b"%d:%s" % (len(x), x)
    if isinstance(x, dict):
        return b"d" + b"".join(bencode(k) + bencode(x[k]) for k in sorted(x)) + b"e"
    raise TypeError(type(x))


def main():
    path, out = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        data = f.read()
    pieces = b"".join(hashlib.sha1(data[i:i + PIECE]).digest() for i in range(0, len(data), PIECE))
    info = {"name": os.path.basename(path), "length": len(data), "piece length": PIECE, "pieces": pieces}
    with open(out, "wb") as f:
        f.write(bencode({"info": info, "created by": "rust_mcast tests"}))
    print(hashlib.sha1(bencode(info)).hexdigest())
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Writes each family fixture of family_fixtures.json as a checkpoint folder (model.safetensors
and config.json) under OUT_DIR/<name>, its weights by the fixtures' formula (tests/family_fixtures.h:
0.25 sin(0.61 i + seed) as F32; LayerNorm weights 1 + 0.1 x, biases 0.1 x), for the program
tests and scripts/audit_matrix.sh to open as a user would.

    python3 tests/data/families/write_folders.py tests/data/families/family_fixtures.json OUT_DIR
"""
import json, math, os, struct, sys
fx = json.load(open(sys.argv[1]))
for c in fx["cases"]:
    folder = os.path.join(sys.argv[2], c["name"]); os.makedirs(folder, exist_ok=True)
    hdr, blobs, off = {}, [], 0
    for t in c["tensors"]:
        n = 1
        for s in t["shape"]: n *= s
        f32 = lambda v: struct.unpack('<f', struct.pack('<f', v))[0]
        vals = [f32(0.25 * math.sin(0.61 * i + t["seed"])) for i in range(n)]
        if t["kind"] == "norm_w": vals = [1 + 0.1 * x for x in vals]
        elif t["kind"] == "norm_b": vals = [0.1 * x for x in vals]
        b = struct.pack('<%df' % n, *vals)
        hdr[t["name"]] = {"dtype": "F32", "shape": t["shape"], "data_offsets": [off, off + len(b)]}
        blobs.append(b); off += len(b)
    h = json.dumps(hdr).encode(); h += b' ' * ((8 - len(h) % 8) % 8)
    open(os.path.join(folder, "model.safetensors"), "wb").write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
    json.dump(c["config"], open(os.path.join(folder, "config.json"), "w"))

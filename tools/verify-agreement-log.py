#!/usr/bin/env python3
"""Verifies a case's agreement log (docs/agreement-log.md) from the JSON of ListAgreementLog
(`kruispunt --json agreement log cases/<id>`), on standard input. Exit 0 when intact."""
import hashlib
import json
import sys

entries = json.load(sys.stdin).get("entries", [])
previous = "0" * 64
for expected, entry in enumerate(entries, start=1):
    sequence = int(entry["sequence"])
    canonical = entry["canonical"]
    problem = None
    if sequence != expected:
        problem = "an entry is missing before this one"
    elif entry.get("previous_hash", entry.get("previousHash")) != previous:
        problem = "previous_hash is not the hash of the entry before"
    elif hashlib.sha256((previous + "\n" + canonical).encode("utf-8")).hexdigest() != entry["hash"]:
        problem = "hash does not match the content"
    else:
        content = json.loads(canonical)
        if json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False) != canonical:
            problem = "content is not in canonical form"
        elif content.get("sequence") != sequence:
            problem = "the content's sequence is not the entry's"
    if problem:
        print(f"BROKEN at entry {sequence}: {problem}")
        sys.exit(1)
    previous = entry["hash"]
print(f"intact: {len(entries)} entries, head {previous}")

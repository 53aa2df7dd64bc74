"""A Python agent in the tabmesh mesh through a running `tabmesh node` (standard library only).

    tabmesh node --name kitchen --data-dir ~/.tabmesh/nodes/kitchen …     # once, keeps running
    python3 agent.py --data-dir ~/.tabmesh/nodes/kitchen --call echo --input '"hi"'

Registers the agent "py-agent" with two skills that any peer in the mesh can call:
  reverse      the input text reversed
  word-stream  the input text word by word (a streaming skill)
then, with --call, calls another peer's skill once and prints the answer as one JSON line.
It serves until stopped; the node drops its skills as soon as it exits.
"""
import argparse
import json
import sys

from tabmesh_local import LocalApi, LocalApiError

SKILLS = [
    {"name": "reverse", "description": "Reverses a text", "inputSchema": {"type": "string"}},
    {"name": "word-stream", "description": "Streams a text back word by word", "streaming": True},
]


def handle(skill, data, ctx):
    text = data if isinstance(data, str) else json.dumps(data)
    if skill == "reverse":
        return text[::-1]
    words = text.split(" ")
    for i, word in enumerate(words):
        if ctx.cancelled.is_set():
            raise LocalApiError("cancelled", "the caller cancelled")
        ctx.chunk(word + (" " if i < len(words) - 1 else ""))
    return len(words)


def main():
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--data-dir", required=True, help="the running node's data dir")
    args.add_argument("--agent", default="py-agent", help="agent name (default py-agent)")
    args.add_argument("--call", metavar="SKILL", help="call this skill once (routed by the mesh)")
    args.add_argument("--peer", help="... on this peer")
    args.add_argument("--input", default="null", help="... with this JSON input")
    opts = args.parse_args()

    api = LocalApi.connect(opts.data_dir)
    api.register(opts.agent, SKILLS, handle)
    print(json.dumps({"registered": opts.agent, "node": api.peer_id, "skills": [s["name"] for s in SKILLS]}), flush=True)
    if opts.call:
        try:
            result = api.call(opts.call, json.loads(opts.input), peer=opts.peer)
            print(json.dumps({"called": opts.call, **result}), flush=True)
        except LocalApiError as err:
            print(json.dumps({"called": opts.call, "error": err.code, "message": str(err)}), flush=True)
    try:
        api.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A client for the local API of a running `tabmesh node` (docs/local-api.md), standard library only.

    api = LocalApi.connect("/home/pi/.tabmesh/nodes/kitchen")   # the node's --data-dir
    print(api.call("echo", {"text": "hi"}, peer="k…")["output"])
    api.register("py", [{"name": "reverse"}], lambda skill, data, ctx: data[::-1])
    api.serve_forever()

One JSON object per line over the Unix socket DATA_DIR/node.sock. A reader thread routes replies to
the requests waiting for them and runs the skills remote peers call, one thread per call.
"""
import itertools
import json
import os
import socket
import threading


class LocalApiError(Exception):
    """A failed request, with the documented error code (e.g. "unknown-peer", "skill-taken")."""

    def __init__(self, code, message):
        super().__init__(f"[{code}] {message}")
        self.code = code


class CallContext:
    """What a skill handler gets besides its input: `chunk(data)` streams (when asked), `cancelled` is set on cancel."""

    def __init__(self, api, call, stream):
        self.stream = stream
        self.cancelled = threading.Event()
        self._api, self._call = api, call

    def chunk(self, data):
        if self.stream:
            self._api._send({"op": "chunk", "call": self._call, "data": data})


class LocalApi:
    def __init__(self, sock):
        self._sock = sock
        self._write_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._waiting = {}  # request id -> {"done": Event, "reply": dict, "on_chunk": fn}
        self._handlers = {}  # agent name -> fn(skill, input, ctx)
        self._serving = {}  # call id -> CallContext
        self._hello = threading.Event()
        self.closed = threading.Event()
        self.peer_id = None
        threading.Thread(target=self._read, daemon=True).start()
        if not self._hello.wait(10):
            raise LocalApiError("closed", "the node did not greet")

    @classmethod
    def connect(cls, data_dir):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(os.path.join(data_dir, "node.sock"))
        return cls(sock)

    def call(self, skill, data=None, peer=None, stream=False, on_chunk=None, timeout_ms=None):
        """Runs `skill` on `peer` (or wherever the mesh routes it); returns {output, peerId, tier, ms}."""
        req = {"op": "call", "skill": skill}
        if data is not None:
            req["input"] = data
        if peer:
            req["peer"] = peer
        if stream:
            req["stream"] = True
        if timeout_ms:
            req["timeoutMs"] = timeout_ms
        return self._request(req, on_chunk)

    def peers(self):
        return self._request({"op": "peers"})["peers"]

    def register(self, agent, skills, handler):
        """Offers `skills` as agent `agent`; `handler(skill, input, ctx)` answers calls until close()."""
        self._handlers[agent] = handler
        try:
            return self._request({"op": "register", "agent": agent, "skills": skills})
        except LocalApiError:
            del self._handlers[agent]
            raise

    def serve_forever(self):
        self.closed.wait()

    def close(self):
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _request(self, req, on_chunk=None):
        req["id"] = next(self._ids)
        slot = {"done": threading.Event(), "reply": None, "on_chunk": on_chunk}
        self._waiting[req["id"]] = slot
        self._send(req)
        slot["done"].wait()
        reply = slot["reply"] or {"ok": False, "error": {"code": "closed", "message": "the node closed the connection"}}
        if not reply.get("ok"):
            raise LocalApiError(reply["error"]["code"], reply["error"]["message"])
        return reply["result"]

    def _send(self, obj):
        line = (json.dumps(obj) + "\n").encode()
        with self._write_lock:
            self._sock.sendall(line)

    def _read(self):
        for raw in self._sock.makefile("rb"):
            msg = json.loads(raw)
            event = msg.get("event")
            if event == "hello":
                self.peer_id = msg.get("peerId")
                self._hello.set()
            elif event == "call":
                ctx = CallContext(self, msg["call"], msg.get("stream", False))
                self._serving[msg["call"]] = ctx
                threading.Thread(target=self._serve, args=(msg, ctx), daemon=True).start()
            elif event == "cancel":
                ctx = self._serving.get(msg["call"])
                if ctx:
                    ctx.cancelled.set()
            elif msg.get("id") in self._waiting:
                slot = self._waiting[msg["id"]]
                if "chunk" in msg:
                    if slot["on_chunk"]:
                        slot["on_chunk"](msg["chunk"])
                    continue
                del self._waiting[msg["id"]]
                slot["reply"] = msg
                slot["done"].set()
        self.closed.set()
        self._hello.set()
        for slot in list(self._waiting.values()):
            slot["done"].set()

    def _serve(self, msg, ctx):
        try:
            output = self._handlers[msg["agent"]](msg["skill"], msg.get("input"), ctx)
            self._send({"op": "result", "call": msg["call"], "output": output})
        except Exception as err:  # the remote caller gets the message and, when given, the code
            answer = {"op": "error", "call": msg["call"], "message": str(err)}
            if isinstance(getattr(err, "code", None), str):
                answer["code"] = err.code
            self._send(answer)
        finally:
            self._serving.pop(msg["call"], None)

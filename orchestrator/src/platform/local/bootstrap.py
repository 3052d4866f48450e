"""Warm-process bootstrap for the hetfaas `local` platform.

The orchestrator starts one of these per function instance. It imports the
function's module once (that import is the cold start), then serves events
for as long as the instance stays warm. Frames on both pipes are a 4-byte
big-endian length followed by that many bytes.

Request frame:  a one-line JSON header ({"request_id", "timeout_ms"}), a
                newline, then the event as JSON.
Response frame: one JSON object, either
                {"ok": true, "result": ..., "cpu_ms": f, "maxrss_kb": n}
                or {"ok": false, "errorType", "errorMessage", "stackTrace"}.
The first frame sent is a readiness report for the import itself.

The protocol runs over private duplicates of fds 0 and 1; the handler sees
/dev/null as its standard input and the orchestrator's log pipe as its
standard output, so nothing a handler reads or prints can corrupt a frame.
"""
import importlib.util
import json
import os
import resource
import struct
import sys
import time
import traceback

PROTO_IN = os.fdopen(os.dup(0), "rb", buffering=0)
PROTO_OUT = os.fdopen(os.dup(1), "wb", buffering=0)
_null = os.open(os.devnull, os.O_RDONLY)
os.dup2(_null, 0)
os.close(_null)
os.dup2(2, 1)
sys.stdin = open(os.devnull, "r")


def read_exact(n):
    buf = bytearray()
    while len(buf) < n:
        chunk = PROTO_IN.read(n - len(buf))
        if not chunk:
            return None
        buf.extend(chunk)
    return bytes(buf)


def send(obj):
    try:
        data = json.dumps(obj, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        data = json.dumps(error_frame("Runtime.SerializationError", exc)).encode()
    PROTO_OUT.write(struct.pack(">I", len(data)) + data)


def error_frame(error_type, exc):
    # The handler's frames only: the bootstrap's own are noise to its author.
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return {
        "ok": False,
        "errorType": error_type,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(type(exc), exc, tb)[-8:],
    }


class Context:
    """The subset of the AWS Lambda context object handlers commonly use."""

    def __init__(self, function_name, memory_mb, request_id, timeout_ms):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = request_id
        self._deadline = time.monotonic() + timeout_ms / 1000.0

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(code_dir):
    sys.path.insert(0, code_dir)
    spec = importlib.util.spec_from_file_location("main", os.path.join(code_dir, "main.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["main"] = module
    spec.loader.exec_module(module)
    handler = getattr(module, "handler", None)
    if not callable(handler):
        raise AttributeError("main.py defines no callable `handler(event, context)`")
    return handler


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def serve(handler, function_name, memory_mb):
    while True:
        header = read_exact(4)
        if header is None:
            return
        body = read_exact(struct.unpack(">I", header)[0])
        if body is None:
            return
        meta_line, _, event_bytes = body.partition(b"\n")
        meta = json.loads(meta_line)
        ctx = Context(function_name, memory_mb, meta["request_id"], meta["timeout_ms"])
        before = cpu_seconds()
        try:
            result = handler(json.loads(event_bytes), ctx)
            frame = {"ok": True, "result": result}
        except BaseException as exc:  # a handler's SystemExit is its answer too
            frame = error_frame(type(exc).__name__, exc)
        sys.stdout.flush()
        frame["cpu_ms"] = (cpu_seconds() - before) * 1000.0
        frame["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        send(frame)


def main():
    code_dir, function_name, memory_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
    try:
        handler = load_handler(code_dir)
    except BaseException as exc:
        send(error_frame(type(exc).__name__, exc))
        return
    send({"ok": True, "ready": True})
    serve(handler, function_name, memory_mb)


if __name__ == "__main__":
    main()

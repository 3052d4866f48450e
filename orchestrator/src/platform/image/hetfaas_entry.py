"""The entry point of every function image hetfaas builds (CMD
hetfaas_entry.handler): runs the function's own main.handler and returns
its result in an envelope with what a hetfaas node would report in headers,
which Lambda gives no way to set: the call's CPU time, the instance's peak
memory, and whether this was the instance's first call (a cold start).
The orchestrator opens the envelope (platform/lambda_wire.rs); an error
raised by the handler passes through as Lambda's own error answer."""

import resource

import main

_first_call = True


def handler(event, context):
    global _first_call
    cold, _first_call = _first_call, False
    before = resource.getrusage(resource.RUSAGE_SELF)
    result = main.handler(event, context)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "__hetfaas_envelope__": 1,
        "result": result,
        "profile": {"cpu_ms": cpu_s * 1000.0, "maxrss_kb": after.ru_maxrss},
        "cold": cold,
    }

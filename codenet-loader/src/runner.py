"""Runs a generated handler on a JSON list of cases read from stdin and
prints {"outputs": [...]} or {"error": "..."} as one JSON line."""
import importlib.util
import json
import sys

try:
    spec = importlib.util.spec_from_file_location("handler_under_test", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cases = json.load(sys.stdin)
    result = {"outputs": module.handler(cases, None)}
except BaseException as error:
    result = {"error": "{}: {}".format(type(error).__name__, error)}
sys.stdout.write(json.dumps(result) + "\n")

"""Runs inside `python -I -S -B` (standard library only): import the image's CMD from a closure
directory, invoke it with each event, and report what it saw.

argv: CLOSURE CMD EVENTS_JSON OUTPUT_JSON. The report goes to OUTPUT_JSON because the handler logs to
stdout. Standard library only, like the runtime before it reaches the task root.
"""

import importlib
import json
import sys
import sysconfig
from types import SimpleNamespace

closure, command, events_file, output_file = sys.argv[1:5]
sys.path.insert(0, closure)  # where the Lambda runtime puts ${LAMBDA_TASK_ROOT}
module_name, _, attribute = command.rpartition(".")
handler = getattr(importlib.import_module(module_name), attribute)

with open(events_file) as stream:
    events = json.load(stream)
results = []
for number, event in enumerate(events):
    context = SimpleNamespace(
        aws_request_id=f"probe-{number}",
        function_name="closure-probe",
        memory_limit_in_mb=512,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:closure-probe:live",
        get_remaining_time_in_millis=lambda: 30_000,
    )
    results.append(handler(event, context))

stdlib = tuple({sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]})
outside = sorted(
    f"{name}: {module.__file__}"
    for name, module in list(sys.modules.items())
    if name != "__main__"
    and getattr(module, "__file__", None)
    and not module.__file__.startswith(closure)
    and not module.__file__.startswith(stdlib)
)
with open(output_file, "w") as stream:
    json.dump(
        {"results": results, "outside": outside, "sys_path": sys.path, "site_loaded": "site" in sys.modules},
        stream,
    )

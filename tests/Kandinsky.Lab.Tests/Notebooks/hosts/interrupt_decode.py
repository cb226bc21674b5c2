"""The lab kernel's interrupt, through Jupyter's own client (jupyter_client), as JupyterLab or nbconvert would send it.

Starts the given kernelspec in the notebook's folder, runs the notebook's first code cell (the lab from its packages), starts a long decode whose steps are
counted in a file (each step held 200 ms, so a step outlasts the interrupt's delivery and "within one step" is what is judged), interrupts it after a few steps, and then asks the kernel for 1 + 1. Prints one JSON line: the
steps done when interrupted and at the end, the decode cell's reply, the answer to the next cell, and how many
live-display updates arrived. The C# test (JupyterHostTests) judges them.
Usage: interrupt_decode.py KERNEL_NAME NOTEBOOK STEP_FILE
"""
import json
import os
import sys
import time

from jupyter_client.manager import start_new_kernel

kernel_name, notebook, step_file = sys.argv[1:4]
with open(notebook, encoding="utf-8") as f:
    SETUP = "".join(next(c for c in json.load(f)["cells"] if c["cell_type"] == "code")["source"])
DECODE = f"""
var text = lab.EncodeText("a person with blue hair");
var prior = lab.Prior(text, new PriorOptions {{ Steps = 5, Seed = 1 }});
var stepFile = {json.dumps(step_file)};
var decoded = lab.Decode(prior, text, new DecodeOptions {{ Steps = 500, Seed = 1,
    Callbacks = new StageCallbacks<DecoderStep>("decoder") {{ OnStep = s => {{ System.IO.File.AppendAllText(stepFile, "x"); System.Threading.Thread.Sleep(200); }} }} }});
"""


def steps_done():
    try:
        return os.path.getsize(step_file)
    except FileNotFoundError:
        return 0


def reply_to(client, msg_id, timeout):
    """The shell reply to msg_id (start-up replies may still be queued before it)."""
    while True:
        reply = client.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]


def run(client, code, timeout):
    """Executes code; returns (reply content, iopub messages of that request)."""
    msg_id = client.execute(code)
    messages = []
    deadline = time.time() + timeout
    while True:
        msg = client.get_iopub_msg(timeout=max(1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    return reply_to(client, msg_id, max(1, deadline - time.time())), messages


result = {}
manager, client = start_new_kernel(kernel_name=kernel_name, cwd=os.path.dirname(os.path.abspath(notebook)), startup_timeout=120)
try:
    reply, _ = run(client, SETUP, 300)
    result["setup"] = reply["status"]
    if reply["status"] != "ok":
        result["setup_error"] = reply.get("evalue")
        raise SystemExit
    msg_id = client.execute(DECODE)
    deadline = time.time() + 300
    while steps_done() < 5 and time.time() < deadline:
        time.sleep(0.05)
    result["steps_at_interrupt"] = steps_done()
    manager.interrupt_kernel()
    interrupted_at = time.time()
    updates = 0
    while True:
        msg = client.get_iopub_msg(timeout=120)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        updates += msg["msg_type"] == "update_display_data"
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    decode_reply = reply_to(client, msg_id, 60)
    result["stopped_after_s"] = round(time.time() - interrupted_at, 2)
    result["steps_at_end"] = steps_done()
    result["decode_status"] = decode_reply["status"]
    result["decode_error"] = decode_reply.get("ename", "") + ": " + decode_reply.get("evalue", "")
    result["display_updates"] = updates
    result["alive"] = manager.is_alive()
    reply, messages = run(client, "1 + 1", 60)
    result["next_status"] = reply["status"]
    data = next((m["content"]["data"] for m in messages if m["msg_type"] == "execute_result"), {})
    result["next_value"] = data.get("text/plain") or data.get("text/html")
finally:
    print(json.dumps(result), flush=True)
    client.stop_channels()
    manager.shutdown_kernel(now=True)

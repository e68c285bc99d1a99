#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# contrib/npd against node-problem-detector's own rules (TAP):
# - the shipped plugin config passes tests/npd/validate-config.py (NPD's ApplyConfiguration and
#   Validate, kubernetes/node-problem-detector pkg/custompluginmonitor/types/config.go), and every
#   broken copy below fails it with NPD's reason: the validator can fail;
# - NPD's own sample config (tests/fixtures/npd/custom-plugin-monitor.json) passes it: the
#   validator is not stricter than NPD where NPD's maintainers are not;
# - the DaemonSet patch parses, and merged into NPD's real deployment/node-problem-detector.yaml
#   (tests/fixtures/npd, see SOURCE) as kubectl's strategic merge does, gives NPD's pod hostPID,
#   privileged, the remedy-npd ConfigMap where the config's rule path points, and NPD's command
#   with the config added and its own flags kept;
# - the wrapper enters PID 1's mount namespace and runs the host's remedy in NPD's format.
import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

SOURCE_ROOT = os.environ.get("SOURCE_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")
CONTRIB = os.path.join(SOURCE_ROOT, "contrib", "npd")
VALIDATOR = os.path.join(SOURCE_ROOT, "tests", "npd", "validate-config.py")
FIXTURES = os.path.join(SOURCE_ROOT, "tests", "fixtures", "npd")
POD_DIR = "/remedy-npd"   # where daemonset-patch.yaml mounts the remedy-npd ConfigMap

n = 0
failed = 0


def ok(cond, what, diag=None):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
    if not cond:
        failed += 1
        if diag:
            for line in str(diag).splitlines():
                print("# " + line)


def validate(path, *opts):
    p = subprocess.run([sys.executable, VALIDATOR, *opts, path], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


spec = importlib.util.spec_from_file_location("validate_config", VALIDATOR)
vc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(vc)

shipped_path = os.path.join(CONTRIB, "remedy-plugin-monitor.json")
with open(shipped_path, encoding="utf-8") as f:
    shipped = json.load(f)

# 1. The shipped config.
rc, out = validate(shipped_path, "--map", "%s=%s" % (POD_DIR, CONTRIB))
ok(rc == 0 and out == "", "the shipped config passes NPD's checks", out)
cfg, errs = vc.load_config(json.dumps(shipped))
g = cfg["pluginConfig"]
ok(g["max_output_length"] == 80, "max_output_length is NPD's default 80, the length remedy --format=npd keeps to")
ok(all(r["timeout"] is not None and r["timeout"] <= g["timeout"] < g["invoke_interval"] for r in cfg["rules"]),
   "each rule has its own timeout, within the global one, and both below the invoke interval")
perm = [r for r in cfg["rules"] if r["type"] == "permanent"]
ok(len(perm) == 1 and perm[0]["condition"] == "RemedyFinding" and perm[0]["path"] == POD_DIR + "/remedy-on-host",
   "one permanent rule for the RemedyFinding condition, running the wrapper from the ConfigMap", perm)
ok(g["enable_message_change_based_condition_update"] is True,
   "the message follows the findings while the condition stays True")

# 2. Broken copies: each must fail, with NPD's reason.
def broken(edit):
    c = copy.deepcopy(shipped)
    edit(c)
    return c

cases = [
    ("plugin kmsg", lambda c: c.update(plugin="kmsg"), 'Only support "custom"'),
    ("no plugin key", lambda c: c.pop("plugin"), 'does not support "" plugin'),
    ("a rule timeout above the global one", lambda c: c["rules"][0].update(timeout="21s"),
     "plugin timeout is greater than global timeout"),
    ("a global timeout below the rule's", lambda c: c["pluginConfig"].update(timeout="10s"),
     "plugin timeout is greater than global timeout"),
    ("no global timeout: NPD's 5s default is below the rule's", lambda c: c["pluginConfig"].pop("timeout"),
     "plugin timeout is greater than global timeout"),
    ("an interval without a unit", lambda c: c["pluginConfig"].update(invoke_interval="60"),
     'missing unit in duration "60"'),
    ("a rule timeout in days", lambda c: c["rules"][0].update(timeout="1d"), 'unknown unit "d"'),
    ("a zero interval", lambda c: c["pluginConfig"].update(invoke_interval="0s"),
     "global invoke interval must be greater than zero"),
    ("a negative rule interval", lambda c: c["rules"][0].update(invoke_interval="-1m"),
     "rule invoke interval must be greater than zero"),
    ("the permanent rule's condition not among the conditions",
     lambda c: c["rules"][0].update(condition="RemedyProblem"),
     "permanent problem RemedyProblem does not have preset default condition"),
    ("no conditions at all", lambda c: c.pop("conditions"),
     "permanent problem RemedyFinding does not have preset default condition"),
    ("max_output_length as a string", lambda c: c["pluginConfig"].update(max_output_length="80"),
     "cannot unmarshal"),
    ("max_output_length as a fraction", lambda c: c["pluginConfig"].update(max_output_length=80.5),
     "cannot unmarshal"),
    ("a negative max_output_length", lambda c: c["pluginConfig"].update(max_output_length=-1),
     "accepts it but panics"),
    ("concurrency 0", lambda c: c["pluginConfig"].update(concurrency=0), "never runs a plugin"),
    ("a misspelt key", lambda c: c["pluginConfig"].update(invoke_intreval="10s"),
     'ignores pluginConfig key "invoke_intreval"'),
    ("args not a list", lambda c: c["rules"][0].update(args="--format=npd"), "cannot unmarshal"),
    ("a rule type NPD does not know", lambda c: c["rules"][0].update(type="permament"),
     "neither temporary nor permanent"),
    ("a rule path not in the ConfigMap", lambda c: c["rules"][0].update(path=POD_DIR + "/remedy"),
     "rule path does not exist"),
]
with tempfile.TemporaryDirectory() as tmp:
    for name, edit, reason in cases:
        path = os.path.join(tmp, "broken.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(broken(edit), f)
        rc, out = validate(path, "--map", "%s=%s" % (POD_DIR, CONTRIB))
        ok(rc == 1 and reason in out, "refused: %s" % name, "rc %d, expected \"%s\" in:\n%s" % (rc, reason, out))
    with open(os.path.join(tmp, "broken.json"), "w") as f:
        f.write(json.dumps(shipped)[:-2])
    rc, out = validate(os.path.join(tmp, "broken.json"))
    ok(rc == 1 and "not JSON" in out, "refused: a config cut short", out)
    # NPD only stats the path; a file it cannot execute fails every run (stricter, on purpose).
    pod = os.path.join(tmp, "pod")
    os.mkdir(pod)
    shutil.copy(os.path.join(CONTRIB, "remedy-on-host"), pod)
    os.chmod(os.path.join(pod, "remedy-on-host"), 0o644)
    rc, out = validate(shipped_path, "--map", "%s=%s" % (POD_DIR, pod))
    ok(rc == 1 and "not an executable file" in out, "refused: a wrapper without its execute bit", out)

# 3. NPD's own sample config.
rc, out = validate(os.path.join(FIXTURES, "custom-plugin-monitor.json"), "--no-path-check")
ok(rc == 0, "NPD's own sample config passes (its path is relative to NPD's image)", out)

# 4. The DaemonSet patch, merged into NPD's real deployment.
# kubectl's strategic merge (k8s.io/apimachinery/pkg/util/strategicpatch) for the fields the
# patch touches: maps merge; lists of objects with a patchMergeKey in the API types
# (PodSpec.containers and .volumes: name; Container.volumeMounts: mountPath; .env: name) merge
# by that key; any other list (command, args, tolerations) is replaced whole.
MERGE_KEYS = {"containers": "name", "initContainers": "name", "volumes": "name", "env": "name",
              "volumeMounts": "mountPath"}


def strategic_merge(orig, patch, key=None):
    if isinstance(orig, dict) and isinstance(patch, dict):
        out = dict(orig)
        for k, v in patch.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = strategic_merge(orig.get(k), v, k)
        return out
    if isinstance(orig, list) and isinstance(patch, list) and key in MERGE_KEYS:
        mk = MERGE_KEYS[key]
        out = list(orig)
        for item in patch:
            idx = next((i for i, o in enumerate(out) if o.get(mk) == item.get(mk)), None)
            if idx is None:
                out.append(item)
            else:
                out[idx] = strategic_merge(out[idx], item)
        return out
    return copy.deepcopy(patch)


with open(os.path.join(CONTRIB, "daemonset-patch.yaml"), encoding="utf-8") as f:
    patch = yaml.safe_load(f)
with open(os.path.join(FIXTURES, "node-problem-detector.yaml"), encoding="utf-8") as f:
    ds = yaml.safe_load(f)
ok(isinstance(patch, dict) and "spec" in patch and set(patch) <= {"spec", "metadata"},
   "the patch parses as YAML and patches only the DaemonSet's spec")
ok(json.loads(json.dumps(patch)) == patch, "and is plain JSON data (kubectl converts YAML to JSON)")
merged = strategic_merge(ds, patch)
spec_ = merged["spec"]["template"]["spec"]
ok(ds["spec"]["template"]["spec"].get("hostPID") is None, "NPD's own deployment has no hostPID")
ok(spec_.get("hostPID") is True, "patched: hostPID (nsenter -t 1 reaches the host's init)")
ctrs = [c for c in spec_["containers"] if c["name"] == "node-problem-detector"]
ok(len(spec_["containers"]) == 1 and len(ctrs) == 1, "one container, NPD's, merged by name")
c = ctrs[0]
ok(c["securityContext"].get("privileged") is True, "patched: privileged (setns into the host's mount namespace)")
ok(c["image"] == ds["spec"]["template"]["spec"]["containers"][0]["image"], "NPD's image kept")
orig_cmd = ds["spec"]["template"]["spec"]["containers"][0]["command"]
cfg_flag = "--config.custom-plugin-monitor=%s/remedy-plugin-monitor.json" % POD_DIR
ok(c["command"] == orig_cmd + [cfg_flag], "command: NPD's own, with remedy's plugin config added",
   c["command"])
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
ok(set(m["mountPath"] for m in ds["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]) < set(mounts),
   "NPD's own mounts kept (log, kmsg, localtime, config)")
ok(POD_DIR in mounts and mounts[POD_DIR].get("readOnly") is True, "the remedy-npd volume mounted read-only at " + POD_DIR)
vols = {v["name"]: v for v in spec_["volumes"]}
ok(set(v["name"] for v in ds["spec"]["template"]["spec"]["volumes"]) < set(vols), "NPD's own volumes kept")
v = vols.get(mounts.get(POD_DIR, {}).get("name"), {})
ok(v.get("configMap", {}).get("name") == "remedy-npd" and v["configMap"].get("defaultMode") == 0o755,
   "from the remedy-npd ConfigMap, files mode 0755 (the wrapper must be executable)", v)
ok(not any("hostPath" in v and v["hostPath"]["path"].rstrip("/") in ("/run/dbus", "/var/run/dbus", "/var/log/journal")
           for v in vols.values()),
   "no host journal or D-Bus mounts: remedy runs in the host's mount namespace instead")
lim = c["resources"]["limits"]
ok(lim["cpu"] != ds["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"],
   "the CPU limit is raised above NPD's 10m (the plugin runs in NPD's cgroup)")
# The config the command names is in the ConfigMap, and so is every rule's path.
ok(all(r["path"].startswith(POD_DIR + "/") and os.path.exists(os.path.join(CONTRIB, r["path"][len(POD_DIR) + 1:]))
       for r in shipped["rules"]), "every rule's path is a file of contrib/npd, mounted at " + POD_DIR)

# 5. The wrapper.
with open(os.path.join(CONTRIB, "remedy-on-host"), encoding="utf-8") as f:
    wrapper = f.read()
ok(os.access(os.path.join(CONTRIB, "remedy-on-host"), os.X_OK), "the wrapper is executable")
ok("\nexec /usr/bin/nsenter --target 1 --mount -- /usr/sbin/remedy --format=npd diagnose\n" in wrapper,
   "it execs the host's remedy diagnose --format=npd in PID 1's mount namespace")
p = subprocess.run(["sh", "-n", os.path.join(CONTRIB, "remedy-on-host")], capture_output=True, text=True)
ok(p.returncode == 0, "sh -n: it parses", p.stderr)

print("1..%d" % n)
sys.exit(1 if failed else 0)

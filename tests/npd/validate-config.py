#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks a node-problem-detector custom plugin monitor config as NPD itself would.

usage: validate-config.py [--map POD_DIR=DIR]... [--no-path-check] CONFIG.json

Written from NPD's source (kubernetes/node-problem-detector, read at commit 6632ca67):
  pkg/custompluginmonitor/custom_plugin_monitor.go  NewCustomPluginMonitorOrDie: json.Unmarshal,
                                                    then ApplyConfiguration, then Validate; any
                                                    error is klog.Fatalf: NPD does not start
  pkg/custompluginmonitor/types/config.go           the fields, their defaults, ApplyConfiguration
                                                    (durations parsed by time.ParseDuration) and
                                                    Validate (plugin == "custom", intervals > 0, a
                                                    rule's timeout <= the global one, every rule's
                                                    path exists, every permanent rule's condition
                                                    has a default in "conditions")
  pkg/custompluginmonitor/types/types.go            CustomRule's fields
  pkg/custompluginmonitor/plugin/plugin.go          how the values are used at run time
  pkg/types/types.go                                Condition; rule types "temporary", "permanent"

Two kinds of error, each line saying which:
  "npd refuses it"           NPD exits at start-up (the checks above).
  "npd accepts it but ..."   NPD starts and then misbehaves: a misspelt key is ignored by Go's
                             json.Unmarshal and its default used instead; max_output_length < 0
                             panics in plugin.go's output[:n]; concurrency 0 blocks runRules
                             forever on its channel, < 0 panics in make(); a rule type other than
                             temporary/permanent is treated as permanent by
                             custom_plugin_monitor.go's generateStatus; a rule path that is not
                             executable fails every run as Unknown. Stricter than NPD, on purpose.

Rule paths are paths inside NPD's container. --map POD_DIR=DIR checks a path under POD_DIR at
DIR instead (for example /remedy-npd=contrib/npd, the ConfigMap the DaemonSet patch mounts);
--no-path-check skips the existence check (NPD's own sample names a path relative to its image).

Exit status 0 when the config is good, 1 with one line per error on stdout, 2 on bad usage.
Importable (the lab's NPD stand-in loads its config through load_config()).
"""

import json
import os
import re
import sys

# config.go's defaults.
DEFAULT_TIMEOUT = "5s"
DEFAULT_INVOKE_INTERVAL = "30s"
DEFAULT_MAX_OUTPUT_LENGTH = 80
DEFAULT_CONCURRENCY = 3

# Go's time.ParseDuration (src/time/format.go): [-+]? then one or more of
# (digits [. digits] | . digits) unit, or exactly "0".
_UNITS = {"ns": 1, "us": 10**3, "\u00b5s": 10**3, "\u03bcs": 10**3, "ms": 10**6,
          "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")


def parse_go_duration(s):
    """Nanoseconds, or raises ValueError with Go's reason."""
    if not isinstance(s, str):
        raise ValueError("not a string")
    orig, neg = s, False
    if s[:1] in ("-", "+"):
        neg, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if s == "":
        raise ValueError('time: invalid duration "%s"' % orig)
    total = 0
    while s:
        m = _DURATION_PART.match(s)
        whole, frac, unit = m.group(1), m.group(2), m.group(3)
        if whole == "" and not frac:
            raise ValueError('time: invalid duration "%s"' % orig)
        if unit == "":
            raise ValueError('time: missing unit in duration "%s"' % orig)
        if unit not in _UNITS:
            raise ValueError('time: unknown unit "%s" in duration "%s"' % (unit, orig))
        scale = _UNITS[unit]
        total += int(whole or "0") * scale
        if frac:
            total += int(frac) * scale // 10**len(frac)
        if total > 2**63 - 1:
            raise ValueError('time: invalid duration "%s"' % orig)
        s = s[m.end():]
    return -total if neg else total


# Go's encoding/json matches a key to a field exactly, else case-insensitively; the last
# matching key wins; keys matching no field are ignored.
def _fields(obj, names, where, errors):
    """{field: value} as json.Unmarshal would fill them; unknown keys reported (stricter)."""
    out = {}
    for key, value in obj.items():
        match = key if key in names else next((n for n in names if n.lower() == key.lower()), None)
        if match is None:
            errors.append("npd accepts it but ignores %s key \"%s\" (a misspelling? NPD uses the default)" % (where, key))
            continue
        out[match] = value
    return out


def _typed(value, kind, what, errors):
    """The value when it has the Go type json.Unmarshal needs; null is "not set"."""
    if value is None:
        return None
    ok = {"string": isinstance(value, str),
          "int": isinstance(value, int) and not isinstance(value, bool),
          "bool": isinstance(value, bool),
          "object": isinstance(value, dict),
          "array": isinstance(value, list)}[kind]
    if not ok:
        errors.append("npd refuses it: %s is %s, not a JSON %s (json: cannot unmarshal)" % (what, json.dumps(value), kind))
        return None
    return value


CONFIG_FIELDS = ("plugin", "pluginConfig", "source", "conditions", "rules", "metricsReporting")
GLOBAL_FIELDS = ("invoke_interval", "timeout", "max_output_length", "concurrency",
                 "enable_message_change_based_condition_update", "skip_initial_status")
RULE_FIELDS = ("type", "condition", "reason", "path", "args", "timeout", "invoke_interval")
CONDITION_FIELDS = ("type", "status", "transition", "reason", "message")


def load_config(text):
    """(config, errors): config is a dict with the defaults applied as ApplyConfiguration does
    (durations in nanoseconds), errors a list of lines; config is None when NPD would refuse."""
    errors = []
    try:
        raw = json.loads(text)
    except ValueError as e:
        return None, ["npd refuses it: not JSON: %s" % e]
    if not isinstance(raw, dict):
        return None, ["npd refuses it: the top level is not a JSON object"]
    top = _fields(raw, CONFIG_FIELDS, "top-level", errors)
    cfg = {"plugin": _typed(top.get("plugin"), "string", "plugin", errors) or "",
           "source": _typed(top.get("source"), "string", "source", errors) or "",
           "metricsReporting": _typed(top.get("metricsReporting"), "bool", "metricsReporting", errors)}
    if cfg["metricsReporting"] is None:
        cfg["metricsReporting"] = True
    glob = _fields(_typed(top.get("pluginConfig"), "object", "pluginConfig", errors) or {},
                   GLOBAL_FIELDS, "pluginConfig", errors)
    for name, kind in (("invoke_interval", "string"), ("timeout", "string"), ("max_output_length", "int"),
                       ("concurrency", "int"), ("enable_message_change_based_condition_update", "bool"),
                       ("skip_initial_status", "bool")):
        glob[name] = _typed(glob.get(name), kind, "pluginConfig." + name, errors)
    cfg["conditions"] = []
    for i, c in enumerate(_typed(top.get("conditions"), "array", "conditions", errors) or []):
        c = _typed(c, "object", "conditions[%d]" % i, errors) or {}
        c = _fields(c, CONDITION_FIELDS, "conditions[%d]" % i, errors)
        cfg["conditions"].append({k: _typed(c.get(k), "string", "conditions[%d].%s" % (i, k), errors) or ""
                                  for k in ("type", "reason", "message")})
    cfg["rules"] = []
    for i, r in enumerate(_typed(top.get("rules"), "array", "rules", errors) or []):
        if r is None:
            # []*CustomRule: a null element is a nil pointer that ApplyConfiguration dereferences.
            errors.append("npd accepts it but crashes: rules[%d] is null (a nil *CustomRule)" % i)
            continue
        r = _fields(_typed(r, "object", "rules[%d]" % i, errors) or {}, RULE_FIELDS, "rules[%d]" % i, errors)
        rule = {k: _typed(r.get(k), "string", "rules[%d].%s" % (i, k), errors)
                for k in ("type", "condition", "reason", "path", "timeout", "invoke_interval")}
        args = _typed(r.get("args"), "array", "rules[%d].args" % i, errors) or []
        rule["args"] = [_typed(a, "string", "rules[%d].args[%d]" % (i, j), errors) or "" for j, a in enumerate(args)]
        for k in ("type", "condition", "reason", "path"):
            rule[k] = rule[k] or ""
        cfg["rules"].append(rule)
    if any(e.startswith("npd refuses") for e in errors):
        return None, errors

    # ApplyConfiguration: the global timeout and interval, then each rule's.
    for name, default in (("timeout", DEFAULT_TIMEOUT), ("invoke_interval", DEFAULT_INVOKE_INTERVAL)):
        try:
            glob[name] = parse_go_duration(glob[name] if glob[name] is not None else default)
        except ValueError as e:
            return None, errors + ["npd refuses it: error in parsing global %s: %s" % (name, e)]
    for name, default in (("max_output_length", DEFAULT_MAX_OUTPUT_LENGTH), ("concurrency", DEFAULT_CONCURRENCY),
                          ("enable_message_change_based_condition_update", False), ("skip_initial_status", False)):
        if glob[name] is None:
            glob[name] = default
    cfg["pluginConfig"] = glob
    for i, rule in enumerate(cfg["rules"]):
        for name in ("timeout", "invoke_interval"):
            if rule[name] is not None:
                try:
                    rule[name] = parse_go_duration(rule[name])
                except ValueError as e:
                    return None, errors + ["npd refuses it: error in parsing rules[%d] %s: %s" % (i, name, e)]
    return cfg, errors


def validate(cfg, path_check=None):
    """Validate's checks, in its order, then the ones NPD leaves to run time. path_check(path)
    returns None when the path is fine, else why not; None skips the check."""
    errors = []
    g = cfg["pluginConfig"]
    if cfg["plugin"] != "custom":
        errors.append('npd refuses it: NPD does not support "%s" plugin for now. Only support "custom"' % cfg["plugin"])
    if g["invoke_interval"] <= 0:
        errors.append("npd refuses it: global invoke interval must be greater than zero")
    for i, rule in enumerate(cfg["rules"]):
        if rule["invoke_interval"] is not None and rule["invoke_interval"] <= 0:
            errors.append("npd refuses it: rules[%d]: rule invoke interval must be greater than zero" % i)
        if rule["timeout"] is not None and rule["timeout"] > g["timeout"]:
            errors.append("npd refuses it: rules[%d]: plugin timeout is greater than global timeout" % i)
    if path_check:
        for i, rule in enumerate(cfg["rules"]):
            why = path_check(rule["path"])
            if why:
                errors.append("%s: rules[%d] path \"%s\"" % (why, i, rule["path"]))
    defaults = {c["type"] for c in cfg["conditions"]}
    for i, rule in enumerate(cfg["rules"]):
        if rule["type"] == "permanent" and rule["condition"] not in defaults:
            errors.append("npd refuses it: rules[%d]: permanent problem %s does not have preset default condition"
                          % (i, rule["condition"]))
    # What Validate lets through and the run then trips on.
    if g["max_output_length"] < 0:
        errors.append("npd accepts it but panics: max_output_length %d (output[:n] in plugin.go)" % g["max_output_length"])
    if g["concurrency"] < 1:
        errors.append("npd accepts it but never runs a plugin: concurrency %d (plugin.go's syncChan)" % g["concurrency"])
    for i, rule in enumerate(cfg["rules"]):
        if rule["type"] not in ("temporary", "permanent"):
            errors.append('npd accepts it but rules[%d] type "%s" is neither temporary nor permanent' % (i, rule["type"]))
        if rule["type"] == "permanent" and not rule["reason"]:
            errors.append("npd accepts it but rules[%d] has no reason for its condition" % i)
    if not cfg["source"]:
        errors.append("npd accepts it but the conditions and events it sets have no source")
    return errors


def main(argv):
    maps, path_check, files = [], True, []
    args = iter(argv)
    for a in args:
        if a == "--map":
            a = "--map=" + next(args, "")
        if a.startswith("--map="):
            pod, sep, local = a[len("--map="):].partition("=")
            if not sep or not pod.startswith("/"):
                print("usage: --map POD_DIR=DIR", file=sys.stderr)
                return 2
            maps.append((pod.rstrip("/") + "/", local))
        elif a == "--no-path-check":
            path_check = False
        elif a.startswith("-"):
            print("unknown option %s" % a, file=sys.stderr)
            return 2
        else:
            files.append(a)
    if len(files) != 1:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2

    def check_path(path):
        local = path
        for pod, dir_ in maps:
            if path.startswith(pod):
                local = os.path.join(dir_, path[len(pod):])
        if not os.path.exists(local):   # config.go: os.Stat(rule.Path), os.IsNotExist
            return "npd refuses it: rule path does not exist"
        if not os.path.isfile(local) or not os.access(local, os.X_OK):
            return "npd accepts it but cannot start the plugin: not an executable file"
        return None

    with open(files[0], encoding="utf-8") as f:
        cfg, errors = load_config(f.read())
    if cfg is not None:
        errors += validate(cfg, check_path if path_check else None)
    for e in errors:
        print("%s: %s" % (files[0], e))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

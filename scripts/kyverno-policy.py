#!/usr/bin/env python3
"""Checks a Kyverno ClusterPolicy without a cluster (Debian packages no Kyverno CLI).

  kyverno-policy.py validate POLICY SCHEMA
      POLICY (YAML) against the ClusterPolicy CRD's openAPIV3Schema (JSON), as the API
      server would on `kubectl apply`; prints "valid" or each error, exits 1 on errors.
  kyverno-policy.py admit POLICY POD --url URL --cacert FILE
      Evaluates the policy's validate.foreach rules on POD (JSON) as Kyverno's admission
      webhook does for a CREATE: each element of `list`, each context `apiCall` (POST of its
      `data` with {{ }} variables substituted, to URL instead of the in-cluster service.url,
      trusting FILE), its `jmesPath`, then the `deny` conditions. Prints a JSON report
      {"allowed": bool, "elements": [{"element", "request", "context", "denied"}]}.

Only what Plinth's example uses is implemented: apiCall with service (POST), jmesPath,
deny conditions any/all with Equals, NotEquals, AnyIn, AnyNotIn; anything else is an error.
"""
import json
import re
import ssl
import sys
import urllib.request

import jmespath
import jsonschema
import yaml

VARIABLE = re.compile(r"\{\{\s*(.+?)\s*\}\}")


def substitute(value, context):
    """Kyverno's variables: a string that is one {{ }} becomes the value itself; {{ }} inside
    other text becomes text."""
    if isinstance(value, str):
        whole = VARIABLE.fullmatch(value.strip())
        if whole:
            return jmespath.search(whole.group(1), context)
        return VARIABLE.sub(lambda m: str(jmespath.search(m.group(1), context)), value)
    if isinstance(value, list):
        return [substitute(v, context) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, context) for k, v in value.items()}
    return value


def condition_holds(condition, context):
    key = substitute(condition["key"], context)
    value = substitute(condition.get("value"), context)
    operator = condition["operator"]
    if operator == "Equals":
        return key == value
    if operator == "NotEquals":
        return key != value
    if operator in ("AnyIn", "AnyNotIn"):
        keys = key if isinstance(key, list) else [key]
        inside = any(k in value for k in keys)
        return inside if operator == "AnyIn" else any(k not in value for k in keys)
    raise SystemExit(f"operator {operator} is not implemented here")


def denied(deny, context):
    conditions = deny.get("conditions", {})
    if isinstance(conditions, list):
        conditions = {"all": conditions}
    results = []
    if "any" in conditions:
        results.append(any(condition_holds(c, context) for c in conditions["any"]))
    if "all" in conditions:
        results.append(all(condition_holds(c, context) for c in conditions["all"]))
    return bool(results) and all(results)


def api_call(call, context, url, cacert):
    if call.get("method", "GET") != "POST" or "service" not in call:
        raise SystemExit("only POST apiCalls to a service are implemented here")
    body = {item["key"]: substitute(item["value"], context) for item in call.get("data", [])}
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    for header in call["service"].get("headers", []):
        request.add_header(header["key"], substitute(header["value"], context))
    tls = ssl.create_default_context(cafile=cacert)
    with urllib.request.urlopen(request, context=tls, timeout=30) as response:
        answer = json.load(response)
    result = jmespath.search(call["jmesPath"], answer) if call.get("jmesPath") else answer
    return body, result


def admit(policy, pod, url, cacert):
    report = {"allowed": True, "elements": []}
    request = {"operation": "CREATE", "object": pod}
    for rule in policy["spec"]["rules"]:
        kinds = [k for m in rule["match"].get("any", []) for k in m["resources"].get("kinds", [])]
        if pod.get("kind") not in kinds:
            continue
        for foreach in rule.get("validate", {}).get("foreach", []):
            for element in jmespath.search(foreach["list"], {"request": request}) or []:
                context = {"request": request, "element": element}
                sent = None
                for entry in foreach.get("context", []):
                    sent, context[entry["name"]] = api_call(entry["apiCall"], context, url, cacert)
                no = denied(foreach["deny"], context)
                report["elements"].append(
                    {"element": element, "request": sent, "context": {k: v for k, v in context.items() if k not in ("request", "element")}, "denied": no}
                )
                if no:
                    report["allowed"] = False
    return report


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "validate":
        policy = yaml.safe_load(open(sys.argv[2]))
        schema = json.load(open(sys.argv[3]))
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(policy), key=lambda e: list(e.path))
        for error in errors:
            print(f"{'/'.join(str(p) for p in error.path)}: {error.message}")
        if errors:
            sys.exit(1)
        if policy.get("apiVersion") != "kyverno.io/v1" or policy.get("kind") != "ClusterPolicy":
            print("not a kyverno.io/v1 ClusterPolicy")
            sys.exit(1)
        print("valid")
    elif len(sys.argv) >= 4 and sys.argv[1] == "admit":
        args = sys.argv[4:]
        options = dict(zip(args[::2], args[1::2]))
        policy = yaml.safe_load(open(sys.argv[2]))
        pod = json.load(open(sys.argv[3]))
        print(json.dumps(admit(policy, pod, options["--url"], options["--cacert"]), sort_keys=True))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

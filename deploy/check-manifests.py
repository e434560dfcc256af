#!/usr/bin/env python3
"""Check deploy/'s Kubernetes manifests and compose file without a cluster.

kubectl is not available everywhere we build, so this parses every YAML
file (PyYAML) and checks what a typo would break silently: selectors that
match no pod, Service target ports the container does not have, probe
ports, the seed list against the StatefulSet's pod names, the security
settings, and every MESHCACHE_* variable and --flag against the settings
in server/config/settings.go. Exits 1 and lists the problems if any.

    python3 deploy/check-manifests.py
"""
import os
import re
import sys

import yaml

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
problems = []


def problem(msg):
    problems.append(msg)


def settings():
    """Setting names from server/config/settings.go's params table."""
    with open(os.path.join(root, "server", "config", "settings.go")) as f:
        src = f.read()
    names = set(re.findall(r'\{name: "([a-z0-9-]+)"', src))
    if not names:
        problem("server/config/settings.go: found no settings")
    return names


def check_args(where, args, known):
    for a in args:
        if a.startswith("--"):
            name = a[2:].split("=", 1)[0]
            if name not in known:
                problem(f"{where}: unknown flag {a}")


def check_env(where, env, known):
    for e in env:
        name = e["name"]
        if name.startswith("MESHCACHE_"):
            setting = name[len("MESHCACHE_"):].lower().replace("_", "-")
            if setting not in known:
                problem(f"{where}: {name} names no setting")


def load(path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    return docs


def labels_match(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_kubernetes(known):
    kdir = os.path.join(here, "kubernetes")
    kust = load(os.path.join(kdir, "kustomization.yaml"))[0]
    objs = []
    for res in kust["resources"]:
        path = os.path.join(kdir, res)
        if not os.path.exists(path):
            problem(f"kustomization: missing {res}")
            continue
        for d in load(path):
            for field in ("apiVersion", "kind"):
                if field not in d:
                    problem(f"{res}: document without {field}")
            if not d.get("metadata", {}).get("name"):
                problem(f"{res}: {d.get('kind')} without metadata.name")
            objs.append((res, d))
    listed = set(kust["resources"])
    for name in os.listdir(kdir):
        if name.endswith(".yaml") and name != "kustomization.yaml" and name not in listed:
            problem(f"kustomization: {name} is not listed")

    by_kind = {}
    for res, d in objs:
        by_kind.setdefault(d["kind"], []).append(d)
    stss = by_kind.get("StatefulSet", [])
    if len(stss) != 1:
        problem(f"want one StatefulSet, found {len(stss)}")
        return
    sts = stss[0]
    spec = sts["spec"]
    tmpl = spec["template"]
    pod_labels = tmpl["metadata"]["labels"]
    if not labels_match(spec["selector"]["matchLabels"], pod_labels):
        problem("StatefulSet selector does not match its pod template")
    if spec.get("podManagementPolicy") != "Parallel":
        problem("StatefulSet must start pods in parallel (readiness needs the cluster formed)")
    if tmpl["spec"].get("terminationGracePeriodSeconds", 30) < 30:
        problem("terminationGracePeriodSeconds too short for a graceful leave")
    psc = tmpl["spec"].get("securityContext", {})
    if psc.get("runAsNonRoot") is not True:
        problem("pod securityContext.runAsNonRoot must be true")
    (c,) = tmpl["spec"]["containers"]
    csc = c.get("securityContext", {})
    if csc.get("readOnlyRootFilesystem") is not True:
        problem("container securityContext.readOnlyRootFilesystem must be true")
    if csc.get("allowPrivilegeEscalation") is not False:
        problem("container securityContext.allowPrivilegeEscalation must be false")
    if "limits" not in c.get("resources", {}) or "requests" not in c.get("resources", {}):
        problem("container needs resource requests and limits")
    ports = {(p["name"], p.get("protocol", "TCP")): p["containerPort"] for p in c["ports"]}
    port_names = {n for n, _ in ports}
    for probe in ("readinessProbe", "livenessProbe"):
        p = c.get(probe)
        if not p:
            problem(f"container has no {probe}")
            continue
        if p["httpGet"]["port"] not in port_names:
            problem(f"{probe} port {p['httpGet']['port']} is not a container port")
    want_paths = {"readinessProbe": "/readyz", "livenessProbe": "/healthz"}
    for probe, path in want_paths.items():
        if c.get(probe, {}).get("httpGet", {}).get("path") != path:
            problem(f"{probe} should ask {path}")
    check_args("StatefulSet args", c.get("args", []), known)
    check_env("StatefulSet env", c.get("env", []), known)
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    admin = env.get("MESHCACHE_ADMIN_ADDR", "")
    if not admin.endswith(":%d" % ports.get(("admin", "TCP"), -1)):
        problem(f"MESHCACHE_ADMIN_ADDR {admin!r} does not match the admin container port")

    services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
    headless = services.get(spec["serviceName"])
    if headless is None:
        problem(f"serviceName {spec['serviceName']} names no Service")
    elif headless["spec"].get("clusterIP") != "None" or not headless["spec"].get("publishNotReadyAddresses"):
        problem("the governing Service must be headless and publish not-ready addresses")
    for name, s in services.items():
        if not labels_match(s["spec"]["selector"], pod_labels):
            problem(f"Service {name} selects no meshcache pod")
        for p in s["spec"]["ports"]:
            key = (p["targetPort"], p.get("protocol", "TCP"))
            if key not in ports:
                problem(f"Service {name} targets {key}, not a container port")

    # --join names every pod through the headless Service, at the cluster port.
    args = c.get("args", [])
    if "--join" not in args:
        problem("StatefulSet does not pass --join")
    else:
        seeds = args[args.index("--join") + 1].split(",")
        want = ["%s-%d.%s:%d" % (sts["metadata"]["name"], i, spec["serviceName"], ports[("cluster", "TCP")])
                for i in range(spec["replicas"])]
        if sorted(seeds) != sorted(want):
            problem(f"--join {seeds} should be {want}")
    if ports.get(("cluster", "TCP")) != ports.get(("gossip", "UDP")):
        problem("gossip (UDP) and cluster (TCP) must share the cluster port")

    pdbs = by_kind.get("PodDisruptionBudget", [])
    if len(pdbs) != 1:
        problem(f"want one PodDisruptionBudget, found {len(pdbs)}")
    else:
        pdb = pdbs[0]["spec"]
        if not labels_match(pdb["selector"]["matchLabels"], pod_labels):
            problem("PodDisruptionBudget selects no meshcache pod")
        if pdb.get("maxUnavailable") != 1:
            problem("PodDisruptionBudget maxUnavailable should be 1")


def check_compose(known):
    (doc,) = load(os.path.join(here, "docker-compose.yml"))
    services = doc["services"]
    if len(services) != 3:
        problem(f"compose: want 3 nodes, found {len(services)}")
    for name, svc in services.items():
        where = f"compose {name}"
        if svc.get("image") != "meshcache:local":
            problem(f"{where}: image should be meshcache:local")
        cmd = svc.get("command", [])
        check_args(where, cmd, known)
        check_env(where, [{"name": k} for k in svc.get("environment", {})], known)
        if "--join" not in cmd:
            problem(f"{where}: no --join")
            continue
        seeds = cmd[cmd.index("--join") + 1].split(",")
        for s in seeds:
            host, _, port = s.rpartition(":")
            if host not in services or port != "16379":
                problem(f"{where}: seed {s} is not another service's cluster port")
        if not svc.get("healthcheck", {}).get("test"):
            problem(f"{where}: no healthcheck")


def main():
    known = settings()
    check_kubernetes(known)
    check_compose(known)
    for p in problems:
        print("deploy:", p, file=sys.stderr)
    if problems:
        return 1
    print("deploy: manifests ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

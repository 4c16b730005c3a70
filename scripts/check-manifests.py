"""Checks rendered Kubernetes manifests against Lanyard's hardening list.

Every workload (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod, and an Argo Rollout with its own
template; a Rollout with a workloadRef is checked through the Deployment it references) must:

  non-root        run as a non-root user (runAsNonRoot, and no runAsUser 0)
  no-escalation   set allowPrivilegeEscalation: false and not be privileged, in every container
  capabilities    drop ALL capabilities and add none
  seccomp         use the RuntimeDefault (or a Localhost) seccomp profile
  read-only-root  mount its root filesystem read-only
  resources       request and limit CPU and memory in every container
  probes          have liveness, readiness and startup probes in every (non-init) container of a long-running
                  workload (not a Job or CronJob, which run to completion)
  digest          pull every image by digest (name@sha256:<64 hex>)
  host            use no host network, PID, IPC or hostPath volume
  network-policy  be selected by NetworkPolicies that restrict both its ingress and its egress
  termination     (long-running workloads) let Lanyard stop gracefully: its mounted configuration sets
                  quarkus.shutdown.timeout, and the preStop sleep + lanyard.shutdown.drain-delay +
                  quarkus.shutdown.timeout + a margin for the audit commit and final checkpoint fit in
                  terminationGracePeriodSeconds
  database-tls    (every workload whose mounted configuration names Lanyard's database) reach it with verified
                  TLS: quarkus.datasource.reactive.postgresql.ssl-mode=verify-full and the CA file
                  (quarkus.datasource.reactive.trust-certificate-pem.certs) inside a volume every container mounts
  checkpoint-sink (long-running workloads of a production overlay, --production) publish audit checkpoints to a durable
                  store the database's administrators cannot rewrite, shared by every replica: the mounted
                  configuration names an S3 Object Lock bucket (lanyard.audit.checkpoint-s3.bucket). A file
                  (lanyard.audit.checkpoint-file) does not count: on a read-only root it cannot be written, in an
                  emptyDir it dies with the pod, and each replica would hold a fragment of the record

Usage: python3 check-manifests.py [--production] rendered.yaml...
       (exits 1 and lists each violation as "rule: where: why")
"""
import re
import sys

import yaml

DIGEST = re.compile(r"^[^@\s]+@sha256:[0-9a-f]{64}$")
RUN_TO_COMPLETION = {"Job", "CronJob"}
# After in-flight requests: the audit queue's commit and the final signed checkpoint (one database round trip each).
SHUTDOWN_MARGIN_SECONDS = 10
# Kubernetes' default when a pod sets none.
DEFAULT_GRACE_SECONDS = 30
# The keys that point a workload at Lanyard's own PostgreSQL, and the ones TLS to it is set with (database/PostgresTls).
DATABASE_URL_KEYS = ("quarkus.datasource.reactive.url", "lanyard.owner.jdbc-url")
TLS_MODE_KEY = "quarkus.datasource.reactive.postgresql.ssl-mode"
TLS_CA_KEY = "quarkus.datasource.reactive.trust-certificate-pem.certs"
DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(ms|s|m|h)?|PT(\d+(?:\.\d+)?)S)$", re.IGNORECASE)
POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Rollout": ("spec", "template"),
}


def dig(obj, *path):
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def seconds(text):
    """A Quarkus duration (20s, 500ms, 2m, PT20S, or a bare number of seconds) in seconds; None if unreadable."""
    match = DURATION.match(text.strip())
    if not match:
        return None
    if match.group(3):
        return float(match.group(3))
    unit = (match.group(2) or "s").lower()
    return float(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


def properties(text):
    """key=value lines of a .properties file (no continuation lines: Lanyard's files have none)."""
    result = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")) and "=" in line:
            key, value = line.split("=", 1)
            result[key.strip()] = value.strip()
    return result


def selector_matches(selector, labels):
    """A LabelSelector (matchLabels and matchExpressions) against a label set; {} matches everything."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


class Checker:
    def __init__(self, documents, production=False):
        self.documents = [d for d in documents if isinstance(d, dict) and d.get("kind")]
        self.production = production
        self.violations = []

    def violation(self, rule, where, why):
        self.violations.append(f"{rule}: {where}: {why}")

    def workloads(self):
        """(where, kind, namespace, pod template) for every workload, with Rollout workloadRefs resolved."""
        by_key = {(d["kind"], d.get("metadata", {}).get("namespace"), d["metadata"]["name"]): d for d in self.documents}
        for doc in self.documents:
            kind, meta = doc["kind"], doc.get("metadata", {})
            where = f"{kind}/{meta.get('namespace', '')}/{meta.get('name')}"
            if kind == "Pod":
                yield where, kind, meta.get("namespace"), {"metadata": meta, "spec": doc.get("spec", {})}
            elif kind == "Rollout" and dig(doc, "spec", "workloadRef"):
                ref = doc["spec"]["workloadRef"]
                if (ref.get("kind"), meta.get("namespace"), ref.get("name")) not in by_key:
                    self.violation("workload", where, f"workloadRef names {ref.get('kind')}/{ref.get('name')}, which is not rendered")
                # The referenced Deployment is checked as a workload of its own.
            elif kind in POD_TEMPLATE_PATHS:
                template = dig(doc, *POD_TEMPLATE_PATHS[kind])
                if template is None:
                    self.violation("workload", where, "no pod template")
                    continue
                yield where, kind, meta.get("namespace"), template

    def check(self):
        policies = [d for d in self.documents if d["kind"] == "NetworkPolicy"]
        found = False
        for where, kind, namespace, template in self.workloads():
            found = True
            self.check_pod(where, template.get("spec") or {}, probes=kind not in RUN_TO_COMPLETION)
            if kind not in RUN_TO_COMPLETION:
                self.check_termination(where, namespace, template.get("spec") or {})
                if self.production:
                    self.check_checkpoint_sink(where, namespace, template.get("spec") or {})
            self.check_database_tls(where, namespace, template.get("spec") or {})
            self.check_network_policy(where, namespace, (template.get("metadata") or {}).get("labels") or {}, policies)
        if not found:
            self.violation("workload", "(input)", "no workload found to check")
        return self.violations

    def check_pod(self, where, spec, probes):
        pod_sc = spec.get("securityContext") or {}
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(flag):
                self.violation("host", where, f"{flag} is set")
        for volume in spec.get("volumes") or []:
            if "hostPath" in volume:
                self.violation("host", where, f"volume {volume.get('name')} is a hostPath")
        containers = [(c, False) for c in spec.get("containers") or []] + [(c, True) for c in spec.get("initContainers") or []]
        if not containers:
            self.violation("workload", where, "no containers")
        for container, init in containers:
            self.check_container(f"{where}/{container.get('name')}", container, pod_sc, probes and not init)

    def check_container(self, where, container, pod_sc, probes):
        sc = container.get("securityContext") or {}

        def effective(key):
            return sc[key] if key in sc else pod_sc.get(key)

        if effective("runAsNonRoot") is not True:
            self.violation("non-root", where, "runAsNonRoot is not true")
        if effective("runAsUser") == 0:
            self.violation("non-root", where, "runAsUser is 0")
        if sc.get("allowPrivilegeEscalation") is not False:
            self.violation("no-escalation", where, "allowPrivilegeEscalation is not false")
        if sc.get("privileged"):
            self.violation("no-escalation", where, "privileged")
        capabilities = sc.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            self.violation("capabilities", where, "capabilities do not drop ALL")
        if capabilities.get("add"):
            self.violation("capabilities", where, f"adds capabilities {capabilities['add']}")
        seccomp = (effective("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            self.violation("seccomp", where, f"seccomp profile is {seccomp or 'unset'}")
        if sc.get("readOnlyRootFilesystem") is not True:
            self.violation("read-only-root", where, "readOnlyRootFilesystem is not true")
        resources = container.get("resources") or {}
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in (resources.get(kind) or {}):
                    self.violation("resources", where, f"no {resource} {kind[:-1]}")
        if probes:
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if not container.get(probe):
                    self.violation("probes", where, f"no {probe}")
        image = container.get("image") or ""
        if not DIGEST.match(image):
            self.violation("digest", where, f"image {image!r} is not pinned by digest")

    def mounted_configuration(self, namespace, spec):
        """The Quarkus properties of every ConfigMap the pod mounts, later files winning as quarkus.config.locations does."""
        merged = {}
        for volume in spec.get("volumes") or []:
            name = dig(volume, "configMap", "name")
            config_map = next((d for d in self.documents if d["kind"] == "ConfigMap" and name
                               and d["metadata"].get("name") == name and d["metadata"].get("namespace") == namespace), None)
            data = (config_map or {}).get("data") or {}
            for key in sorted(data, key=lambda k: k != "application.properties"):
                if key.endswith(".properties"):
                    merged.update(properties(data[key]))
        return merged

    def check_termination(self, where, namespace, spec):
        config = self.mounted_configuration(namespace, spec)
        timeout = seconds(config.get("quarkus.shutdown.timeout", ""))
        if timeout is None:
            self.violation("termination", where, "its configuration sets no readable quarkus.shutdown.timeout: SIGTERM would cut in-flight requests")
            return
        drain = seconds(config.get("lanyard.shutdown.drain-delay", "0s"))
        if drain is None:
            self.violation("termination", where, "lanyard.shutdown.drain-delay is not a duration")
            return
        grace = spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
        for container in spec.get("containers") or []:
            pre_stop = dig(container, "lifecycle", "preStop", "sleep", "seconds") or 0
            needed = pre_stop + drain + timeout + SHUTDOWN_MARGIN_SECONDS
            if needed > grace:
                self.violation("termination", f"{where}/{container.get('name')}",
                               f"preStop {pre_stop:g}s + drain-delay {drain:g}s + shutdown timeout {timeout:g}s + "
                               f"{SHUTDOWN_MARGIN_SECONDS}s margin exceed terminationGracePeriodSeconds {grace}")

    def check_database_tls(self, where, namespace, spec):
        config = self.mounted_configuration(namespace, spec)
        if not any(config.get(key) for key in DATABASE_URL_KEYS):
            return
        mode = config.get(TLS_MODE_KEY, "disable")
        if mode != "verify-full":
            self.violation("database-tls", where, f"{TLS_MODE_KEY} is {mode}, not verify-full")
        ca = config.get(TLS_CA_KEY, "")
        if not ca:
            self.violation("database-tls", where, f"{TLS_CA_KEY} names no CA file")
            return
        for container in spec.get("containers") or []:
            mounts = [m.get("mountPath", "").rstrip("/") + "/" for m in container.get("volumeMounts") or []]
            if not any(ca.startswith(mount) for mount in mounts):
                self.violation("database-tls", f"{where}/{container.get('name')}", f"the database CA {ca} is in no volume it mounts")
    def check_checkpoint_sink(self, where, namespace, spec):
        config = self.mounted_configuration(namespace, spec)
        if not config.get("lanyard.audit.checkpoint-s3.bucket", "").strip():
            found = " (only a file, lanyard.audit.checkpoint-file, which no replica can share)" \
                if config.get("lanyard.audit.checkpoint-file", "").strip() else ""
            self.violation("checkpoint-sink", where, "its configuration names no S3 Object Lock bucket for the audit"
                           " checkpoints (lanyard.audit.checkpoint-s3.bucket)" + found + ": a database administrator could"
                           " rewrite the log and its signatures together undetected")

    def check_network_policy(self, where, namespace, labels, policies):
        covered = set()
        for policy in policies:
            if policy.get("metadata", {}).get("namespace") != namespace:
                continue
            spec = policy.get("spec") or {}
            if not selector_matches(spec.get("podSelector"), labels):
                continue
            types = spec.get("policyTypes") or (["Ingress", "Egress"] if "egress" in spec else ["Ingress"])
            covered.update(types)
        for direction in ("Ingress", "Egress"):
            if direction not in covered:
                self.violation("network-policy", where, f"no NetworkPolicy restricts its {direction.lower()}")


def main(args):
    production = bool(args) and args[0] == "--production"
    paths = args[1:] if production else args
    documents = []
    for path in paths:
        with open(path) as f:
            documents.extend(yaml.safe_load_all(f))
    violations = Checker(documents, production).check()
    for violation in violations:
        print(violation)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Proves scripts/check-manifests.py fails on manifests that break its rules.

Takes a rendered production overlay that passes, breaks it one rule at a time (the mutations below), and requires the
checker to report exactly that rule; then requires the committed broken fixture to fail every rule.

    python3 test_check_manifests.py <rendered-production-overlay.yaml> <deploy/k8s/tests/insecure-workload.yaml>
"""
import copy
import importlib.util
import os
import sys
import unittest

import yaml

_spec = importlib.util.spec_from_file_location(
    "check_manifests", os.path.join(os.path.dirname(os.path.abspath(__file__)), "check-manifests.py"))
check_manifests = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_manifests)

RULES = {"non-root", "no-escalation", "capabilities", "seccomp", "read-only-root", "resources", "probes",
         "digest", "host", "network-policy", "termination", "database-tls", "checkpoint-sink"}
RENDERED, FIXTURE = sys.argv[1], sys.argv[2]


def rules_of(documents, production=True):
    return {v.split(":", 1)[0] for v in check_manifests.Checker(documents, production).check()}


def pod_spec(documents):
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    return deployment["spec"]["template"]["spec"]


def container(documents):
    return pod_spec(documents)["containers"][0]


def job_container(documents):
    job = next(d for d in documents if d["kind"] == "Job")
    return job["spec"]["template"]["spec"]["containers"][0]


def cronjob_container(documents):
    cronjob = next(d for d in documents if d["kind"] == "CronJob")
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]


def unset_run_as_non_root(documents):
    pod_spec(documents)["securityContext"].pop("runAsNonRoot")
    container(documents)["securityContext"].pop("runAsNonRoot")


def drop_network_policies(documents):
    documents[:] = [d for d in documents if d["kind"] != "NetworkPolicy"]


def egress_only_policies(documents):
    for d in documents:
        if d["kind"] == "NetworkPolicy":
            d["spec"]["policyTypes"] = ["Egress"]


def lanyard_config(documents):
    return next(d for d in documents if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("lanyard-config"))


def drop_property(documents, key):
    """Removes key from every properties file of Lanyard's configuration (the overlay sets it in environment.properties)."""
    data = lanyard_config(documents)["data"]
    for name in [n for n in data if n.endswith(".properties")]:
        data[name] = "\n".join(line for line in data[name].splitlines() if not line.startswith(key + "=")) + "\n"


def file_sink_only(documents):
    drop_property(documents, "lanyard.audit.checkpoint-s3.bucket")
    set_property(documents, "lanyard.audit.checkpoint-file", "/tmp/audit-checkpoints.jsonl")


def set_property(documents, key, value):
    """Sets key in the shared application.properties, replacing the line if it is there."""
    data = lanyard_config(documents)["data"]
    lines = [line for line in data["application.properties"].splitlines() if not line.startswith(key + "=")]
    if value is not None:
        lines.append(f"{key}={value}")
    data["application.properties"] = "\n".join(lines) + "\n"


def set_environment_property(documents, key, value):
    """Sets key in the overlay's environment.properties, which wins over application.properties."""
    data = lanyard_config(documents)["data"]
    lines = [line for line in data["environment.properties"].splitlines() if not line.startswith(key + "=")]
    if value is not None:
        lines.append(f"{key}={value}")
    data["environment.properties"] = "\n".join(lines) + "\n"


def drop_database_ca_mount(containers):
    for c in containers:
        c["volumeMounts"] = [m for m in c["volumeMounts"] if m["name"] != "database-ca"]


MUTATIONS = {
    "non-root": [
        unset_run_as_non_root,
        lambda docs: pod_spec(docs)["securityContext"].update(runAsUser=0),
        lambda docs: container(docs)["securityContext"].update(runAsNonRoot=False),
    ],
    "no-escalation": [
        lambda docs: container(docs)["securityContext"].update(allowPrivilegeEscalation=True),
        lambda docs: container(docs)["securityContext"].update(privileged=True),
    ],
    "capabilities": [
        lambda docs: container(docs)["securityContext"]["capabilities"].update(drop=["NET_RAW"]),
        lambda docs: container(docs)["securityContext"]["capabilities"].update(add=["NET_BIND_SERVICE"]),
    ],
    "seccomp": [
        lambda docs: container(docs)["securityContext"].update(seccompProfile={"type": "Unconfined"}),
    ],
    "read-only-root": [
        lambda docs: container(docs)["securityContext"].pop("readOnlyRootFilesystem"),
        # The migration Job is held to the list too (all but probes).
        lambda docs: job_container(docs)["securityContext"].pop("readOnlyRootFilesystem"),
        # So is the retention CronJob.
        lambda docs: cronjob_container(docs)["securityContext"].pop("readOnlyRootFilesystem"),
    ],
    "resources": [
        lambda docs: container(docs)["resources"]["limits"].pop("memory"),
        lambda docs: container(docs)["resources"].pop("requests"),
    ],
    "probes": [
        lambda docs: container(docs).pop("readinessProbe"),
        lambda docs: container(docs).pop("livenessProbe"),
        lambda docs: container(docs).pop("startupProbe"),
    ],
    "digest": [
        lambda docs: container(docs).update(image="ghcr.io/example-org/lanyard:1.0.0"),
        lambda docs: job_container(docs).update(image="ghcr.io/example-org/lanyard:latest"),
        lambda docs: container(docs).update(image="ghcr.io/example-org/lanyard@sha256:abc"),
    ],
    "host": [
        lambda docs: pod_spec(docs).update(hostNetwork=True),
        lambda docs: pod_spec(docs)["volumes"].append({"name": "docker", "hostPath": {"path": "/var/run"}}),
    ],
    "network-policy": [drop_network_policies, egress_only_policies],
    "termination": [
        lambda docs: pod_spec(docs).update(terminationGracePeriodSeconds=25),
        lambda docs: pod_spec(docs).pop("terminationGracePeriodSeconds"),
        lambda docs: set_property(docs, "quarkus.shutdown.timeout", None),
        lambda docs: set_property(docs, "lanyard.shutdown.drain-delay", "15s"),
        lambda docs: container(docs)["lifecycle"]["preStop"]["sleep"].update(seconds=20),
    ],
    "database-tls": [
        # The production overlay's old setting: TLS without checking the server.
        lambda docs: set_environment_property(docs, "quarkus.datasource.reactive.postgresql.ssl-mode", "require"),
        lambda docs: set_environment_property(docs, "quarkus.datasource.reactive.postgresql.ssl-mode", None),
        lambda docs: set_environment_property(docs, "quarkus.datasource.reactive.trust-certificate-pem.certs", None),
        lambda docs: drop_database_ca_mount([container(docs)]),
        # The migration Job connects as the schema owner: held to the same TLS.
        lambda docs: drop_database_ca_mount([job_container(docs)]),
        # So does the retention CronJob.
        lambda docs: drop_database_ca_mount([cronjob_container(docs)]),
    ],
    "checkpoint-sink": [
        lambda docs: drop_property(docs, "lanyard.audit.checkpoint-s3.bucket"),
        lambda docs: (drop_property(docs, "lanyard.audit.checkpoint-s3.bucket"),
                      set_property(docs, "lanyard.audit.checkpoint-s3.bucket", "")),
        file_sink_only,
    ],
}


class CheckManifestsTest(unittest.TestCase):
    def setUp(self):
        with open(RENDERED) as f:
            self.rendered = [d for d in yaml.safe_load_all(f) if d]

    def test_the_rendered_overlay_passes(self):
        self.assertEqual([], check_manifests.Checker(copy.deepcopy(self.rendered), production=True).check())

    def test_only_a_production_overlay_must_publish_checkpoints_outside_the_database(self):
        documents = copy.deepcopy(self.rendered)
        drop_property(documents, "lanyard.audit.checkpoint-s3.bucket")
        self.assertEqual(set(), rules_of(documents, production=False))
        self.assertEqual({"checkpoint-sink"}, rules_of(documents, production=True))

    def test_every_rule_has_a_mutation(self):
        self.assertEqual(RULES, set(MUTATIONS))

    def test_each_mutation_fails_exactly_its_rule(self):
        for rule, mutations in MUTATIONS.items():
            for index, mutate in enumerate(mutations):
                with self.subTest(rule=rule, mutation=index):
                    documents = copy.deepcopy(self.rendered)
                    mutate(documents)
                    self.assertEqual({rule}, rules_of(documents))

    def test_a_job_needs_no_probes(self):
        documents = copy.deepcopy(self.rendered)
        self.assertFalse(any(job_container(documents).get(p) for p in ("livenessProbe", "readinessProbe", "startupProbe")))
        self.assertEqual(set(), rules_of(documents))

    def test_the_insecure_fixture_fails_every_rule(self):
        with open(FIXTURE) as f:
            self.assertEqual(RULES, rules_of([d for d in yaml.safe_load_all(f) if d]))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])

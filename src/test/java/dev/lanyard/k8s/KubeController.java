package dev.lanyard.k8s;

/** The kube-controller-manager controllers a test may ask for; each runs only when asked for. */
public enum KubeController {
    /** Deletes dependents whose owners are gone, honours the orphan and foregroundDeletion finalizers. */
    GARBAGE_COLLECTOR("garbage-collector-controller"),
    /** Empties and removes namespaces being deleted. */
    NAMESPACE("namespace-controller"),
    /** Deployments to ReplicaSets (a pod-template change makes a new ReplicaSet). */
    DEPLOYMENT("deployment-controller"),
    /** ReplicaSets to Pods (which never run: there is no kubelet). */
    REPLICA_SET("replicaset-controller"),
    /** StatefulSets to Pods and controller revisions. */
    STATEFUL_SET("statefulset-controller"),
    /** DaemonSets to controller revisions (no nodes, so no Pods). */
    DAEMON_SET("daemonset-controller"),
    /** Creates each namespace's "default" ServiceAccount. */
    SERVICE_ACCOUNT("serviceaccount-controller");

    private final String flagName;

    KubeController(String flagName) {
        this.flagName = flagName;
    }

    /** The name kube-controller-manager's --controllers flag takes. */
    public String flagName() {
        return flagName;
    }
}

namespace Orleans.Flyte.Kubernetes;

/// <summary>How the NVIDIA device plugin exposes MIG slices on the cluster's nodes.</summary>
public enum MigStrategy
{
    /// <summary>Each MIG profile is its own extended resource, e.g. <c>nvidia.com/mig-3g.20gb</c>.</summary>
    Mixed,

    /// <summary>Every GPU of a node is split the same way and each slice is advertised as <c>nvidia.com/gpu</c>.</summary>
    Single,
}

/// <summary>Bound from <c>Flyte:Kubernetes</c>. Used when <c>Flyte:Runner</c> or <c>Flyte:Gpus:Inventory</c> is <c>kubernetes</c>.</summary>
public sealed class KubernetesOptions
{
    public const string Section = "Flyte:Kubernetes";

    /// <summary>Namespace of a task's pods; <c>{project}</c> and <c>{domain}</c> are replaced. The namespaces must exist.</summary>
    public string NamespacePattern { get; set; } = "{project}-{domain}";

    /// <summary>How MIG slices are requested: <see cref="MigStrategy.Mixed"/> (the device plugin's default for mixed layouts)
    /// asks for <c>nvidia.com/mig-&lt;profile&gt;</c>, <see cref="MigStrategy.Single"/> for <c>nvidia.com/gpu</c>.</summary>
    public MigStrategy MigStrategy { get; set; } = MigStrategy.Mixed;

    /// <summary>How long a finished pod is kept (for <c>kubectl logs</c> and the logs endpoint) before it is deleted.</summary>
    public TimeSpan PodRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A pod still Pending after this long (unschedulable, image never pulled) fails its attempt with the reason.</summary>
    public TimeSpan PendingTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Use the pod's service account (<c>KUBERNETES_SERVICE_HOST</c>, token file). When false, a kubeconfig is read.</summary>
    public bool InCluster { get; set; }

    /// <summary>The kubeconfig file when not in cluster; default <c>$KUBECONFIG</c> or <c>~/.kube/config</c>.</summary>
    public string? KubeConfigPath { get; set; }

    /// <summary>The kubeconfig context; default its current context.</summary>
    public string? KubeConfigContext { get; set; }

    /// <summary>An API server URL used as is, without credentials (a local proxy such as <c>kubectl proxy</c>, or a
    /// test stand-in). Takes precedence over <see cref="InCluster"/> and the kubeconfig.</summary>
    public string? Host { get; set; }

    /// <summary>Secrets (in each task namespace) used to pull task images.</summary>
    public List<string> ImagePullSecrets { get; set; } = [];

    /// <summary>Service account of task pods; default the namespace's <c>default</c>. Its token is not mounted either way.</summary>
    public string? TaskServiceAccount { get; set; }

    /// <summary>Server-side timeout of one watch request; the watch is then resumed from the last resourceVersion.</summary>
    public int WatchTimeoutSeconds { get; set; } = 240;

    /// <summary>Wait before listing again after a failed list or watch.</summary>
    public TimeSpan WatchRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Grace period of pod deletion (abort, retention, pending timeout).</summary>
    public int DeleteGracePeriodSeconds { get; set; } = 30;

    /// <summary>The shared artifact volume as a PersistentVolumeClaim (in each task namespace), e.g. one bound to an NFS
    /// export. The silo mounts the same volume at <c>Flyte:Artifacts:Root</c>. Needed by tasks with file or directory
    /// inputs or outputs; takes precedence over <see cref="ArtifactNfsServer"/>.</summary>
    public string? ArtifactClaimName { get; set; }

    /// <summary>The shared artifact volume as an NFS export mounted straight into pods (with <see cref="ArtifactNfsPath"/>).</summary>
    public string? ArtifactNfsServer { get; set; }

    /// <summary>The exported path on <see cref="ArtifactNfsServer"/>.</summary>
    public string? ArtifactNfsPath { get; set; }

    /// <summary>Where a task pod sees the artifact store (read-only); a file input is <c>{ArtifactMountPath}/files/&lt;sha256&gt;</c>.</summary>
    public string ArtifactMountPath { get; set; } = "/flyte/artifacts";

    /// <summary>Where a task pod writes its file and directory outputs (<c>FLYTE_OUTPUT_DIR</c>): the volume's
    /// <c>attempts/&lt;pod&gt;</c> folder, which the kubelet creates, mounted read-write.</summary>
    public string ArtifactOutputPath { get; set; } = "/flyte/outputs";

    /// <summary>Upper bound of the log tail served for an attempt.</summary>
    public int MaxLogBytes { get; set; } = 1024 * 1024;
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Kubernetes;

/// <summary>
/// Turns one attempt into the pod that runs it. What a task sees inside the pod is the <see cref="TaskContract"/>, as with
/// the local runner: <c>FLYTE_INPUTS</c> is the path of a JSON file with its inputs (mounted from a pod annotation through
/// the downward API); <c>FLYTE_OUTPUTS</c> is the container's termination message file <c>/dev/termination-log</c> (so
/// outputs must stay small: Kubernetes keeps at most <see cref="MaxTerminationMessageBytes"/>); GPUs are made visible
/// by the device plugin (<see cref="GpuVisibility.DevicePlugin"/>).
/// </summary>
public static class PodBuilder
{
    public const string ContainerName = "task";
    public const string TerminationMessagePath = "/dev/termination-log";
    public const string InputsDirectory = "/etc/flyte";
    public const string InputsPath = InputsDirectory + "/inputs.json";
    public const string GpuResource = "nvidia.com/gpu";
    public const string MigResourcePrefix = "nvidia.com/mig-";

    /// <summary>The most of a termination message Kubernetes keeps.</summary>
    public const int MaxTerminationMessageBytes = 4096;

    /// <summary>Where a pod's outputs come from, as the task contract's error messages name it.</summary>
    public static readonly OutputsChannel Outputs =
        new("a termination message", $"wrote no outputs to {TerminationMessagePath}", MaxTerminationMessageBytes);

    public static V1Pod Build(AttemptLaunch launch, string podNamespace, string podName, KubernetesOptions options)
    {
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentNullException.ThrowIfNull(options);
        if (!TaskContract.TryParseInputs(launch.InputsJson, out var inputs, out var inputsError))
        {
            throw new ArgumentException(inputsError);
        }

        var gpu = !launch.Gpu.IsEmpty;

        var requests = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        var limits = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        if (!string.IsNullOrWhiteSpace(launch.Cpu))
        {
            requests["cpu"] = limits["cpu"] = new ResourceQuantity(launch.Cpu);
        }

        if (!string.IsNullOrWhiteSpace(launch.Memory))
        {
            requests["memory"] = limits["memory"] = new ResourceQuantity(launch.Memory);
        }

        if (gpu)
        {
            // Extended resources are limits only; Kubernetes sets the request to the same value.
            limits[GpuResourceName(launch.Gpu, options.MigStrategy)] = new ResourceQuantity(launch.Gpu.DeviceIds.Count.ToString(CultureInfo.InvariantCulture));
        }

        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = podName,
                NamespaceProperty = podNamespace,
                Labels = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [PodNames.ManagedByLabel] = PodNames.ManagedBy,
                    [PodNames.ProjectLabel] = PodNames.LabelValue(launch.Project),
                    [PodNames.DomainLabel] = PodNames.LabelValue(launch.Domain),
                    [PodNames.ExecutionLabel] = PodNames.LabelValue(launch.ExecutionId),
                    [PodNames.NodeLabel] = PodNames.LabelValue(launch.NodeId),
                    [PodNames.AttemptLabel] = launch.Attempt.ToString(CultureInfo.InvariantCulture),
                },
                Annotations = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [PodNames.AttemptIdAnnotation] = launch.AttemptId,
                    [PodNames.OutputsAnnotation] = JsonSerializer.Serialize(launch.OutputNames),
                    [PodNames.InputsAnnotation] = inputs.ToJsonString(),
                },
            },
            Spec = new V1PodSpec
            {
                RestartPolicy = "Never",
                ActiveDeadlineSeconds = launch.Timeout is { } timeout ? Math.Max(1L, (long)Math.Ceiling(timeout.TotalSeconds)) : null,
                ServiceAccountName = options.TaskServiceAccount,
                AutomountServiceAccountToken = false,
                EnableServiceLinks = false,
                ImagePullSecrets = options.ImagePullSecrets.Count == 0 ? null : options.ImagePullSecrets.Select(s => new V1LocalObjectReference { Name = s }).ToList(),
                Affinity = gpu && launch.Gpu.Node is { } node ? PinTo(node) : null,
                Tolerations = gpu ? [new V1Toleration { Key = GpuResource, OperatorProperty = "Exists", Effect = "NoSchedule" }] : null,
                Volumes =
                [
                    new V1Volume
                    {
                        Name = "flyte-inputs",
                        DownwardAPI = new V1DownwardAPIVolumeSource
                        {
                            Items = [new V1DownwardAPIVolumeFile { Path = "inputs.json", FieldRef = new V1ObjectFieldSelector { FieldPath = $"metadata.annotations['{PodNames.InputsAnnotation}']" } }],
                        },
                    },
                ],
                Containers =
                [
                    new V1Container
                    {
                        Name = ContainerName,
                        Image = launch.Image,
                        Command = launch.Command.Count == 0 ? null : launch.Command.ToList(),
                        Args = launch.Args.Count == 0 ? null : launch.Args.ToList(),
                        Env = Env(launch, inputs),
                        Resources = requests.Count == 0 && limits.Count == 0 ? null : new V1ResourceRequirements
                        {
                            Requests = requests.Count == 0 ? null : requests,
                            Limits = limits.Count == 0 ? null : limits,
                        },
                        VolumeMounts = [new V1VolumeMount { Name = "flyte-inputs", MountPath = InputsDirectory, ReadOnlyProperty = true }],
                        TerminationMessagePath = TerminationMessagePath,
                        TerminationMessagePolicy = "FallbackToLogsOnError",
                    },
                ],
            },
        };
    }

    /// <summary>The extended resource a grant is requested as (see <see cref="MigStrategy"/>).</summary>
    public static string GpuResourceName(GpuGrant grant, MigStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(grant);
        var name = string.IsNullOrWhiteSpace(grant.ResourceName) ? GpuResource : grant.ResourceName;
        return strategy == MigStrategy.Single && name.StartsWith(MigResourcePrefix, StringComparison.Ordinal) ? GpuResource : name;
    }

    /// <summary>Pinned by node name (<c>metadata.name</c>), which is what discovery reports and the allocator grants: the
    /// <c>kubernetes.io/hostname</c> label usually equals it but need not (hostname overrides, cloud node names).</summary>
    private static V1Affinity PinTo(string node) => new()
    {
        NodeAffinity = new V1NodeAffinity
        {
            RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
            {
                NodeSelectorTerms =
                [
                    new V1NodeSelectorTerm
                    {
                        MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = [node] }],
                    },
                ],
            },
        },
    };

    private static List<V1EnvVar> Env(AttemptLaunch launch, JsonObject inputs)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        TaskContract.WriteEnvironment(env, launch, inputs, InputsPath, TerminationMessagePath, GpuVisibility.DevicePlugin);
        return env.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new V1EnvVar { Name = e.Key, Value = e.Value }).ToList();
    }
}

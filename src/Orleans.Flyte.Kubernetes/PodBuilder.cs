using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Orleans.Flyte.Abstractions.Artifacts;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Domain.Specs;

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

        var artifacts = ArtifactVolume(launch, podName, options);
        if (artifacts is not null)
        {
            if (!ArtifactContract.TryPlaceInputs(inputs, launch.ArtifactInputs, r => $"{options.ArtifactMountPath}/{r.RelativePath}", null, out var placed, out var placeError))
            {
                throw new ArgumentException(placeError);
            }

            inputs = placed;
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

        var pod = new V1Pod
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
                    [PodNames.OutputsAnnotation] = JsonSerializer.Serialize(launch.OutputNames.Where(n => launch.ArtifactOutputs?.ContainsKey(n) != true)),
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
                    .. artifacts is null ? [] : (V1Volume[])[artifacts.Value.Volume],
                ],
                Containers =
                [
                    new V1Container
                    {
                        Name = ContainerName,
                        Image = launch.Image,
                        Command = launch.Command.Count == 0 ? null : launch.Command.ToList(),
                        Args = launch.Args.Count == 0 ? null : launch.Args.ToList(),
                        Env = Env(launch, inputs, artifacts is null ? null : options.ArtifactOutputPath),
                        Resources = requests.Count == 0 && limits.Count == 0 ? null : new V1ResourceRequirements
                        {
                            Requests = requests.Count == 0 ? null : requests,
                            Limits = limits.Count == 0 ? null : limits,
                        },
                        VolumeMounts =
                        [
                            new V1VolumeMount { Name = "flyte-inputs", MountPath = InputsDirectory, ReadOnlyProperty = true },
                            .. artifacts is null ? [] : artifacts.Value.Mounts,
                        ],
                        TerminationMessagePath = TerminationMessagePath,
                        TerminationMessagePolicy = "FallbackToLogsOnError",
                    },
                ],
            },
        };
        if (launch.ArtifactOutputs is { Count: > 0 } artifactOutputs)
        {
            // Like the output names: an adopted pod alone says which outputs to collect from the volume.
            pod.Metadata.Annotations[PodNames.ArtifactOutputsAnnotation] =
                JsonSerializer.Serialize(artifactOutputs.ToDictionary(o => o.Key, o => o.Value.ToString(), StringComparer.Ordinal));
        }

        return pod;
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

    public const string ArtifactVolumeName = "flyte-artifacts";

    /// <summary>The folder of the artifact volume an attempt's pod writes its file and directory outputs to.</summary>
    public static string OutputFolder(string podName) => $"attempts/{podName}";

    /// <summary>The shared artifact volume and its two mounts (the store read-only, the attempt's output folder
    /// read-write), for a task with file or directory inputs or outputs; null for any other task.</summary>
    private static (V1Volume Volume, V1VolumeMount[] Mounts)? ArtifactVolume(AttemptLaunch launch, string podName, KubernetesOptions options)
    {
        if (launch.ArtifactInputs is not { Count: > 0 } && launch.ArtifactOutputs is not { Count: > 0 })
        {
            return null;
        }

        var volume = new V1Volume { Name = ArtifactVolumeName };
        if (!string.IsNullOrWhiteSpace(options.ArtifactClaimName))
        {
            volume.PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = options.ArtifactClaimName };
        }
        else if (!string.IsNullOrWhiteSpace(options.ArtifactNfsServer) && !string.IsNullOrWhiteSpace(options.ArtifactNfsPath))
        {
            volume.Nfs = new V1NFSVolumeSource { Server = options.ArtifactNfsServer, Path = options.ArtifactNfsPath };
        }
        else
        {
            throw new ArgumentException(
                "the task has file or directory inputs or outputs, but no artifact volume is configured "
                + $"({KubernetesOptions.Section}:ArtifactClaimName, or ArtifactNfsServer and ArtifactNfsPath)");
        }

        return (volume,
        [
            new V1VolumeMount { Name = ArtifactVolumeName, MountPath = options.ArtifactMountPath, ReadOnlyProperty = true },
            new V1VolumeMount { Name = ArtifactVolumeName, MountPath = options.ArtifactOutputPath, SubPath = OutputFolder(podName) },
        ]);
    }

    private static List<V1EnvVar> Env(AttemptLaunch launch, JsonObject inputs, string? outputDirectory)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        TaskContract.WriteEnvironment(env, launch, inputs, InputsPath, TerminationMessagePath, GpuVisibility.DevicePlugin, outputDirectory);
        return env.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new V1EnvVar { Name = e.Key, Value = e.Value }).ToList();
    }
}

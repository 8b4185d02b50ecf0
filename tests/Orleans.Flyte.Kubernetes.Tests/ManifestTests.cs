using Orleans.Flyte.Testing;
using YamlDotNet.RepresentationModel;

namespace Orleans.Flyte.Kubernetes.Tests;

/// <summary>Every manifest under k8s/ parses, names a valid apiVersion for its kind, has the fields its kind needs, and
/// the RBAC grants exactly what the runner and node discovery call.</summary>
public sealed class ManifestTests
{
    private static readonly Dictionary<string, string> s_apiVersions = new(StringComparer.Ordinal)
    {
        ["Namespace"] = "v1",
        ["ServiceAccount"] = "v1",
        ["Secret"] = "v1",
        ["ConfigMap"] = "v1",
        ["Service"] = "v1",
        ["Deployment"] = "apps/v1",
        ["StatefulSet"] = "apps/v1",
        ["Role"] = "rbac.authorization.k8s.io/v1",
        ["ClusterRole"] = "rbac.authorization.k8s.io/v1",
        ["RoleBinding"] = "rbac.authorization.k8s.io/v1",
        ["ClusterRoleBinding"] = "rbac.authorization.k8s.io/v1",
        ["Kustomization"] = "kustomize.config.k8s.io/v1beta1",
        ["PersistentVolume"] = "v1",
        ["PersistentVolumeClaim"] = "v1",
    };

    private static readonly string s_root = Checkout.Root;

    private static readonly List<(string File, YamlMappingNode Doc)> s_documents = Directory
        .EnumerateFiles(Path.Combine(s_root, "k8s"), "*.yaml", SearchOption.AllDirectories)
        .SelectMany(file => Load(file).Select(doc => (file, doc)))
        .ToList();

    [Fact]
    public void Every_document_names_a_valid_api_version_for_its_kind_and_has_a_name()
    {
        s_documents.Should().NotBeEmpty();
        foreach (var (file, doc) in s_documents)
        {
            var kind = Text(doc, "kind");
            s_apiVersions.Should().ContainKey(kind!, $"{file} has kind {kind}");
            Text(doc, "apiVersion").Should().Be(s_apiVersions[kind!], $"{file}: {kind}");
            if (kind != "Kustomization")
            {
                Text(doc, "metadata", "name").Should().NotBeNullOrEmpty($"{file}: every {kind} has metadata.name");
            }
        }
    }

    [Fact]
    public void Kustomizations_refer_to_files_that_exist()
    {
        foreach (var (file, doc) in s_documents.Where(d => Text(d.Doc, "kind") == "Kustomization"))
        {
            var folder = Path.GetDirectoryName(file)!;
            var references = Seq(doc, "resources").Select(n => ((YamlScalarNode)n).Value!)
                .Concat(Seq(doc, "patches").Select(p => Text((YamlMappingNode)p, "path")!));
            foreach (var reference in references)
            {
                var path = Path.GetFullPath(Path.Combine(folder, reference));
                (File.Exists(path) || File.Exists(Path.Combine(path, "kustomization.yaml"))).Should().BeTrue($"{file} refers to {reference}");
            }
        }
    }

    [Fact]
    public void Workloads_have_matching_selectors_images_and_the_silo_follows_orleans_hosting_conventions()
    {
        var patches = s_documents.Where(d => Text(d.Doc, "kind") == "Kustomization")
            .SelectMany(d => Seq(d.Doc, "patches").Select(p => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(d.File)!, Text((YamlMappingNode)p, "path")!))))
            .ToHashSet();
        foreach (var (file, doc) in s_documents.Where(d => Text(d.Doc, "kind") is "Deployment" or "StatefulSet" && !patches.Contains(d.File)))
        {
            var selector = Map(doc, "spec", "selector", "matchLabels")!;
            var labels = Map(doc, "spec", "template", "metadata", "labels")!;
            foreach (var (key, value) in selector.Children)
            {
                labels.Children.Should().Contain(key, value, $"{file}: the selector must match the pod template");
            }

            foreach (var container in Seq(doc, "spec", "template", "spec", "containers").Cast<YamlMappingNode>())
            {
                Text(container, "name").Should().NotBeNullOrEmpty();
                Text(container, "image").Should().NotBeNullOrEmpty();
            }

            if (Text(doc, "kind") == "StatefulSet")
            {
                Text(doc, "spec", "serviceName").Should().NotBeNullOrEmpty();
            }
        }

        var silo = s_documents.Single(d => Text(d.Doc, "kind") == "Deployment" && Text(d.Doc, "metadata", "name") == "orleans-flyte-silo" && !patches.Contains(d.File)).Doc;
        var podLabels = Map(silo, "spec", "template", "metadata", "labels")!.Children.Keys.Select(k => ((YamlScalarNode)k).Value);
        podLabels.Should().Contain(["orleans/serviceId", "orleans/clusterId"]);
        var siloContainer = (YamlMappingNode)Seq(silo, "spec", "template", "spec", "containers").Single();
        var env = Seq(siloContainer, "env").Cast<YamlMappingNode>().ToDictionary(e => Text(e, "name")!, e => Text(e, "valueFrom", "fieldRef", "fieldPath"));
        env.Should().Contain("POD_NAME", "metadata.name").And.Contain("POD_NAMESPACE", "metadata.namespace").And.Contain("POD_IP", "status.podIP");
        Text(siloContainer, "readinessProbe", "httpGet", "path").Should().Be("/readyz");
        Text(siloContainer, "livenessProbe", "httpGet", "path").Should().Be("/healthz");
        Text(silo, "spec", "template", "metadata", "annotations", "prometheus.io/scrape").Should().Be("true");
        Text(silo, "spec", "template", "spec", "serviceAccountName").Should().Be("orleans-flyte-silo");
    }

    [Fact]
    public void The_silo_takes_its_OIDC_settings_from_a_ConfigMap_and_a_Secret()
    {
        var silo = s_documents.First(d => Text(d.Doc, "kind") == "Deployment" && Text(d.Doc, "metadata", "name") == "orleans-flyte-silo").Doc;
        var container = (YamlMappingNode)Seq(silo, "spec", "template", "spec", "containers").Single();
        var sources = Seq(container, "envFrom").Cast<YamlMappingNode>()
            .Select(e => Text(e, "configMapRef", "name") is { } map ? $"ConfigMap/{map}" : $"Secret/{Text(e, "secretRef", "name")}");
        sources.Should().BeEquivalentTo("ConfigMap/orleans-flyte-oidc", "Secret/orleans-flyte-oidc");

        var settings = s_documents.Where(d => Text(d.Doc, "metadata", "name") == "orleans-flyte-oidc")
            .SelectMany(d => (Map(d.Doc, "data") ?? Map(d.Doc, "stringData"))!.Children.Keys.Select(k => ((YamlScalarNode)k).Value!)).ToList();
        settings.Should().Contain(["Flyte__Auth__Oidc__Authority", "Flyte__Auth__Oidc__Audience", "Flyte__Auth__Oidc__SubjectClaim", "Flyte__Auth__Oidc__GroupsClaim"])
            .And.OnlyContain(k => k.StartsWith("Flyte__Auth__", StringComparison.Ordinal));
    }

    [Fact]
    public void Rbac_grants_exactly_what_the_runner_and_node_discovery_use()
    {
        var roles = s_documents.Where(d => Text(d.Doc, "kind") is "Role" or "ClusterRole")
            .ToDictionary(d => Text(d.Doc, "metadata", "name")!, d => Rules(d.Doc));

        // KubernetesTaskRunner: CreateNamespacedPod, ReadNamespacedPod, ListNamespacedPod (+ watch), DeleteNamespacedPod,
        // ReadNamespacedPodLog. KubernetesNodeDiscovery: ListNode (+ watch); get for kubectl-style checks.
        roles.Should().BeEquivalentTo(new Dictionary<string, Dictionary<string, string[]>>
        {
            ["orleans-flyte-task-runner"] = new() { ["pods"] = ["create", "delete", "get", "list", "watch"], ["pods/log"] = ["get"] },
            ["orleans-flyte-node-reader"] = new() { ["nodes"] = ["get", "list", "watch"] },
        });

        // The task runner's rights are namespaced: only RoleBindings (in task namespaces) grant them, never a ClusterRoleBinding.
        var clusterBindings = s_documents.Where(d => Text(d.Doc, "kind") == "ClusterRoleBinding").Select(d => Text(d.Doc, "roleRef", "name")).ToList();
        clusterBindings.Should().Equal("orleans-flyte-node-reader");
        s_documents.Where(d => Text(d.Doc, "kind") == "RoleBinding").Select(d => Text(d.Doc, "roleRef", "name")).Should().OnlyContain(n => n == "orleans-flyte-task-runner").And.NotBeEmpty();
    }

    [Fact]
    public void The_silo_and_every_task_namespace_mount_the_same_shared_artifact_export_where_the_settings_say()
    {
        var silo = s_documents.First(d => Text(d.Doc, "kind") == "Deployment" && Text(d.Doc, "metadata", "name") == "orleans-flyte-silo").Doc;
        var container = (YamlMappingNode)Seq(silo, "spec", "template", "spec", "containers").Single();
        var env = Seq(container, "env").Cast<YamlMappingNode>().ToDictionary(e => Text(e, "name")!, e => Text(e, "value"));
        var mount = Seq(container, "volumeMounts").Cast<YamlMappingNode>().Single(m => Text(m, "name") == "artifacts");
        Text(mount, "mountPath").Should().Be(env["Flyte__Artifacts__Root"], "the store's root is where the silo mounts the volume");
        var siloClaim = Seq(silo, "spec", "template", "spec", "volumes").Cast<YamlMappingNode>()
            .Single(v => Text(v, "name") == "artifacts");
        var claims = s_documents.Where(d => Text(d.Doc, "kind") == "PersistentVolumeClaim").Select(d => d.Doc).ToList();
        var volumes = s_documents.Where(d => Text(d.Doc, "kind") == "PersistentVolume").Select(d => d.Doc).ToList();

        // Task pods mount Flyte:Kubernetes:ArtifactClaimName in their own namespace: every namespace the runner may use has it.
        var taskNamespaces = s_documents.Where(d => Text(d.Doc, "kind") == "RoleBinding").Select(d => Text(d.Doc, "metadata", "namespace")!).ToList();
        taskNamespaces.Should().NotBeEmpty();
        var wanted = taskNamespaces.Select(ns => (Namespace: (string?)ns, Claim: env["Flyte__Kubernetes__ArtifactClaimName"]))
            .Append((Namespace: null, Claim: Text(siloClaim, "persistentVolumeClaim", "claimName")));
        var exports = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (ns, name) in wanted)
        {
            var claim = claims.SingleOrDefault(c => Text(c, "metadata", "name") == name && Text(c, "metadata", "namespace") == ns);
            claim.Should().NotBeNull($"a claim {name} in {ns ?? "the silo's namespace"}");
            Seq(claim!, "spec", "accessModes").Select(m => ((YamlScalarNode)m).Value).Should().Equal(["ReadWriteMany"], "pods on many nodes and the silo share it");
            var volume = volumes.Single(v => Text(v, "metadata", "name") == Text(claim!, "spec", "volumeName"));
            Text(volume, "spec", "claimRef", "name").Should().Be(name, "the volume is reserved for its claim");
            Seq(volume, "spec", "accessModes").Select(m => ((YamlScalarNode)m).Value).Should().Equal(["ReadWriteMany"]);
            exports.Add($"{Text(volume, "spec", "nfs", "server")}:{Text(volume, "spec", "nfs", "path")}");
        }

        exports.Should().ContainSingle("the silo and every task pod see one and the same store");
    }

    private static Dictionary<string, string[]> Rules(YamlMappingNode role)
    {
        var result = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var rule in Seq(role, "rules").Cast<YamlMappingNode>())
        {
            Seq(rule, "apiGroups").Select(g => ((YamlScalarNode)g).Value).Should().Equal([string.Empty], "core API group only");
            var verbs = Seq(rule, "verbs").Select(v => ((YamlScalarNode)v).Value!).Order(StringComparer.Ordinal).ToArray();
            foreach (var resource in Seq(rule, "resources").Select(r => ((YamlScalarNode)r).Value!))
            {
                result[resource] = verbs;
            }
        }

        return result;
    }

    private static IEnumerable<YamlMappingNode> Load(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(file);
        stream.Load(reader);
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>();
    }

    private static YamlNode? Node(YamlMappingNode map, params string[] path)
    {
        YamlNode? node = map;
        foreach (var key in path)
        {
            node = node is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;
        }

        return node;
    }

    private static string? Text(YamlMappingNode map, params string[] path) => (Node(map, path) as YamlScalarNode)?.Value;

    private static YamlMappingNode? Map(YamlMappingNode map, params string[] path) => Node(map, path) as YamlMappingNode;

    private static IEnumerable<YamlNode> Seq(YamlMappingNode map, params string[] path) => (Node(map, path) as YamlSequenceNode)?.Children ?? [];
}

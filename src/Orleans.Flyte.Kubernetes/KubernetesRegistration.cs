using k8s;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Kubernetes;

public static class KubernetesRegistration
{
    /// <summary>Selects the runner: <c>local</c> (default) or <c>kubernetes</c>.</summary>
    public const string RunnerKey = "Flyte:Runner";

    /// <summary>Selects the GPU inventory source: <c>configuration</c> (default) or <c>kubernetes</c>.</summary>
    public const string InventoryKey = "Flyte:Gpus:Inventory";

    /// <summary>
    /// With <c>Flyte:Runner = kubernetes</c>, replaces the runner with <see cref="KubernetesTaskRunner"/>; with
    /// <c>Flyte:Gpus:Inventory = kubernetes</c>, adds <see cref="KubernetesNodeDiscovery"/> (which reports to the registered
    /// <see cref="Abstractions.Gpus.IGpuInventorySink"/>). Otherwise changes nothing. Call after <c>AddOrleansFlyteEngine</c>.
    /// </summary>
    public static IServiceCollection AddOrleansFlyteKubernetes(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var runner = configuration[RunnerKey] ?? "local";
        var inventory = configuration[InventoryKey] ?? "configuration";
        var kubernetesRunner = Is(runner, "kubernetes");
        if (!kubernetesRunner && !Is(runner, "local"))
        {
            throw new InvalidOperationException($"{RunnerKey} is '{runner}'; use local (the embedded default) or kubernetes.");
        }

        var discovery = Is(inventory, "kubernetes");
        if (!kubernetesRunner && !discovery)
        {
            return services;
        }

        services.AddOptions<KubernetesOptions>().Bind(configuration.GetSection(KubernetesOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IKubernetes>(sp => new k8s.Kubernetes(ClientConfiguration(sp.GetRequiredService<IOptions<KubernetesOptions>>().Value)));
        if (kubernetesRunner)
        {
            services.RemoveAll<ITaskRunner>();
            services.AddSingleton<KubernetesTaskRunner>();
            services.AddSingleton<ITaskRunner>(sp => sp.GetRequiredService<KubernetesTaskRunner>());
        }

        if (discovery)
        {
            services.AddHostedService<KubernetesNodeDiscovery>();
        }

        return services;
    }

    /// <summary><see cref="KubernetesOptions.Host"/> as is, else in-cluster, else the kubeconfig.</summary>
    public static KubernetesClientConfiguration ClientConfiguration(KubernetesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.Host))
        {
            return new KubernetesClientConfiguration { Host = options.Host };
        }

        return options.InCluster
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile(options.KubeConfigPath, options.KubeConfigContext);
    }

    private static bool Is(string value, string expected) => string.Equals(value.Trim(), expected, StringComparison.OrdinalIgnoreCase);
}

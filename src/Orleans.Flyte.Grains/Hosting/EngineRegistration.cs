using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Artifacts;
using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Abstractions.Submissions;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Grains.Executions;
using Orleans.Flyte.Grains.Gpus;
using Orleans.Flyte.Grains.Runners.Local;
using Orleans.Flyte.Grains.Submissions;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Hosting;

public static class EngineRegistration
{
    /// <summary>
    /// The execution engine: options, the output cache, submissions, the runner with the sink that forwards its status changes
    /// to task grains, and the GPU inventory. The embedded default runner is <see cref="LocalProcessRunner"/>; the
    /// embedded default inventory is <c>Flyte:Gpus:Nodes</c>.
    /// </summary>
    public static IServiceCollection AddOrleansFlyteEngine(this IServiceCollection services, IConfiguration? configuration = null)
    {
        var engine = services.AddOptions<ExecutionEngineOptions>();
        var local = services.AddOptions<LocalProcessRunnerOptions>();
        var gpus = services.AddOptions<GpuOptions>();
        var launchPlans = services.AddOptions<LaunchPlans.LaunchPlanOptions>();
        var identity = services.AddOptions<Identity.IdentityOptions>();
        var artifacts = services.AddOptions<ArtifactStoreOptions>();
        var snapshots = services.AddOptions<StreamSnapshotOptions>();
        var admission = services.AddOptions<Submissions.SubmissionAdmissionOptions>();
        if (configuration is not null)
        {
            gpus.Bind(configuration.GetSection(GpuOptions.Section));
            identity.Bind(configuration.GetSection(Identity.IdentityOptions.Section));
            launchPlans.Bind(configuration.GetSection(LaunchPlans.LaunchPlanOptions.Section));
            engine.Bind(configuration.GetSection(ExecutionEngineOptions.Section));
            local.Bind(configuration.GetSection(LocalProcessRunnerOptions.Section));
            artifacts.Bind(configuration.GetSection(ArtifactStoreOptions.Section));
            snapshots.Bind(configuration.GetSection(StreamSnapshotOptions.Section));
            admission.Bind(configuration.GetSection(Submissions.SubmissionAdmissionOptions.Section));
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new LaunchPlans.LaunchPlanClock(sp.GetRequiredService<TimeProvider>()));
        services.AddMetrics();
        services.TryAddSingleton<Observability.EngineMetrics>();
        services.TryAddSingleton<Observability.ActiveSchedules>();
        services.AddSingleton<DocumentGroupCommit>();
        services.AddSingleton<TaskOutputCache>();
        services.AddSingleton<AttemptLogArchive>();
        services.TryAddSingleton(sp => new ArtifactStore(sp.GetRequiredService<IOptions<ArtifactStoreOptions>>().Value));
        services.TryAddSingleton<Artifacts.ArtifactCollector>();
        services.TryAddSingleton<IArtifactReferences, Artifacts.ArtifactReferences>();
        services.AddHostedService(sp => sp.GetRequiredService<Artifacts.ArtifactCollector>());
        services.AddSingleton<IAttemptStatusSink, AttemptStatusForwarder>();
        services.TryAddSingleton<ITaskRunner, LocalProcessRunner>();

        // The one way executions are created (the API and launch plans both submit through it).
        services.TryAddSingleton<Submissions.SubmissionAdmission>();
        services.TryAddSingleton<IExecutionSubmissions, ExecutionSubmissions>();

        // GPUs: the allocator asks task grains whether a lease is still needed and tells them of grants, through seams the
        // executions side implements (so Gpus never depends on Executions); inventory sources report to node grains.
        services.TryAddSingleton<IGpuLeaseLiveness, TaskAttemptLiveness>();
        services.TryAddSingleton<IGpuGrantNotifier, TaskGrantNotifier>();
        services.TryAddSingleton<IGpuInventorySink, GrainGpuInventorySink>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, ConfiguredGpuInventory>();

        // A new installation's first cluster-admin token (Flyte:Auth:BootstrapTokenFile; scripts/run sets it).
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, Identity.BootstrapAdminToken>();
        return services;
    }
}

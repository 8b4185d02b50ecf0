using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Abstractions.Catalogs;
using Orleans.Flyte.Grains.Executions;
using Orleans.Flyte.Grains.LaunchPlans;
using Orleans.Flyte.Grains.Registry;

namespace Orleans.Flyte.Grains.Hosting;

/// <summary>
/// Every read model in one place: its document with the indexes its catalog filters on, the projection that feeds it
/// with its lifecycle, and the catalog callers query it through.
/// </summary>
/// <remarks>
/// All projections are <see cref="ProjectionLifecycle.Inline"/>: the documents commit in the same transaction as the
/// events, so a listing never lags an acknowledged registration, submission or transition. The documents are
/// single-tenanted (the projections group events across tenants), so the catalogs filter by project and domain in one
/// query, and the cluster-wide and per-domain streams feed the same tables.
/// </remarks>
public static class ReadModels
{
    public static void Configure(StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        options.Schema.For<ProjectDocument>();
        options.Schema.For<DefinitionVersionDocument>()
            .Index(d => d.Project)
            .Index(d => d.Domain);
        options.Projections.Add(new RegistryCatalogProjection(), ProjectionLifecycle.Inline);

        options.Schema.For<ExecutionSummaryDocument>()
            .Index(d => d.Project)
            .Index(d => d.Domain)
            .Index(d => d.Workflow)
            .Index(d => d.CreatedAt)
            .Index(d => d.Phase) // listings by phase, and each supervisor tick's scan of the active executions
            .Index(d => d.ParentExecutionId) // the children of one execution
            // A listing filters on project and domain and pages newest first: with this index a page costs its size, not
            // the domain's history (the planner walks it backwards, an incremental sort settles ties on the id).
            .Index(d => new { d.Project, d.Domain, d.CreatedAt });
        options.Projections.Add(new ExecutionCatalogProjection(), ProjectionLifecycle.Inline);

        options.Schema.For<LaunchPlanDocument>()
            .Index(d => d.Project)
            .Index(d => d.Domain);
        options.Projections.Add(new LaunchPlanCatalogProjection(), ProjectionLifecycle.Inline);

        // Not a projection: the task grain writes an entry after it recorded the success, outside the event
        // transaction, because the cache is best effort (a failed write costs a later miss, never the success).
        options.Schema.For<TaskCacheEntry>();

        // Not a projection either: the log tail of a finished attempt, written by its task grain before the runner drops its copy.
        options.Schema.For<AttemptLogEntry>();

        // Not a projection: a long stream's folded state every so many events, written by its grain after the write
        // (EventSourcedGrain), read by as-of replay; derived and best effort like the cache.
        options.Schema.For<EventSourcing.StreamSnapshot>().Index(s => s.Stream);
    }

    /// <summary>The read side callers query; the API never touches Marten documents or sessions.</summary>
    public static IServiceCollection AddCatalogs(IServiceCollection services)
    {
        services.AddSingleton<IExecutionCatalog, MartenExecutionCatalog>();
        services.AddSingleton<IDefinitionCatalog, MartenDefinitionCatalog>();
        services.AddSingleton<IProjectCatalog, MartenProjectCatalog>();
        services.AddSingleton<ILaunchPlanCatalog, MartenLaunchPlanCatalog>();
        return services;
    }
}

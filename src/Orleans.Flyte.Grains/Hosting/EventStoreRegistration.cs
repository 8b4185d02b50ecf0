using System.Text.Json;
using JasperFx;
using JasperFx.Events;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Hosting;

namespace Orleans.Flyte.Grains.Hosting;

public static class EventStoreRegistration
{
    /// <summary>Every concrete event type, registered up front so a fresh process can read old streams.</summary>
    public static IReadOnlyList<Type> EventTypes { get; } =
    [
        .. typeof(DomainEvent).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsClass: true } && typeof(DomainEvent).IsAssignableFrom(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal),
    ];

    /// <summary>
    /// Marten as the event store: string-keyed streams, one tenant per project/domain (conjoined), headers for
    /// the hash chain, inline read models and the catalogs that query them, a readiness check; the schema is created
    /// or updated at start-up.
    /// </summary>
    public static IServiceCollection AddOrleansFlyteEventStore(this IServiceCollection services, string connectionString, string schema = "flyte")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.AddMarten(options => ConfigureMarten(options, connectionString, schema))
            .UseLightweightSessions()
            .ApplyAllDatabaseChangesOnStartup();
        services.AddMetrics();
        services.TryAddSingleton<Observability.EngineMetrics>();
        services.AddSingleton<MartenEventStreamStore>();
        services.AddSingleton<GroupCommitEventStreamStore>();
        services.AddSingleton<IStorageFailures>(StorageFailureClassifier.Instance);
        services.AddSingleton<IEventStreamStore>(sp => sp.GetRequiredService<GroupCommitEventStreamStore>());
        services.AddHostedService(sp => sp.GetRequiredService<GroupCommitEventStreamStore>());
        services.TryAddSingleton(TimeProvider.System);

        ReadModels.AddCatalogs(services);
        services.AddOptions<StreamSnapshotOptions>() // bound from Flyte:Snapshots by AddOrleansFlyteEngine
            .Validate(o => o.Every >= 0, "Flyte:Snapshots:Every is a number of events, 0 or more (0 turns snapshots off)").ValidateOnStart();
        services.AddSingleton<StreamSnapshots>();
        services.AddSingleton(new Audit.EventLogDatabase(connectionString, schema));
        services.AddSingleton<Abstractions.Audit.IAuditLog, Audit.MartenAuditLog>();
        services.AddHealthChecks().AddCheck<PostgresReadinessCheck>("postgres", tags: [HealthTags.Ready]);
        return services;
    }

    public static void ConfigureMarten(StoreOptions options, string connectionString, string schema)
    {
        options.Connection(connectionString);
        options.DatabaseSchemaName = schema;
        options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
        options.UseSystemTextJsonForSerialization(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        options.Events.StreamIdentity = StreamIdentity.AsString;
        options.Events.TenancyStyle = JasperFx.MultiTenancy.TenancyStyle.Conjoined;
        options.Events.MetadataConfig.HeadersEnabled = true;
        foreach (var type in EventTypes)
        {
            options.Events.AddEventType(type);
        }

        ReadModels.Configure(options);
    }

    /// <summary>Journaled grains keep their logs in Marten through <see cref="EventSourcedGrain{TState,TEvent}"/>.</summary>
    public static ISiloBuilder AddOrleansFlyteGrains(this ISiloBuilder silo)
    {
        silo.AddCustomStorageBasedLogConsistencyProvider(MartenLogConsistency.ProviderName);
        return silo;
    }
}

using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Grains.LaunchPlans;

/// <summary>Read model of one launch plan version, for listing and filtering by state.</summary>
public sealed class LaunchPlanDocument
{
    /// <summary><c>project/domain/name@version</c>.</summary>
    public required string Id { get; set; }

    public required string Project { get; set; }
    public required string Domain { get; set; }
    public required string Name { get; set; }
    public required string Version { get; set; }
    public required string Workflow { get; set; }
    public LaunchPlanStatus Status { get; set; }
    public string? Schedule { get; set; }
    public bool Paused { get; set; }

    /// <summary>The last instant this version's schedule decided (fired, skipped, buffered or missed).</summary>
    public DateTimeOffset? ScheduledThrough { get; set; }

    public long Fired { get; set; }
    public DateTimeOffset RegisteredAt { get; set; }
    public required string RegisteredBy { get; set; }
    public DateTimeOffset ChangedAt { get; set; }
    public required string ChangedBy { get; set; }
    public string? ChangeReason { get; set; }

    public static string IdOf(string project, string domain, string name, string version) => $"{project}/{domain}/{name}@{version}";
}

/// <summary>Inline projection of launch plan streams: a listing never lags an acknowledged transition.</summary>
public sealed class LaunchPlanCatalogProjection : IProjection
{
    private const string StreamPrefix = "launchplan/";

    /// <summary>Adds the launch plan read model and its projection to the Marten configuration.</summary>
    public static void Configure(StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Schema.For<LaunchPlanDocument>().Index(d => d.Project).Index(d => d.Domain);
        options.Projections.Add(new LaunchPlanCatalogProjection(), JasperFx.Events.Projections.ProjectionLifecycle.Inline);
    }

    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var touched = new Dictionary<string, LaunchPlanDocument>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e.Data is not LaunchPlanEvent data || e.StreamKey is not { } key || !key.StartsWith(StreamPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var prefix = key[StreamPrefix.Length..];
            if (data is LaunchPlanVersionRegistered r)
            {
                var spec = SpecDocument.Parse(r.Spec, SpecFormat.Json) is { IsValid: true } parsed ? LaunchPlanSpecReader.Read(parsed.Value!).Value : null;
                touched[$"{prefix}@{r.Version}"] = new LaunchPlanDocument
                {
                    Id = LaunchPlanDocument.IdOf(r.Project, r.Domain, r.Name, r.Version),
                    Project = r.Project,
                    Domain = r.Domain,
                    Name = r.Name,
                    Version = r.Version,
                    Workflow = r.Workflow,
                    Status = LaunchPlanStatus.Inactive,
                    Schedule = spec?.Schedule?.Describe(),
                    RegisteredAt = r.Meta.At,
                    RegisteredBy = r.Meta.Principal,
                    ChangedAt = r.Meta.At,
                    ChangedBy = r.Meta.Principal,
                };
                continue;
            }

            async Task<LaunchPlanDocument?> Load(string version)
            {
                var id = $"{prefix}@{version}";
                if (!touched.TryGetValue(id, out var document))
                {
                    document = await operations.LoadAsync<LaunchPlanDocument>(id, cancellation);
                    if (document is not null)
                    {
                        touched[id] = document;
                    }
                }

                return document;
            }

            switch (data)
            {
                case LaunchPlanActivated a:
                    if (a.Deactivated is { } previous && await Load(previous) is { } old)
                    {
                        Change(old, LaunchPlanStatus.Inactive, a);
                    }

                    if (await Load(a.Version) is { } activated)
                    {
                        Change(activated, LaunchPlanStatus.Active, a);
                        activated.ScheduledThrough = a.Meta.At;
                    }

                    break;
                case LaunchPlanDeactivated d when await Load(d.Version) is { } doc:
                    Change(doc, LaunchPlanStatus.Inactive, d);
                    break;
                case LaunchPlanArchived x when await Load(x.Version) is { } doc:
                    Change(doc, LaunchPlanStatus.Archived, x);
                    break;
                case LaunchPlanRestored x when await Load(x.Version) is { } doc:
                    Change(doc, LaunchPlanStatus.Inactive, x);
                    break;
                case LaunchPlanPaused p when await Load(p.Version) is { } doc:
                    doc.Paused = true;
                    break;
                case LaunchPlanResumed p when await Load(p.Version) is { } doc:
                    doc.Paused = false;
                    doc.ScheduledThrough = p.Meta.At;
                    break;
                case LaunchPlanFired f when await Load(f.Version) is { } doc:
                    Advance(doc, f.ScheduledAt);
                    doc.Fired++;
                    break;
                case LaunchPlanFireSkipped s when await Load(s.Version) is { } doc:
                    Advance(doc, s.ScheduledAt);
                    break;
                case LaunchPlanFireBuffered b when await Load(b.Version) is { } doc:
                    Advance(doc, b.ScheduledAt);
                    break;
                case LaunchPlanFiresMissed m when await Load(m.Version) is { } doc:
                    Advance(doc, m.Last);
                    break;
            }
        }

        foreach (var document in touched.Values)
        {
            operations.Store(document);
        }
    }

    private static void Advance(LaunchPlanDocument document, DateTimeOffset instant)
    {
        if (document.ScheduledThrough is null || instant > document.ScheduledThrough)
        {
            document.ScheduledThrough = instant;
        }
    }

    private static void Change(LaunchPlanDocument document, LaunchPlanStatus status, LaunchPlanEvent e)
    {
        document.Status = status;
        document.ChangedAt = e.Meta.At;
        document.ChangedBy = e.Meta.Principal;
        document.ChangeReason = e.Meta.Reason;
        if (status != LaunchPlanStatus.Active)
        {
            document.Paused = false;
        }
    }
}

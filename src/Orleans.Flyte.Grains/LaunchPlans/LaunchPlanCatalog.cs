using JasperFx.Events;
using JasperFx.Events.Grouping;
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

/// <summary>
/// One <see cref="LaunchPlanDocument"/> per launch plan version, from the plan's stream
/// (<c>launchplan/{project}/{domain}/{name}</c>), registered inline (<see cref="Hosting.ReadModels"/>): a listing never
/// lags an acknowledged transition.
/// </summary>
/// <remarks>
/// A multi-stream projection because one stream feeds a document per version, and one event can change two of them
/// (<see cref="LaunchPlanActivated"/> activates one version and deactivates the previous). Grouped across tenants so
/// the documents stay single-tenanted and keyed <c>project/domain/name@version</c>, as the catalog queries them.
/// </remarks>
public sealed class LaunchPlanCatalogProjection : MultiStreamProjection<LaunchPlanDocument, string>
{
    private const string StreamPrefix = "launchplan/";

    public LaunchPlanCatalogProjection()
    {
        TenancyGrouping = TenancyGrouping.AcrossTenants;
        Identities<IEvent<LaunchPlanEvent>>(e => DocumentsOf(e.StreamKey, e.Data));
    }

    /// <summary>The ids of the version documents an event changes; none for events the listing does not show.</summary>
    private static IReadOnlyList<string> DocumentsOf(string? streamKey, LaunchPlanEvent e)
    {
        if (streamKey is null || !streamKey.StartsWith(StreamPrefix, StringComparison.Ordinal))
        {
            return [];
        }

        // The stream key is launchplan/{project}/{domain}/{name}: the document id is project/domain/name@version.
        var plan = streamKey[StreamPrefix.Length..];
        string Id(string version) => $"{plan}@{version}";
        return e switch
        {
            LaunchPlanActivated { Deactivated: { } previous } a when previous != a.Version => [Id(a.Version), Id(previous)],
            LaunchPlanVersionRegistered x => [Id(x.Version)],
            LaunchPlanActivated x => [Id(x.Version)],
            LaunchPlanDeactivated x => [Id(x.Version)],
            LaunchPlanArchived x => [Id(x.Version)],
            LaunchPlanRestored x => [Id(x.Version)],
            LaunchPlanArchivedAll x => [.. x.Versions.Select(Id)],
            LaunchPlanRestoredAll x => [.. x.Versions.Select(Id)],
            LaunchPlanPaused x => [Id(x.Version)],
            LaunchPlanResumed x => [Id(x.Version)],
            LaunchPlanFired x => [Id(x.Version)],
            LaunchPlanFireSkipped x => [Id(x.Version)],
            LaunchPlanFireBuffered x => [Id(x.Version)],
            LaunchPlanFiresMissed x => [Id(x.Version)],
            _ => [],
        };
    }

    public override LaunchPlanDocument? Evolve(LaunchPlanDocument? snapshot, string id, IEvent e)
    {
        if (e.Data is LaunchPlanVersionRegistered r)
        {
            var spec = SpecDocument.Parse(r.Spec, SpecFormat.Json) is { IsValid: true } parsed ? LaunchPlanSpecReader.Read(parsed.Value!).Value : null;
            return new LaunchPlanDocument
            {
                Id = id,
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
        }

        // A transition of a version whose registration was never projected creates nothing (null stores nothing).
        if (snapshot is null)
        {
            return null;
        }

        switch (e.Data)
        {
            case LaunchPlanActivated a when a.Version == snapshot.Version:
                Change(snapshot, LaunchPlanStatus.Active, a);
                snapshot.ScheduledThrough = a.Meta.At;
                break;
            case LaunchPlanActivated a:
                // The previous active version, stopped by the same event.
                Change(snapshot, LaunchPlanStatus.Inactive, a);
                break;
            case LaunchPlanDeactivated d:
                Change(snapshot, LaunchPlanStatus.Inactive, d);
                break;
            case LaunchPlanArchived x:
                Change(snapshot, LaunchPlanStatus.Archived, x);
                break;
            case LaunchPlanRestored x:
                Change(snapshot, LaunchPlanStatus.Inactive, x);
                break;
            case LaunchPlanArchivedAll x:
                Change(snapshot, LaunchPlanStatus.Archived, x);
                break;
            case LaunchPlanRestoredAll x:
                Change(snapshot, LaunchPlanStatus.Inactive, x);
                break;
            case LaunchPlanPaused:
                snapshot.Paused = true;
                break;
            case LaunchPlanResumed p:
                snapshot.Paused = false;
                snapshot.ScheduledThrough = p.Meta.At;
                break;
            case LaunchPlanFired f:
                Advance(snapshot, f.ScheduledAt);
                snapshot.Fired++;
                break;
            case LaunchPlanFireSkipped s:
                Advance(snapshot, s.ScheduledAt);
                break;
            case LaunchPlanFireBuffered b:
                Advance(snapshot, b.ScheduledAt);
                break;
            case LaunchPlanFiresMissed m:
                Advance(snapshot, m.Last);
                break;
        }

        return snapshot;
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

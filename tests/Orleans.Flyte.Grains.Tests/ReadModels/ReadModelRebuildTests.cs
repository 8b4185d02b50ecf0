using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Aggregation;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Registry;
using Orleans.Flyte.Grains.Executions;
using Orleans.Flyte.Grains.Hosting;
using Orleans.Flyte.Grains.LaunchPlans;
using Orleans.Flyte.Grains.Registry;
using static Orleans.Flyte.Grains.Tests.ReadModels.ReadModelStore;

namespace Orleans.Flyte.Grains.Tests.ReadModels;

/// <summary>The read models are a function of the events: Marten's projection daemon rebuilds them from old streams.</summary>
public sealed class ReadModelRebuildTests(ReadModelStore store) : IClassFixture<ReadModelStore>
{
    private static readonly TimeSpan s_rebuildTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Rebuilding_every_read_model_from_the_event_log_reproduces_the_documents_inline_projection_wrote()
    {
        await WriteHistory("quant", "vision");
        var before = await Documents();
        before.Executions.Should().HaveCount(4);
        before.LaunchPlans.Should().HaveCount(4);

        // Damage every table so that only a rebuild from the events can restore it: lose documents, corrupt one,
        // and add one no event supports (a rebuild starts from empty tables).
        await using (var session = store.Documents.LightweightSession())
        {
            session.Delete<ExecutionSummaryDocument>(before.Executions[0].Id);
            session.Delete<ProjectDocument>(before.Projects[0].Id);
            var corrupted = before.LaunchPlans[0];
            session.Store(Clone(corrupted, d => d.Status = LaunchPlanStatus.Archived));
            session.Store(Clone(before.Definitions[0], d => { d.Id = "task/ghost/development/none/v1"; d.Project = "ghost"; }));
            await session.SaveChangesAsync();
        }

        using var cancellation = new CancellationTokenSource(s_rebuildTimeout);
        using var daemon = await store.Documents.BuildProjectionDaemonAsync();
        await daemon.RebuildProjectionAsync<RegistryCatalogProjection>(s_rebuildTimeout, cancellation.Token);
        await daemon.RebuildProjectionAsync<ExecutionCatalogProjection>(s_rebuildTimeout, cancellation.Token);
        await daemon.RebuildProjectionAsync<LaunchPlanCatalogProjection>(s_rebuildTimeout, cancellation.Token);

        var after = await Documents();
        after.Should().BeEquivalentTo(before, o => o.WithStrictOrdering());

        // The inline projection goes on after a rebuild.
        await store.Append(new StreamAddress(StreamAddress.TenantOf("quant", "development"), "execution/quant-later"), At(Accepted("quant", "quant-later"), 90));
        (await store.Load<ExecutionSummaryDocument>("quant-later")).Should().NotBeNull();
    }

    [Fact]
    public void A_single_stream_projection_cannot_keep_a_read_model_single_tenanted_over_conjoined_events()
    {
        // Why the read models group across tenants instead: Marten refuses a single-stream aggregate whose documents are
        // not conjoined like the events, and conjoined documents would be keyed by the stream key per tenant.
        var act = () =>
        {
            using var documents = DocumentStore.For(options =>
            {
                EventStoreRegistration.ConfigureMarten(options, "Host=127.0.0.1;Database=unused", "unused");
                options.Projections.Add(new StreamCount(), ProjectionLifecycle.Inline);
            });
        };

        act.Should().Throw<Exception>().Which.ToString().Should().Contain("Tenancy storage style mismatch");
    }

    private async Task WriteHistory(params string[] projects)
    {
        foreach (var name in projects)
        {
            var tenant = StreamAddress.TenantOf(name, "development");
            await store.Append(StreamAddress.Cluster($"project/{name}"), At(new ProjectCreated(name, name.ToUpperInvariant(), "research"), 0));
            await store.Append(new StreamAddress(tenant, $"task/{name}/development/train-model"),
                At(new TaskVersionRegistered(name, "development", "train-model", "v1", "{}", "h1"), 1),
                At(new TaskVersionRegistered(name, "development", "train-model", "v2", "{}", "h2"), 2));

            var plan = new StreamAddress(tenant, $"launchplan/{name}/development/nightly");
            await store.Append(plan,
                At(LaunchPlan(name, "v1"), 3), At(LaunchPlan(name, "v2"), 3), At(new LaunchPlanActivated("v1", null), 4));
            await store.Append(plan, At(new LaunchPlanFired("v1", T0.AddHours(1), $"{name}-run", false, null), 60));
            await store.Append(plan, At(new LaunchPlanActivated("v2", "v1"), 61, "bob@example.com", "new model"), At(new LaunchPlanPaused("v2"), 62));

            foreach (var (id, minute) in new[] { ($"{name}-run", 60), ($"{name}-adhoc", 70) })
            {
                var execution = new StreamAddress(tenant, $"execution/{id}");
                await store.Append(execution, At(Accepted(name, id), minute));
                await store.Append(execution, At(new ExecutionStarted(), minute + 1));
                await store.Append(new StreamAddress(tenant, $"execution/{id}/train"),
                    At(new TaskQueued(id, "train", name, "development", "train-model@v2", "{}", "{}", null, false), minute + 1));
                await store.Append(execution, At(new ExecutionSucceeded("{}"), minute + 5));
            }
        }
    }

    private async Task<History> Documents() => new(
        [.. (await store.All<ProjectDocument>()).OrderBy(d => d.Id, StringComparer.Ordinal)],
        [.. (await store.All<DefinitionVersionDocument>()).OrderBy(d => d.Id, StringComparer.Ordinal)],
        [.. (await store.All<ExecutionSummaryDocument>()).OrderBy(d => d.Id, StringComparer.Ordinal)],
        [.. (await store.All<LaunchPlanDocument>()).OrderBy(d => d.Id, StringComparer.Ordinal)]);

    private static T Clone<T>(T document, Action<T> change) where T : class
    {
        var json = System.Text.Json.JsonSerializer.Serialize(document);
        var copy = System.Text.Json.JsonSerializer.Deserialize<T>(json)!;
        change(copy);
        return copy;
    }

    private static ExecutionAccepted Accepted(string project, string id) => new(
        id, project, "development", new ExecutionPlan("train-alpha", "v3", false, null, [], new Dictionary<string, string>()),
        "{}", "hash", null, false, null, null, id.EndsWith("-run", StringComparison.Ordinal) ? "nightly@v1" : null,
        id.EndsWith("-run", StringComparison.Ordinal) ? T0.AddHours(1) : null, new Dictionary<string, string>());

    private static LaunchPlanVersionRegistered LaunchPlan(string project, string version) => new(
        project, "development", "nightly", version, """{"name":"nightly","workflow":"train-alpha@v3","schedule":{"cron":"0 * * * *"}}""",
        "hash-" + version, "train-alpha@v3", "{}", new ExecutionPlan("train-alpha", "v3", false, null, [], new Dictionary<string, string>()));

    private sealed record History(
        IReadOnlyList<ProjectDocument> Projects,
        IReadOnlyList<DefinitionVersionDocument> Definitions,
        IReadOnlyList<ExecutionSummaryDocument> Executions,
        IReadOnlyList<LaunchPlanDocument> LaunchPlans);

    public sealed class StreamLength
    {
        public required string Id { get; set; }
        public int Events { get; set; }
    }

    private sealed class StreamCount : SingleStreamProjection<StreamLength, string>
    {
        public override StreamLength? Evolve(StreamLength? snapshot, string id, JasperFx.Events.IEvent e)
        {
            snapshot ??= new StreamLength { Id = id };
            snapshot.Events++;
            return snapshot;
        }
    }
}

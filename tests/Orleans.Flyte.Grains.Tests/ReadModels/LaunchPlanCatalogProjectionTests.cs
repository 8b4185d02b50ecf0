using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Abstractions.Catalogs;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Grains.LaunchPlans;
using static Orleans.Flyte.Grains.Tests.ReadModels.ReadModelStore;

namespace Orleans.Flyte.Grains.Tests.ReadModels;

/// <summary>Launch plan streams in, one <see cref="LaunchPlanDocument"/> per version out, on real PostgreSQL.</summary>
public sealed class LaunchPlanCatalogProjectionTests(ReadModelStore store) : IClassFixture<ReadModelStore>
{
    private ILaunchPlanCatalog Catalog => store.Services.GetRequiredService<ILaunchPlanCatalog>();

    [Fact]
    public async Task Every_registered_version_is_listed_inactive_with_its_schedule_in_words()
    {
        var project = NewProject();
        var plan = Plan(project, "nightly");

        await store.Append(plan, At(Registered(project, "nightly", "v1", """{"cron":"0 2 * * *","timezone":"Asia/Seoul"}"""), 0));
        await store.Append(plan, At(Registered(project, "nightly", "v2", null), 1, "bob@example.com"));

        var listed = await Catalog.ListAsync(project, "development", null, includeArchived: false);

        listed.Select(e => (e.Name, e.Version, e.Status, e.Schedule, e.RegisteredBy)).Should().Equal(
            ("nightly", "v1", LaunchPlanStatus.Inactive, "cron \"0 2 * * *\" Asia/Seoul", "alice@example.com"),
            ("nightly", "v2", LaunchPlanStatus.Inactive, null, "bob@example.com"));
    }

    [Fact]
    public async Task Activating_a_version_deactivates_the_previous_one_in_the_same_event()
    {
        var project = NewProject();
        var plan = Plan(project, "nightly");
        await store.Append(plan, At(Registered(project, "nightly", "v1", Cron), 0), At(Registered(project, "nightly", "v2", Cron), 0));
        await store.Append(plan, At(new LaunchPlanActivated("v1", null), 1));
        await store.Append(plan, At(new LaunchPlanFired("v1", T0.AddHours(2), "run1", false, null), 2), At(new LaunchPlanPaused("v1"), 3));

        await store.Append(plan, At(new LaunchPlanActivated("v2", "v1"), 4, "bob@example.com", "new model"));

        var v1 = await store.Load<LaunchPlanDocument>(LaunchPlanDocument.IdOf(project, "development", "nightly", "v1"));
        var v2 = await store.Load<LaunchPlanDocument>(LaunchPlanDocument.IdOf(project, "development", "nightly", "v2"));
        v1.Should().BeEquivalentTo(new
        {
            Status = LaunchPlanStatus.Inactive, Paused = false, Fired = 1L, ScheduledThrough = T0.AddHours(2),
            ChangedAt = T0.AddMinutes(4), ChangedBy = "bob@example.com", ChangeReason = "new model",
        });
        v2.Should().BeEquivalentTo(new { Status = LaunchPlanStatus.Active, ScheduledThrough = T0.AddMinutes(4), Fired = 0L });
        (await Catalog.ListAsync(project, "development", LaunchPlanStatus.Active, false)).Should().ContainSingle().Which.Version.Should().Be("v2");
    }

    [Fact]
    public async Task The_schedule_position_only_moves_forward_and_counts_fires()
    {
        var project = NewProject();
        var plan = Plan(project, "hourly");
        await store.Append(plan, At(Registered(project, "hourly", "v1", Cron), 0), At(new LaunchPlanActivated("v1", null), 0));

        await store.Append(plan,
            At(new LaunchPlanFiresMissed("v1", 3, T0.AddHours(1), T0.AddHours(3), CatchUpPolicy.Latest), 10),
            At(new LaunchPlanFired("v1", T0.AddHours(4), "run4", true, null), 10),
            At(new LaunchPlanFireSkipped("v1", T0.AddHours(5), "previous run still going"), 11),
            At(new LaunchPlanFireBuffered("v1", T0.AddHours(2), "run4"), 12),
            At(new LaunchPlanTriggered("v1", "manual", "{}"), 13));

        var entry = (await Catalog.ListAsync(project, "development", null, false)).Should().ContainSingle().Subject;
        entry.ScheduledThrough.Should().Be(T0.AddHours(5), "an older instant decided later does not move it back");
        entry.Fired.Should().Be(1, "manual launches are not schedule fires");
    }

    [Fact]
    public async Task Archived_versions_are_hidden_unless_asked_for_and_come_back_inactive()
    {
        var project = NewProject();
        var plan = Plan(project, "weekly");
        await store.Append(plan, At(Registered(project, "weekly", "v1", Cron), 0), At(new LaunchPlanActivated("v1", null), 1));

        await store.Append(plan, At(new LaunchPlanArchived("v1", WasActive: true), 2, "carol@example.com", "retired"));

        (await Catalog.ListAsync(project, "development", null, includeArchived: false)).Should().BeEmpty();
        (await Catalog.ListAsync(project, "development", null, includeArchived: true)).Should().ContainSingle()
            .Which.Should().BeEquivalentTo(new { Status = LaunchPlanStatus.Archived, ChangedBy = "carol@example.com", ChangeReason = "retired" });

        await store.Append(plan, At(new LaunchPlanRestored("v1"), 3));
        (await Catalog.ListAsync(project, "development", null, false)).Should().ContainSingle().Which.Status.Should().Be(LaunchPlanStatus.Inactive);
    }

    [Fact]
    public async Task Plans_of_the_same_name_in_two_tenants_are_separate_documents()
    {
        var (quant, vision) = (NewProject(), NewProject());

        await store.StartTogether(
            (Plan(quant, "nightly"), [At(Registered(quant, "nightly", "v1", Cron), 0), At(new LaunchPlanActivated("v1", null), 0)]),
            (Plan(vision, "nightly"), [At(Registered(vision, "nightly", "v1", Cron), 0)]));

        (await Catalog.ListAsync(quant, "development", null, false)).Should().ContainSingle().Which.Status.Should().Be(LaunchPlanStatus.Active);
        (await Catalog.ListAsync(vision, "development", null, false)).Should().ContainSingle().Which.Status.Should().Be(LaunchPlanStatus.Inactive);
    }

    private const string Cron = """{"cron":"0 2 * * *"}""";

    private static string NewProject() => $"lp-{Guid.NewGuid().ToString("N")[..8]}";

    private static StreamAddress Plan(string project, string name) =>
        new(StreamAddress.TenantOf(project, "development"), $"launchplan/{project}/development/{name}");

    private static LaunchPlanVersionRegistered Registered(string project, string name, string version, string? schedule)
    {
        var spec = $$"""{"name":"{{name}}","version":"{{version}}","workflow":"train-alpha@v3"{{(schedule is null ? "" : $",\"schedule\":{schedule}")}}}""";
        return new LaunchPlanVersionRegistered(project, "development", name, version, spec, "hash-" + version, "train-alpha@v3", "{}",
            new ExecutionPlan("train-alpha", "v3", false, null, [], new Dictionary<string, string>()));
    }
}

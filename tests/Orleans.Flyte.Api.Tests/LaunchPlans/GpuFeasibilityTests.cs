using System.Net;
using System.Text.Json.Nodes;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests.LaunchPlans;

/// <summary>
/// Issue 18, item 2: every path that creates runs refuses a plan no node could ever serve, with the inventory in the
/// message, and stores nothing. The inventory is the sample DGX node plus one spare node with a single whole A100, so
/// removing the DGX shrinks it to something that still exists but serves no MIG slice.
/// </summary>
public sealed class GpuFeasibilityTests : LaunchPlanTestBase
{
    private const string Stream = "launchplan/lab/development/tuning";
    private const string Pointer = "/workflow/nodes/tune/resources/gpu";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Flyte:Gpus:Nodes:1:Name"] = "spare-01",
        ["Flyte:Gpus:Nodes:1:Gpus:0"] = "whole",
    };

    [Fact]
    public async Task A_launch_plan_whose_workflow_asks_for_a_profile_no_node_has_is_refused_at_registration_with_the_inventory()
    {
        await RegisterWorkflow("mig-5g.40gb");
        var before = await StoredEventCount();

        var problem = await Expect(HttpStatusCode.BadRequest, Post($"{Scope}/launchplans", LaunchPlanYaml));

        problem["title"]!.GetValue<string>().Should().Be("The launch plan asks for GPUs no node has.");
        var message = problem["errors"]![Pointer]![0]!.GetValue<string>();
        message.Should().Be("node 'tune' (task tune@v1): 1 × mig-5g.40gb can never be granted: no node has a mig-5g.40gb. The inventory has "
            + "dgx-a100-01: 4 × a100-40gb, 1 × mig-7g.40gb, 2 × mig-3g.20gb, 1 × mig-4g.20gb, 1 × mig-2g.10gb, 8 × mig-1g.5gb; spare-01: 1 × a100-40gb");
        (await StoredEventCount()).Should().Be(before);
        (await Get($"{Scope}/launchplans/tuning")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Activation_trigger_and_backfill_refuse_a_plan_the_shrunken_inventory_can_no_longer_serve_and_record_nothing()
    {
        await RegisterWorkflow("mig-3g.20gb");
        await Expect(HttpStatusCode.Created, Post($"{Scope}/launchplans", LaunchPlanYaml));
        await RemoveDgxNode();
        Clock.Set(Minute(5 * 60));

        var activate = await Expect(HttpStatusCode.BadRequest, PostJson($"{Scope}/launchplans/tuning/versions/v1/activate", new { reason = "start" }));
        var trigger = await Expect(HttpStatusCode.BadRequest, PostJson($"{Scope}/launchplans/tuning/trigger", new { version = "v1" }));
        var backfill = await Expect(HttpStatusCode.BadRequest,
            PostJson($"{Scope}/launchplans/tuning/versions/v1/backfill", new { from = Minute(60), to = Minute(4 * 60) }));

        foreach (var problem in new[] { activate, trigger, backfill })
        {
            problem["title"]!.GetValue<string>().Should().Be("The launch plan asks for GPUs no node has.");
            problem["errors"]![Pointer]![0]!.GetValue<string>().Should()
                .Be("node 'tune' (task tune@v1): 1 × mig-3g.20gb can never be granted: no node has a mig-3g.20gb. The inventory has spare-01: 1 × a100-40gb");
        }

        (await StoredEventCount(stream: Stream)).Should().Be(1, "only the registration: no activation, trigger or backfill was recorded");
        (await LaunchPlan("tuning"))["activeVersion"].Should().BeNull();
        (await Runs("tuning")).Should().BeEmpty();
    }

    [Fact]
    public async Task A_schedule_activated_while_the_inventory_served_it_keeps_firing_after_it_shrank_and_the_run_waits_saying_why()
    {
        await RegisterWorkflow("mig-3g.20gb");
        await Expect(HttpStatusCode.Created, Post($"{Scope}/launchplans", LaunchPlanYaml));
        await Transition("tuning", "v1", "activate");
        await RemoveDgxNode();

        Clock.Set(Minute(60));
        await WaitForRun("tuning", Minute(60));

        var run = (await Runs("tuning")).Single();
        JsonObject? waiting = null;
        await Eventually.Until(async () =>
        {
            var execution = await Expect(HttpStatusCode.OK, Get($"{Scope}/executions/{run.Id}"));
            waiting = execution["nodes"]![0]!["waiting"]?.AsObject();
            return waiting is not null;
        }, $"run {run.Id} to wait for its GPU with a reason", TimeSpan.FromSeconds(30));
        waiting!["reason"]!.GetValue<string>().Should().Be("every node with 1 × mig-3g.20gb is unavailable: node dgx-a100-01 gone (removed by admin)", waiting.ToJsonString());
    }

    private const string LaunchPlanYaml = """
        name: tuning
        version: v1
        workflow: tune@v1
        schedule: { cron: "0 * * * *", kickoffTimeInput: at }
        """;

    private async Task RegisterWorkflow(string profile)
    {
        await Expect(HttpStatusCode.Created, Post($"{Scope}/tasks", $$"""
            name: tune
            version: v1
            container: { image: local, command: [sh, -c, "true"] }
            inputs: { at: datetime }
            outputs: {}
            resources: { gpu: { profile: {{profile}} } }
            """));
        await Expect(HttpStatusCode.Created, Post($"{Scope}/workflows", """
            name: tune
            version: v1
            inputs: { at: datetime }
            nodes:
              - { id: tune, task: tune@v1, inputs: { at: "{{ inputs.at }}" } }
            """));
    }

    private async Task RemoveDgxNode() =>
        (await Http.DeleteAsync(new Uri("/api/v1/gpu-nodes/dgx-a100-01", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.NoContent);
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Orleans.Flyte.Api.Tests.LaunchPlans;

namespace Orleans.Flyte.Api.Tests.Identity;

/// <summary>Every event of a run names who answers for it: the token that submitted it, through every engine step of the
/// execution and its tasks.</summary>
public sealed class SubmitterOnEventsTests : ExecutionTestBase
{
    [Fact]
    public async Task A_run_submitted_with_a_token_carries_that_principal_on_every_event_of_the_execution_and_its_tasks()
    {
        await RegisterTask("first", "echo '{\"n\": 1}' > \"$FLYTE_OUTPUTS\"", outputs: "{ n: int }");
        await RegisterTask("second", "true", inputs: "{ n: int }");
        await RegisterWorkflow("""
            name: chain
            version: v1
            nodes:
              - { id: a, task: first@v1 }
              - { id: b, task: second@v1, inputs: { n: "{{ nodes.a.outputs.n }}" } }
            """);
        var created = await Http.PostAsJsonAsync(new Uri("/api/v1/tokens", UriKind.Relative), new { name = "ci-runner" });
        var token = (await created.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        (await Http.PostAsJsonAsync(new Uri($"{Scope}/role-bindings", UriKind.Relative), new { principal = "token:ci-runner", role = "submitter" })).EnsureSuccessStatusCode();
        using var ci = Factory.CreateClient();
        ci.DefaultRequestHeaders.Authorization = new("Bearer", token);

        var submitted = await ci.PostAsJsonAsync(new Uri($"{Scope}/executions", UriKind.Relative), new { workflow = "chain" });
        submitted.StatusCode.Should().Be(HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
        var id = (await Json(submitted))["id"]!.GetValue<string>();
        (await WaitForEnd(id))["phase"]!.GetValue<string>().Should().Be("Succeeded");

        var events = await StoredPrincipal.Of(Database.ConnectionString, $"execution/{id}");
        events.Select(e => e.Stream).Distinct().Should().HaveCount(3, "the execution and its two tasks");
        events.Should().OnlyContain(e => e.Responsible == "token:ci-runner", "every step of the run acts for whoever submitted it");
        events[0].Should().Be(new StoredPrincipal($"execution/{id}", "execution_accepted", "token:ci-runner", null));
        events.Where(e => e.Principal != "token:ci-runner").Should().NotBeEmpty()
            .And.OnlyContain(e => e.Principal.StartsWith("system:", StringComparison.Ordinal), "steps no one called for are the engine's, on the submitter's behalf");
    }
}

/// <summary>A scheduled fire acts for whoever activated the launch plan version.</summary>
public sealed class ActivatorOnScheduledRunsTests : LaunchPlanTestBase
{
    [Fact]
    public async Task A_scheduled_run_carries_the_principal_who_activated_the_version()
    {
        await Register("hourly-report", "cron: \"* * * * *\"");
        var created = await Http.PostAsJsonAsync(new Uri("/api/v1/tokens", UriKind.Relative), new { name = "release-manager" });
        var token = (await created.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        (await Http.PostAsJsonAsync(new Uri($"{Scope}/role-bindings", UriKind.Relative), new { principal = "token:release-manager", role = "admin" })).EnsureSuccessStatusCode();
        using var releaseManager = Factory.CreateClient();
        releaseManager.DefaultRequestHeaders.Authorization = new("Bearer", token);

        (await releaseManager.PostAsJsonAsync(new Uri($"{Scope}/launchplans/hourly-report/versions/v1/activate", UriKind.Relative), new { reason = "go live" }))
            .StatusCode.Should().Be(HttpStatusCode.OK);
        await StepTo(1, minute => WaitForRun("hourly-report", Minute(minute)));

        var plan = await StoredPrincipal.Of(Database.ConnectionString, "launchplan/lab/development/hourly-report");
        plan.Should().ContainEquivalentOf(new { Type = "launch_plan_activated", Principal = "token:release-manager", OnBehalfOf = (string?)null });
        plan.Should().ContainEquivalentOf(new { Type = "launch_plan_fired", Principal = "system:scheduler", OnBehalfOf = "token:release-manager" });
        var run = (await Runs("hourly-report")).Single();
        var accepted = (await StoredPrincipal.Of(Database.ConnectionString, $"execution/{run.Id}")).First();
        accepted.Should().Be(new StoredPrincipal($"execution/{run.Id}", "execution_accepted", "system:scheduler", "token:release-manager"));
        (await Json(await Get($"{Scope}/executions/{run.Id}")))["launchPlan"]!.GetValue<string>().Should().Be("hourly-report@v1", "the run records the version that fired");
    }
}

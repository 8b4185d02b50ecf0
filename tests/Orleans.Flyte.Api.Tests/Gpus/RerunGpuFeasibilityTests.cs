using System.Net;

namespace Orleans.Flyte.Api.Tests.Gpus;

/// <summary>
/// Relaunch and recover run a stored plan again, so they check it against today's inventory like a submission does:
/// a plan no node can serve any more is refused with the inventory in the message, and nothing is created.
/// </summary>
public sealed class RerunGpuFeasibilityTests : ExecutionTestBase
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(TestInventory.Settings("small-01", "mig:7x1g.5gb"))
    {
        ["Flyte:Gpus:Nodes:2:Name"] = "spare-01",
        ["Flyte:Gpus:Nodes:2:Gpus:0"] = "whole",
    };

    [Theory]
    [InlineData("relaunch")]
    [InlineData("recover")]
    public async Task A_rerun_of_a_plan_the_shrunken_inventory_can_no_longer_serve_is_refused_with_the_inventory(string action)
    {
        await RegisterTask("slice", "echo '{}' > \"$FLYTE_OUTPUTS\"", extra: "resources: { gpu: { profile: mig-1g.5gb } }");
        await RegisterWorkflow("""
            name: slice
            version: v1
            nodes: [ { id: only, task: slice@v1 } ]
            """);
        var id = await Submit("slice@v1");
        (await WaitForEnd(id))["phase"]!.GetValue<string>().Should().Be("Succeeded");
        (await Http.DeleteAsync(new Uri("/api/v1/gpu-nodes/small-01", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var response = await Http.PostAsync(new Uri($"{Scope}/executions/{id}/{action}", UriKind.Relative), null);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        var problem = await Json(response);
        problem["title"]!.GetValue<string>().Should().Be("The submission asks for GPUs no node has.");
        problem["errors"]!["/workflow/nodes/only/resources/gpu"]![0]!.GetValue<string>().Should().Be(
            "node 'only' (task slice@v1): 1 × mig-1g.5gb can never be granted: no node has a mig-1g.5gb. The inventory has spare-01: 1 × a100-40gb");
        (await Json(await Get($"{Scope}/executions")))["items"]!.AsArray().Should().ContainSingle("nothing was created");
    }
}

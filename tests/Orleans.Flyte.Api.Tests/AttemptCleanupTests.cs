namespace Orleans.Flyte.Api.Tests;

/// <summary>Attempt work directories go once their result is recorded; the log tail stays in the store.</summary>
public sealed class AttemptCleanupTests : ExecutionTestBase
{
    private const int Retained = 2;

    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string>
    {
        ["Flyte:Runners:Local:RetainAttemptDirectories"] = Retained.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task After_many_runs_the_work_root_holds_no_more_than_the_retention_and_every_log_is_still_served()
    {
        await RegisterTask("hello", "echo \"hello from $FLYTE_EXECUTION_ID\"; echo warn >&2; echo '{}' > \"$FLYTE_OUTPUTS\"");
        await RegisterWorkflow("name: hello\nversion: v1\nnodes: [ { id: say, task: hello@v1 } ]\n");

        var ids = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            ids.Add(await Submit("hello@v1"));
        }

        foreach (var id in ids)
        {
            (await WaitForEnd(id))["phase"]!.GetValue<string>().Should().Be("Succeeded");
        }

        await Orleans.Flyte.Testing.Eventually.Until(
            () => Directory.GetFileSystemEntries(Factory.WorkRoot).Length <= Retained,
            $"at most {Retained} attempt directories in {Factory.WorkRoot}", TimeSpan.FromSeconds(30));
        var first = await Json(await Get($"{Scope}/executions/{ids[0]}/nodes/say/attempts/1/logs"));
        first["stdout"]!.GetValue<string>().Should().Be($"hello from {ids[0]}\n", "the log tail is kept in the store");
        first["stderr"]!.GetValue<string>().Should().Be("warn\n");
    }
}

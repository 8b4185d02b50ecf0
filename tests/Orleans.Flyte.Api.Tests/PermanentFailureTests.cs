namespace Orleans.Flyte.Api.Tests;

/// <summary>Retries are for failures that might pass: one that cannot fails the node at once, with the reason.</summary>
public sealed class PermanentFailureTests : ExecutionTestBase
{
    [Fact]
    public async Task A_task_whose_executable_does_not_exist_fails_at_once_without_spending_its_retries()
    {
        var yaml = """
            name: missing
            version: v1
            container: { image: local, command: [/nonexistent/train-model, --epochs, "3"] }
            retries: 3
            """;
        (await Post($"{Scope}/tasks", yaml)).EnsureSuccessStatusCode();
        await RegisterWorkflow("name: missing\nversion: v1\nnodes: [ { id: train, task: missing@v1 } ]\n");

        var done = await WaitForEnd(await Submit("missing@v1"));

        done["phase"]!.GetValue<string>().Should().Be("Failed");
        var attempt = Node(done, "train")["attempts"]!.AsArray().Should().ContainSingle("no retry can find the executable").Subject!;
        attempt["error"]!.GetValue<string>().Should().Contain("/nonexistent/train-model").And.Contain("not retried");
    }
}

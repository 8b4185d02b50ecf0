using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Grains.Submissions;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests;

/// <summary>
/// Submissions wait their turn on a busy server, and a caller with too many waiting is told to come back later with a 429
/// problem and a Retry-After; nothing of a refused submission is stored. One turn and one waiting place per caller here,
/// so the limits are reached with a handful of requests.
/// </summary>
public sealed class SubmissionAdmissionApiTests : ExecutionTestBase
{
    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string>
    {
        ["Flyte:Submissions:MaxConcurrent"] = "1",
        ["Flyte:Submissions:MaxWaitingPerCaller"] = "1",
        ["Flyte:Submissions:MaxWaiting"] = "10",
        ["Flyte:RequestTimeout"] = "00:00:03",
    };

    [Fact]
    public async Task A_caller_with_too_many_submissions_waiting_gets_a_429_with_retry_after_and_nothing_is_stored()
    {
        var admission = await RegisterOneNode("one");

        // Someone else holds the server's only turn: the admin's first submission waits, the second finds its queue full.
        var elsewhere = await admission.EnterAsync("someone-else");
        var waiting = Http.PostAsJsonAsync(new Uri($"{Scope}/executions", UriKind.Relative), new { workflow = "one@v1" });
        await Eventually.Until(() => Task.FromResult(admission.Waiting), n => n == 1, "the first submission to wait for its turn", TimeSpan.FromSeconds(30));
        var eventsBefore = await StoredEventCount();

        using var refused = await Http.PostAsJsonAsync(new Uri($"{Scope}/executions", UriKind.Relative), new { workflow = "one@v1" });

        refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, await refused.Content.ReadAsStringAsync());
        refused.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        refused.Headers.RetryAfter!.Delta.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        var problem = await Json(refused);
        problem["status"]!.GetValue<int>().Should().Be(429);
        problem["title"]!.GetValue<string>().Should().Be("Too many requests.");
        problem["detail"]!.GetValue<string>().Should().Contain("1 of your submissions are already waiting").And.Contain("Nothing was stored");
        problem["retryAfterSeconds"]!.GetValue<long>().Should().Be((long)refused.Headers.RetryAfter.Delta!.Value.TotalSeconds);
        (await StoredEventCount()).Should().Be(eventsBefore, "a refused submission stores nothing");
        waiting.IsCompleted.Should().BeFalse("the waiting submission is still waiting for the held turn");

        // The turn ends: the waiting submission is taken on, and the refused one goes through when sent again.
        elsewhere.Turn!.Dispose();
        using (var accepted = await waiting)
        {
            accepted.StatusCode.Should().Be(HttpStatusCode.Accepted, await accepted.Content.ReadAsStringAsync());
            await WaitForEnd((await Json(accepted))["id"]!.GetValue<string>());
        }

        var again = await Submit("one@v1");
        (await WaitForEnd(again))["phase"]!.GetValue<string>().Should().Be("Succeeded");
        admission.Running.Should().Be(0);
        admission.Waiting.Should().Be(0);
    }

    [Fact]
    public async Task A_submission_still_waiting_when_the_call_answers_503_leaves_the_queue_and_is_never_created()
    {
        var admission = await RegisterOneNode("late");
        var eventsBefore = await StoredEventCount();
        var elsewhere = await admission.EnterAsync("someone-else");

        using var timedOut = await Http.PostAsJsonAsync(new Uri($"{Scope}/executions", UriKind.Relative), new { workflow = "late@v1" });

        timedOut.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, await timedOut.Content.ReadAsStringAsync());
        await Eventually.Until(() => Task.FromResult(admission.Waiting), n => n == 0, "the timed-out submission to leave the queue", TimeSpan.FromSeconds(30));
        elsewhere.Turn!.Dispose();
        admission.Running.Should().Be(0, "nobody was waiting any more, so the ended turn went to no one");
        (await Json(await Get($"{Scope}/executions?workflow=late")))["items"]!.AsArray().Should().BeEmpty();
        (await StoredEventCount()).Should().Be(eventsBefore, "the submission was never created");
    }

    /// <summary>Registers a workflow of one node running <c>true</c>, and returns the platform's admission.</summary>
    private async Task<SubmissionAdmission> RegisterOneNode(string workflow)
    {
        await RegisterTask("noop", "true");
        await RegisterWorkflow($$"""
            name: {{workflow}}
            version: v1
            nodes:
              - { id: only, task: noop@v1 }
            """);
        return Factory.Services.GetRequiredService<SubmissionAdmission>();
    }
}

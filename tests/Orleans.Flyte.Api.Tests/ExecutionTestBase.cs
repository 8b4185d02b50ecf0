using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Api.Tests;

/// <summary>Executions through HTTP, with tasks that are real local processes (sh scripts).</summary>
public abstract class ExecutionTestBase : ApiTestBase
{
    protected const string Scope = "/api/v1/projects/lab/domains/development";

    /// <summary>A scratch folder tasks can write markers into (pids, run counters).</summary>
    protected string Scratch { get; } = Orleans.Flyte.Testing.ScratchDirectories.Create("scratch");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (await CreateProject("lab")).EnsureSuccessStatusCode();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(Scratch, recursive: true);
    }

    /// <summary>Registers a task whose command is <c>sh -c script</c>.</summary>
    protected async Task RegisterTask(string name, string script, string inputs = "{}", string outputs = "{}", string extra = "")
    {
        var yaml = $"""
            name: {name}
            version: v1
            container: {"{"} image: local, command: [sh, -c, {JsonValue.Create(script).ToJsonString()}] {"}"}
            inputs: {inputs}
            outputs: {outputs}
            {extra}
            """;
        var response = await Post($"{Scope}/tasks", yaml);
        response.StatusCode.Should().BeOneOf([HttpStatusCode.Created, HttpStatusCode.OK], await response.Content.ReadAsStringAsync());
    }

    protected async Task RegisterWorkflow(string yaml)
    {
        var response = await Post($"{Scope}/workflows", yaml);
        response.StatusCode.Should().BeOneOf([HttpStatusCode.Created, HttpStatusCode.OK], await response.Content.ReadAsStringAsync());
    }

    protected async Task<string> Submit(string workflow, object? inputs = null, string? idempotencyKey = null, bool overwriteCache = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Scope}/executions")
        {
            Content = JsonContent.Create(new { workflow, inputs, overwriteCache }),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        var response = await Http.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await Json(response))["id"]!.GetValue<string>();
    }

    protected async Task<JsonObject> Execution(string id) => await Json(await Get($"{Scope}/executions/{id}"));

    /// <summary>Polls until the execution reaches one of <paramref name="phases"/>; fails saying what it last saw.</summary>
    protected async Task<JsonObject> WaitFor(string id, TimeSpan timeout, params string[] phases)
    {
        var deadline = Stopwatch.StartNew();
        JsonObject last;
        do
        {
            last = await Execution(id);
            if (phases.Contains(last["phase"]!.GetValue<string>()))
            {
                return last;
            }

            await Task.Delay(50);
        }
        while (deadline.Elapsed < timeout);

        throw new TimeoutException($"Execution {id} did not reach {string.Join("/", phases)} within {timeout}; last seen: {last.ToJsonString()}");
    }

    protected Task<JsonObject> WaitForEnd(string id, int seconds = 60) =>
        WaitFor(id, TimeSpan.FromSeconds(seconds), "Succeeded", "Failed", "Aborted", "TimedOut");

    protected static JsonObject Node(JsonObject execution, string id) =>
        execution["nodes"]!.AsArray().Single(n => n!["id"]!.GetValue<string>() == id)!.AsObject();

    protected static bool ProcessAlive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    protected static async Task<int> WaitForPidFile(string path, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (File.Exists(path) && int.TryParse((await File.ReadAllTextAsync(path)).Trim(), out var pid))
            {
                return pid;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"No pid was written to {path} within {timeout}.");
    }
}

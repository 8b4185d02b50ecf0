using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Orleans.Flyte.Testing;

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
    protected Task<JsonObject> WaitFor(string id, TimeSpan timeout, params string[] phases) => Eventually.Until(
        () => Execution(id),
        last => phases.Contains(last["phase"]!.GetValue<string>()),
        $"execution {id} to reach {string.Join("/", phases)}",
        timeout,
        describe: last => last.ToJsonString());

    protected Task<JsonObject> WaitForEnd(string id, int seconds = 60) =>
        WaitFor(id, TimeSpan.FromSeconds(seconds), "Succeeded", "Failed", "Aborted", "TimedOut");

    protected static JsonObject Node(JsonObject execution, string id) =>
        execution["nodes"]!.AsArray().Single(n => n!["id"]!.GetValue<string>() == id)!.AsObject();

    protected static bool ProcessAlive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    /// <summary>Waits until a task wrote its process id to <paramref name="path"/>.</summary>
    protected static async Task<int> WaitForPidFile(string path, TimeSpan timeout) =>
        int.Parse(await WaitForFile(path, timeout, text => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)), CultureInfo.InvariantCulture);

    /// <summary>Waits until a task wrote <paramref name="path"/> (non-empty, and <paramref name="complete"/> when given) and
    /// returns its text, trimmed.</summary>
    protected static Task<string> WaitForFile(string path, TimeSpan timeout, Func<string, bool>? complete = null) => Eventually.Until(
        async () => File.Exists(path) ? (await File.ReadAllTextAsync(path)).Trim() : string.Empty,
        text => text.Length > 0 && (complete is null || complete(text)),
        $"{path} to be written",
        timeout);
}

using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.Clustering;
using Orleans.Flyte.Grains.Executions;
using Orleans.Flyte.Grains.Hosting;
using Orleans.Flyte.Grains.Runners.Local;
using Orleans.Flyte.Grains.Tests.Clustering;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.Executions;

/// <summary>
/// Real silos (TCP, PostgreSQL membership and reminders) sharing one database and one attempt directory:
/// one silo disappears without shutting down while executions run, a new one starts, and everything finishes.
/// </summary>
public sealed class SiloCrashTests : IAsyncLifetime
{
    private const string Step = """
        echo "start $FLYTE_ATTEMPT_ID $(date +%s%N)" >> "$FLYTE_INPUT_DIR/log"
        sleep 1
        echo "end $FLYTE_ATTEMPT_ID $(date +%s%N)" >> "$FLYTE_INPUT_DIR/log"
        echo '{"done": true}' > "$FLYTE_OUTPUTS"
        """;

    private readonly string _clusterId = "crash-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _workRoot = ScratchDirectories.Create("crash-work");
    private readonly string _scratch = ScratchDirectories.Create("crash-scratch");
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("crash");

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_workRoot, recursive: true);
        Directory.Delete(_scratch, recursive: true);
    }

    [Fact]
    public async Task Executions_in_flight_when_a_silo_dies_all_finish_and_no_attempt_runs_twice_at_once()
    {
        using var survivor = await StartSilo();
        var doomed = await StartSilo();
        var grains = survivor.Services.GetRequiredService<IGrainFactory>();
        var ids = Enumerable.Range(0, 8).Select(_ => ExecutionIds.New()).ToList();
        await Task.WhenAll(ids.Select(id => grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("lab", "development", id)).Create(Command())));
        await Eventually.Until(() => File.Exists(LogPath) && File.ReadAllLines(LogPath).Count(l => l.StartsWith("start", StringComparison.Ordinal)) >= 4,
            "attempts to be running", TimeSpan.FromSeconds(60));

        var crashedAt = DateTimeOffset.UtcNow;
        doomed.Dispose(); // no graceful shutdown: its grains, timers and processes vanish
        using var replacement = await StartSilo();

        await Eventually.Until(
            async () => (await Task.WhenAll(ids.Select(View))).All(v => v.Phase.IsTerminal()),
            "every execution to reach a terminal phase",
            TimeSpan.FromSeconds(120));

        var views = await Task.WhenAll(ids.Select(View));
        views.Should().OnlyContain(v => v.Phase == WorkflowPhase.Succeeded, string.Join("; ", views.Select(v => $"{v.ExecutionId}: {v.Phase} {v.Error}")));
        NoAttemptOverlaps(crashedAt);
        await survivor.StopAsync();
        await replacement.StopAsync();
    }

    private string LogPath => Path.Combine(_scratch, "log");

    private async Task<ExecutionView> View(string id) =>
        (await _lastStarted!.Services.GetRequiredService<IGrainFactory>()
            .GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("lab", "development", id)).Get())!;

    /// <summary>
    /// Per node, an attempt starts only after the previous one ended (or was killed with its silo). A node may run more
    /// than once: an attempt lost with its silo is retried, even if it had got as far as writing its outputs.
    /// </summary>
    private void NoAttemptOverlaps(DateTimeOffset crashedAt)
    {
        var events = File.ReadAllLines(LogPath).Select(l => l.Split(' ')).Select(p => (Kind: p[0], Attempt: p[1], At: long.Parse(p[2], CultureInfo.InvariantCulture))).ToList();
        var crashNanos = crashedAt.ToUnixTimeMilliseconds() * 1_000_000;
        foreach (var node in events.GroupBy(e => e.Attempt[..e.Attempt.LastIndexOf('.')]))
        {
            var attempts = node.GroupBy(e => e.Attempt)
                .Select(a => (Start: a.First(e => e.Kind == "start").At, End: a.Where(e => e.Kind == "end").Select(e => (long?)e.At).FirstOrDefault() ?? crashNanos))
                .OrderBy(a => a.Start)
                .ToList();
            for (var i = 1; i < attempts.Count; i++)
            {
                attempts[i].Start.Should().BeGreaterThanOrEqualTo(attempts[i - 1].End, $"attempts of {node.Key} must not overlap");
            }

            node.Count(e => e.Kind == "end").Should().BeGreaterThanOrEqualTo(1, $"node {node.Key} completed");
        }
    }

    private IHost? _lastStarted;

    private CreateExecution Command()
    {
        var task = TaskSpecReader.Read(SpecDocument.Parse($$"""
            name: step
            version: v1
            container: { image: local, command: [sh, -c, {{JsonValue.Create(Step).ToJsonString()}}] }
            inputs: { dir: string }
            outputs: { done: bool }
            retries: 3
            """).Value!).Value!;
        var workflow = WorkflowSpecReader.Read(SpecDocument.Parse("""
            name: chain
            version: v1
            inputs: { dir: string }
            nodes:
              - { id: first, task: step@v1, inputs: { dir: "{{ inputs.dir }}" } }
              - { id: second, task: step@v1, inputs: { dir: "{{ inputs.dir }}" }, after: [first] }
            """).Value!).Value!;
        var spec = CanonicalJson.Serialize(task.ToJson());
        var plan = ExecutionPlanCompiler.Compile(workflow, new Dictionary<string, string> { ["step@v1"] = "step@v1" }, _ => spec);
        return new CreateExecution("lab", "development", plan, new JsonObject { ["dir"] = _scratch }.ToJsonString(), null, false, null, null,
            new Dictionary<string, string>(), null, null);
    }

    private async Task<IHost> StartSilo() =>
        _lastStarted = await PostgresSilo.StartAsync(_database.ConnectionString, _clusterId, _workRoot, services =>
            services.Configure<ExecutionEngineOptions>(o =>
            {
                o.ReminderPeriod = TimeSpan.FromSeconds(2);
                o.RetryBaseDelay = TimeSpan.FromMilliseconds(100);
            }));
}

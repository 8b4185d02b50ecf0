using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Grains.Executions;
using Orleans.Flyte.Grains.Tests.Clustering;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.Executions;

/// <summary>
/// What the silo-crash tests share: real silos (TCP, PostgreSQL membership and reminders) on one database and one attempt
/// directory, and the log their tasks write (<c>start|end ATTEMPT_ID NANOS</c> lines in <c>$FLYTE_INPUT_DIR/log</c>),
/// read back as each attempt's run.
/// </summary>
public abstract class SiloCrashTestBase(string name) : IAsyncLifetime
{
    /// <summary>One attempt's run: from its start line to its end line, or to the crash when it never wrote one.</summary>
    protected readonly record struct AttemptRun(string Attempt, long Start, long End, bool Ended)
    {
        /// <summary>The node (or map element) the attempt ran for: its id without the attempt number.</summary>
        public string Node => Attempt[..Attempt.LastIndexOf('.')];
    }

    private readonly string _clusterId = $"{name}-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _workRoot = ScratchDirectories.Create($"{name}-work");
    private TestDatabase _database = null!;

    /// <summary>The tasks' input directory, where they write their log.</summary>
    protected string Scratch { get; } = ScratchDirectories.Create($"{name}-scratch");

    /// <summary>A task script that logs its start and end (to <see cref="LogPath"/>, read by <see cref="AttemptRuns"/>)
    /// around one second of work, then writes <paramref name="outputs"/> (a shell word) as its outputs.</summary>
    protected static string LoggedStep(string outputs) => $$"""
        echo "start $FLYTE_ATTEMPT_ID $(date +%s%N)" >> "$FLYTE_INPUT_DIR/log"
        sleep 1
        echo "end $FLYTE_ATTEMPT_ID $(date +%s%N)" >> "$FLYTE_INPUT_DIR/log"
        echo {{outputs}} > "$FLYTE_OUTPUTS"
        """;

    protected string LogPath => Path.Combine(Scratch, "log");

    /// <summary>The silo started last: the one a test asks after the crash.</summary>
    protected IHost LastStarted { get; private set; } = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync(name);

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_workRoot, recursive: true);
        Directory.Delete(Scratch, recursive: true);
    }

    protected async Task<IHost> StartSilo() =>
        LastStarted = await PostgresSilo.StartAsync(_database.ConnectionString, _clusterId, _workRoot, services =>
            services.Configure<ExecutionEngineOptions>(o =>
            {
                o.ReminderPeriod = TimeSpan.FromSeconds(2);
                o.RetryBaseDelay = TimeSpan.FromMilliseconds(100);
            }));

    /// <summary>
    /// The crash the single-execution tests share: two silos; the execution is created through the one that will die (so,
    /// placement allowing, it is driven from there), which is killed without shutdown once <paramref name="endedBeforeCrash"/>
    /// steps have ended; a replacement starts, and the execution is awaited to a terminal phase. The two silos left stay up
    /// (for the test to ask them more) until the result is disposed.
    /// </summary>
    protected async Task<CrashedRun> CrashMidRun(CreateExecution command, int endedBeforeCrash, string waitingFor)
    {
        var survivor = await StartSilo();
        IHost? replacement = null;
        try
        {
            var doomed = await StartSilo();
            var id = ExecutionIds.New();
            await doomed.Services.GetRequiredService<IGrainFactory>()
                .GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("lab", "development", id)).Create(command);
            await Eventually.Until(() => LoggedLines("end") >= endedBeforeCrash, waitingFor, TimeSpan.FromSeconds(60));

            var crashedAt = DateTimeOffset.UtcNow;
            doomed.Dispose(); // no graceful shutdown: its grains, timers and processes vanish
            replacement = await StartSilo();

            var view = await Eventually.Until(
                () => View(id),
                v => v!.Phase.IsTerminal(),
                "the execution to reach a terminal phase",
                TimeSpan.FromSeconds(120),
                describe: v => $"{v?.Phase} {v?.Error}",
                notYet: ex => ex is OrleansException or TimeoutException);
            return new CrashedRun(id, view!, AttemptRuns(crashedAt), survivor, replacement);
        }
        catch
        {
            replacement?.Dispose();
            survivor.Dispose();
            throw;
        }
    }

    /// <summary>What <see cref="CrashMidRun"/> left: the execution, its terminal view, its attempts' runs; disposing it
    /// stops the two silos still up.</summary>
    protected sealed class CrashedRun(string id, ExecutionView view, List<AttemptRun> runs, IHost survivor, IHost replacement) : IAsyncDisposable
    {
        public string Id => id;

        public ExecutionView View => view;

        public List<AttemptRun> Runs => runs;

        public async ValueTask DisposeAsync()
        {
            await survivor.StopAsync();
            await replacement.StopAsync();
            survivor.Dispose();
            replacement.Dispose();
        }
    }

    protected Task<ExecutionView?> View(string id) =>
        LastStarted.Services.GetRequiredService<IGrainFactory>().GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("lab", "development", id)).Get();

    protected int LoggedLines(string kind) =>
        File.Exists(LogPath) ? File.ReadAllLines(LogPath).Count(l => l.StartsWith(kind, StringComparison.Ordinal)) : 0;

    /// <summary>Every attempt's run, from the lines it wrote; one that never wrote its end ran until the crash.</summary>
    protected List<AttemptRun> AttemptRuns(DateTimeOffset crashedAt)
    {
        var crashNanos = crashedAt.ToUnixTimeMilliseconds() * 1_000_000;
        return [.. File.ReadAllLines(LogPath).Select(l => l.Split(' '))
            .Select(p => (Kind: p[0], Attempt: p[1], At: long.Parse(p[2], CultureInfo.InvariantCulture)))
            .GroupBy(e => e.Attempt)
            .Select(a =>
            {
                var end = a.Where(e => e.Kind == "end").Select(e => (long?)e.At).FirstOrDefault();
                return new AttemptRun(a.Key, a.First(e => e.Kind == "start").At, end ?? crashNanos, end is not null);
            })];
    }

    /// <summary>Per node (or element), an attempt starts only after the previous one ended or was killed with its silo.</summary>
    protected static void NoOverlapPerNode(IEnumerable<AttemptRun> runs)
    {
        foreach (var node in runs.GroupBy(r => r.Node))
        {
            var attempts = node.OrderBy(a => a.Start).ToList();
            for (var i = 1; i < attempts.Count; i++)
            {
                attempts[i].Start.Should().BeGreaterThanOrEqualTo(attempts[i - 1].End, $"attempts of {node.Key} must not overlap");
            }
        }
    }
}

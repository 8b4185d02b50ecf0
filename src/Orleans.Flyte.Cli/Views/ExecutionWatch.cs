using System.Diagnostics;
using System.Text.Json.Nodes;
using Orleans.Flyte.Cli.Commands;
using Orleans.Flyte.Cli.Output;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Orleans.Flyte.Cli.Views;

/// <summary>
/// Follows an execution until it ends: live node phases on a terminal, one line per change when piped; then the
/// outcome and outputs. The exit code says how it ended (0 succeeded, 10 failed, 11 aborted, 12 timed out).
/// </summary>
public static class ExecutionWatch
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Consecutive unreachable polls tolerated (a restarting platform) before the watch gives up.</summary>
    private const int MaxConsecutiveFailures = 10;

    public static async Task<int> Run(CliContext context, string id, TimeSpan timeout)
    {
        var path = $"{context.Scope}/executions/{CliContext.Segment(id)}";
        var clock = Stopwatch.StartNew();
        var failures = 0;

        async Task<JsonNode> Poll()
        {
            while (true)
            {
                try
                {
                    var execution = await context.Api.Get(path, context.Cancellation) ?? throw new CliException($"the API returned no execution for {id}");
                    failures = 0;
                    return execution;
                }
                catch (CliException e) when (e.ExitCode == ExitCodes.Unreachable && ++failures < MaxConsecutiveFailures)
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(failures, 5)), context.Cancellation);
                }
            }
        }

        bool Ended(JsonNode execution) => ExitCodes.ForPhase(execution.Str("phase")) is not null;

        JsonNode last;
        try
        {
            if (!context.Tables)
            {
                last = await Poll();
                while (!Ended(last) && clock.Elapsed < timeout)
                {
                    await Task.Delay(PollInterval, context.Cancellation);
                    last = await Poll();
                }

                context.Terminal.Data(last, context.Format);
            }
            else if (context.Terminal.Ansi is { } ansi)
            {
                last = await Poll();
                var current = last;
                await ansi.Live(Live(current, clock.Elapsed)).AutoClear(false).StartAsync(async live =>
                {
                    while (!Ended(current) && clock.Elapsed < timeout)
                    {
                        await Task.Delay(PollInterval, context.Cancellation);
                        current = await Poll();
                        live.UpdateTarget(Live(current, clock.Elapsed));
                    }
                });
                last = current;
            }
            else
            {
                last = await Poll();
                context.Terminal.Line($"execution {id} ({last.Str("workflow")}, {last.Str("project")}/{last.Str("domain")})");
                var seen = new Dictionary<string, string>(StringComparer.Ordinal);
                var width = last.Items("nodes").Select(n => n.Str("id")?.Length ?? 0).DefaultIfEmpty(4).Max();
                PrintChanges(context.Terminal, last, seen, width);
                while (!Ended(last) && clock.Elapsed < timeout)
                {
                    await Task.Delay(PollInterval, context.Cancellation);
                    last = await Poll();
                    PrintChanges(context.Terminal, last, seen, width);
                }
            }
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            context.Terminal.Note($"stopped watching; execution {id} goes on (orleans-flyte describe {id})");
            return ExitCodes.Interrupted;
        }

        if (ExitCodes.ForPhase(last.Str("phase")) is not { } code)
        {
            context.Terminal.Note($"execution {id} is still {last.Str("phase")} after {JsonFields.Duration(timeout)}; it goes on (orleans-flyte describe {id} --watch)");
            return ExitCodes.StillRunning;
        }

        if (context.Tables)
        {
            Summary(context.Terminal, last);
        }

        return code;
    }

    /// <summary>One line per node whose phase, attempt or waiting reason changed since the last poll.</summary>
    private static void PrintChanges(Terminal terminal, JsonNode execution, Dictionary<string, string> seen, int width)
    {
        foreach (var node in execution.Items("nodes"))
        {
            var id = node.Str("id") ?? "?";
            var phase = node.Str("phase") ?? "?";
            var attempts = node.Items("attempts").Count;
            var detail = node["waiting"] is JsonNode waiting ? waiting.Str("reason") : node.Str("error");
            var state = $"{phase}|{attempts}|{detail}";
            if (phase == "NotReady" || (seen.TryGetValue(id, out var before) && before == state))
            {
                continue;
            }

            seen[id] = state;
            var attempt = attempts > 1 ? $" (attempt {attempts})" : string.Empty;
            terminal.Line($"{id.PadRight(width)}  {phase}{attempt}{(detail is null ? string.Empty : "  " + detail)}");
        }
    }

    private static void Summary(Terminal terminal, JsonNode execution)
    {
        var phase = execution.Str("phase");
        var took = JsonFields.Elapsed(execution.Time("startedAt") ?? execution.Time("createdAt"), execution.Time("finishedAt"), DateTimeOffset.UtcNow);
        terminal.Line($"{phase} in {took}", Styles.Phase(phase).Style);
        if (execution.Str("error") is { } error)
        {
            terminal.Line(error, "red");
        }

        foreach (var node in execution.Items("nodes").Where(n => n.Str("phase") is "Failed" or "TimedOut"))
        {
            terminal.Line($"logs: orleans-flyte logs {execution.Str("id")} {node.Str("id")}", "grey");
        }

        if (execution["outputs"] is JsonObject { Count: > 0 } outputs)
        {
            terminal.Line("outputs:");
            foreach (var line in JsonFields.Assignments(outputs))
            {
                terminal.Line("  " + line);
            }
        }
    }

    private static Rows Live(JsonNode execution, TimeSpan watched)
    {
        var phase = execution.Str("phase");
        var header = new Markup(
            $"[bold]{Markup.Escape(execution.Str("id") ?? string.Empty)}[/]  {Markup.Escape(execution.Str("workflow") ?? string.Empty)}  " +
            $"[{Styles.Phase(phase).Style ?? "default"}]{Markup.Escape(phase ?? string.Empty)}[/]  [grey]{JsonFields.Duration(watched)}[/]");
        return new Rows(header, Terminal.Render(ExecutionViews.Nodes(execution, DateTimeOffset.UtcNow)));
    }
}

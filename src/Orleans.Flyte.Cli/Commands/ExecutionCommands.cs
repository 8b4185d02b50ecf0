using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Orleans.Flyte.Cli.Http;
using Orleans.Flyte.Cli.Inputs;
using Orleans.Flyte.Cli.Views;

namespace Orleans.Flyte.Cli.Commands;

/// <summary>Running workflows and looking after executions: run, describe, logs, abort, relaunch, recover.</summary>
public static class ExecutionCommands
{
    private const string IdempotencyHeader = "Idempotency-Key";

    public static Command Run(GlobalOptions globals)
    {
        var workflow = new Argument<string>("WORKFLOW") { Description = "name@version, or name for its latest version" };
        var inputs = new Option<string[]>("--input", "-i")
        {
            Description = "An input as NAME=VALUE (repeatable). VALUE is JSON when it parses (10, true, [1,2]), else text; NAME=@FILE reads it from a file",
            HelpName = "NAME=VALUE",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var inputsFile = new Option<string?>("--inputs") { Description = "A YAML or JSON file of inputs (-i values override it)", HelpName = "FILE" };
        var watch = WatchOption();
        var timeout = TimeoutOption();
        var key = KeyOption();
        var overwriteCache = new Option<bool>("--overwrite-cache") { Description = "Run cacheable tasks even on a cache hit, and replace the cached outputs" };
        var priority = new Option<int?>("--priority") { Description = "-100..100: added to the domain's priority while this run's tasks wait for GPUs" };
        var quiet = QuietOption();

        return new Command("run", "Run a workflow. With --watch, follow it to the end; the exit code says how it ended (0 succeeded, 10 failed, 11 aborted, 12 timed out).")
            .With(workflow, inputs, inputsFile, watch, timeout, key, overwriteCache, priority, quiet)
            .Runs(globals, async context =>
            {
                var waitFor = WatchTimeout(context, timeout);
                var values = InputValues.Parse(context.Get(inputs) ?? [], context.Get(inputsFile), context.WorkingDirectory);
                var body = new JsonObject { ["workflow"] = context.Get(workflow), ["inputs"] = values };
                if (context.Get(overwriteCache))
                {
                    body["overwriteCache"] = true;
                }

                if (context.Get(priority) is { } p)
                {
                    body["priority"] = p;
                }

                var created = await context.Api.Post($"{context.Scope}/executions", body, context.Cancellation, Headers(context.Get(key)));
                return await Submitted(context, created, context.Get(watch), waitFor, context.Get(quiet));
            });
    }

    public static Command Describe(GlobalOptions globals)
    {
        var id = ExecutionArgument();
        var watch = WatchOption();
        var timeout = TimeoutOption();
        return new Command("describe", "An execution: phase, inputs, every node with why it waits or failed, attempts with their GPUs, outputs.")
            .With(id, watch, timeout)
            .Runs(globals, async context =>
            {
                var execution = context.Value(id);
                if (context.Get(watch))
                {
                    return await ExecutionWatch.Run(context, execution, WatchTimeout(context, timeout));
                }

                var view = await context.Api.Get(ExecutionPath(context, execution), context.Cancellation);
                if (!context.Tables)
                {
                    context.Terminal.Data(view, context.Format);
                }
                else
                {
                    ExecutionViews.Describe(context.Terminal, view, DateTimeOffset.UtcNow);
                }

                return ExitCodes.Ok;
            });
    }

    public static Command Logs(GlobalOptions globals)
    {
        var id = ExecutionArgument();
        var node = new Argument<string>("NODE") { Description = "The node (step) of the workflow" };
        var attempt = new Option<int?>("--attempt") { Description = "Which attempt (default: the latest)", HelpName = "N" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new output until the attempt ends" };
        var timeout = TimeoutOption("How long --follow waits at most");
        return new Command("logs", "stdout and stderr of a node's attempt (stdout to stdout, stderr to stderr).")
            .With(id, node, attempt, follow, timeout)
            .Runs(globals, context => AttemptLogs.Show(context, context.Value(id), context.Value(node), context.Get(attempt), context.Get(follow), WatchTimeout(context, timeout)));
    }

    public static Command Abort(GlobalOptions globals)
    {
        var id = ExecutionArgument();
        var reason = ReasonOption();
        return new Command("abort", "Abort an execution: every running node is stopped and its process killed.")
            .With(id, reason)
            .Runs(globals, async context =>
            {
                var body = new JsonObject();
                if (context.Get(reason) is { } why)
                {
                    body["reason"] = why;
                }

                var execution = await context.Api.Post($"{ExecutionPath(context, context.Value(id))}/abort", body, context.Cancellation);
                if (!context.Tables)
                {
                    context.Terminal.Data(execution, context.Format);
                }
                else
                {
                    context.Terminal.Line($"execution {execution.Str("id")}: {execution.Str("phase")}");
                }

                return ExitCodes.Ok;
            });
    }

    public static Command Relaunch(GlobalOptions globals) => Rerun(globals, "relaunch",
        "Run an execution again as a new one: same inputs, same pinned versions.");

    public static Command Recover(GlobalOptions globals) => Rerun(globals, "recover",
        "Run an ended execution again as a new one, reusing the outputs of the nodes that succeeded.");

    public static string ExecutionPath(CliContext context, string id) => $"{context.Scope}/executions/{CliContext.Segment(id)}";

    public static Argument<string> ExecutionArgument() => new("EXECUTION") { Description = "The execution id" };

    public static Option<bool> WatchOption() => new("--watch", "-w") { Description = "Follow the execution live until it ends; the exit code says how it ended" };

    public static Option<string?> TimeoutOption(string description = "How long --watch follows at most (e.g. 30m, 2h; default 24h)") =>
        new("--timeout") { Description = description, HelpName = "DURATION" };

    public static Option<bool> QuietOption() => new("--quiet", "-q") { Description = "Print only the execution id" };

    public static Option<string?> KeyOption() => new("--idempotency-key")
    {
        Description = "Retrying with the same key returns the execution the first call created instead of starting another",
        HelpName = "KEY",
    };

    public static Option<string?> ReasonOption() => new("--reason") { Description = "Why (recorded with who asked)", HelpName = "TEXT" };

    public static IReadOnlyDictionary<string, string>? Headers(string? idempotencyKey) =>
        string.IsNullOrEmpty(idempotencyKey) ? null : new Dictionary<string, string> { [IdempotencyHeader] = idempotencyKey };

    public static TimeSpan WatchTimeout(CliContext context, Option<string?> option)
    {
        var text = context.Get(option);
        if (text is null)
        {
            return TimeSpan.FromHours(24);
        }

        return Durations.TryParse(text, out var timeout)
            ? timeout
            : throw CliException.Usage($"--timeout {text}: write a duration such as 90s, 30m, 2h or 1d");
    }

    /// <summary>After a submission (run, relaunch, recover, trigger): the id, or the live watch.</summary>
    public static async Task<int> Submitted(CliContext context, JsonNode? execution, bool watch, TimeSpan timeout, bool quiet)
    {
        var id = execution.Str("id") ?? throw new CliException("the API accepted the submission but returned no execution id");
        if (watch)
        {
            if (!quiet && context.Tables && context.Terminal.Interactive)
            {
                context.Terminal.Note($"execution {id} submitted; Ctrl-C stops watching, not the execution");
            }

            return await ExecutionWatch.Run(context, id, timeout);
        }

        if (quiet)
        {
            context.Terminal.Line(id);
        }
        else if (!context.Tables)
        {
            context.Terminal.Data(execution, context.Format);
        }
        else
        {
            context.Terminal.Line($"execution {id} submitted ({execution.Str("workflow")}, {execution.Str("project")}/{execution.Str("domain")})");
            context.Terminal.Note($"follow it: orleans-flyte describe {id} --watch");
        }

        return ExitCodes.Ok;
    }

    private static Command Rerun(GlobalOptions globals, string action, string description)
    {
        var id = ExecutionArgument();
        var watch = WatchOption();
        var timeout = TimeoutOption();
        var key = KeyOption();
        var quiet = QuietOption();
        return new Command(action, description)
            .With(id, watch, timeout, key, quiet)
            .Runs(globals, async context =>
            {
                var waitFor = WatchTimeout(context, timeout);
                var created = await context.Api.Post($"{ExecutionPath(context, context.Value(id))}/{action}", null, context.Cancellation, Headers(context.Get(key)));
                return await Submitted(context, created, context.Get(watch), waitFor, context.Get(quiet));
            });
    }
}

/// <summary><c>logs</c>: one attempt's captured output, once or followed until the attempt ends.</summary>
internal static class AttemptLogs
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(500);

    public static async Task<int> Show(CliContext context, string id, string node, int? attempt, bool follow, TimeSpan timeout)
    {
        var executionPath = ExecutionCommands.ExecutionPath(context, id);
        var clock = Stopwatch.StartNew();
        var (number, ended) = await Attempt(context, executionPath, id, node, attempt);
        if (number is null)
        {
            if (!follow)
            {
                throw new CliException($"node '{node}' of execution {id} has no attempt yet ({ended.Phase}{(ended.Waiting is null ? string.Empty : ": " + ended.Waiting)}); add --follow to wait for it");
            }

            context.Terminal.Note($"node '{node}' has not started ({ended.Phase}{(ended.Waiting is null ? string.Empty : ": " + ended.Waiting)}); waiting for its first attempt");
            while (number is null && clock.Elapsed < timeout)
            {
                await Task.Delay(s_pollInterval, context.Cancellation);
                (number, ended) = await Attempt(context, executionPath, id, node, attempt);
                if (number is null && ended.Terminal)
                {
                    throw new CliException($"node '{node}' of execution {id} ended {ended.Phase} without running an attempt");
                }
            }

            if (number is null)
            {
                return ExitCodes.StillRunning;
            }
        }

        var logsPath = $"{executionPath}/nodes/{CliContext.Segment(node)}/attempts/{number}/logs";
        if (!follow)
        {
            var logs = await context.Api.Get(logsPath, context.Cancellation);
            if (!context.Tables)
            {
                context.Terminal.Data(logs, context.Format);
                return ExitCodes.Ok;
            }

            context.Terminal.Out.Write(logs.Str("stdout"));
            context.Terminal.Error.Write(logs.Str("stderr"));
            if (logs.Bool("truncated"))
            {
                context.Terminal.Note("(older output was dropped: only the tail of each stream is kept)");
            }

            return ExitCodes.Ok;
        }

        var stdout = new StreamTail(context.Terminal.Out);
        var stderr = new StreamTail(context.Terminal.Error);
        while (true)
        {
            var logs = await context.Api.Get(logsPath, context.Cancellation);
            stdout.Show(logs.Str("stdout") ?? string.Empty);
            stderr.Show(logs.Str("stderr") ?? string.Empty);
            if (ended.Terminal)
            {
                return ExitCodes.Ok;
            }

            if (clock.Elapsed >= timeout)
            {
                context.Terminal.Note($"attempt {number} of '{node}' is still running after {JsonFields.Duration(timeout)}");
                return ExitCodes.StillRunning;
            }

            await Task.Delay(s_pollInterval, context.Cancellation);

            // Read the attempt's state before the logs: output written before it ended is in the next read.
            (_, ended) = await Attempt(context, executionPath, id, node, number);
        }
    }

    private sealed record AttemptState(string Phase, string? Waiting, bool Terminal);

    /// <summary>The attempt to show (the one asked for, or the latest) and whether it has ended.</summary>
    private static async Task<(int? Number, AttemptState State)> Attempt(CliContext context, string executionPath, string id, string node, int? wanted)
    {
        var execution = await context.Api.Get(executionPath, context.Cancellation);
        var nodes = execution.Items("nodes");
        var found = nodes.FirstOrDefault(n => n.Str("id") == node)
            ?? throw new CliException($"execution {id} has no node '{node}'; its nodes are {string.Join(", ", nodes.Select(n => n.Str("id")))}");
        var phase = found.Str("phase") ?? "?";
        var waiting = found["waiting"]?.Str("reason");
        var attempts = found.Items("attempts");
        var nodeEnded = phase is "Succeeded" or "Failed" or "Aborted" or "TimedOut" or "Skipped";
        if (wanted is { } n)
        {
            var match = attempts.FirstOrDefault(a => a.Long("attempt") == n);
            if (match is null)
            {
                if (nodeEnded || attempts.Count > 0 && attempts.Max(a => a.Long("attempt") ?? 0) > n)
                {
                    throw new CliException($"node '{node}' of execution {id} has no attempt {n}; it has {attempts.Count}");
                }

                return (null, new AttemptState(phase, waiting, nodeEnded));
            }

            return (n, new AttemptState(phase, waiting, match.Time("finishedAt") is not null || nodeEnded));
        }

        var latest = attempts.Count == 0 ? null : attempts[^1];
        return latest?.Long("attempt") is { } number
            ? ((int)number, new AttemptState(phase, waiting, latest.Time("finishedAt") is not null || nodeEnded))
            : (null, new AttemptState(phase, waiting, nodeEnded));
    }

    /// <summary>
    /// Prints what is new in a growing log. The API serves the tail of each stream (up to a limit), so once the log
    /// outgrows it the window slides: the new part is found after the last text already printed.
    /// </summary>
    private sealed class StreamTail(TextWriter writer)
    {
        private const int Anchor = 256;

        // Where the printed part ends in the last text read, and its last characters, to find the place again once the window slides.
        private int _length;
        private string _tail = string.Empty;

        public void Show(string text)
        {
            int from;
            if (text.Length >= _length && string.CompareOrdinal(text, _length - _tail.Length, _tail, 0, _tail.Length) == 0)
            {
                from = _length;
            }
            else
            {
                var at = _tail.Length == 0 ? -1 : text.LastIndexOf(_tail, StringComparison.Ordinal);
                from = at >= 0 ? at + _tail.Length : 0;
            }

            writer.Write(text.AsSpan(from));
            writer.Flush();
            _length = text.Length;
            _tail = text.Length > Anchor ? text[^Anchor..] : text;
        }
    }
}

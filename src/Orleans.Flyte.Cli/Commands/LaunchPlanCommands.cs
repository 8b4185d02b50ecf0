using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Orleans.Flyte.Cli.Inputs;
using Orleans.Flyte.Cli.Output;
using Orleans.Flyte.Cli.Views;

namespace Orleans.Flyte.Cli.Commands;

/// <summary><c>launchplan register|activate|deactivate|archive|restore|pause|resume|trigger|backfill</c>.</summary>
public static class LaunchPlanCommands
{
    public static Command Create(GlobalOptions globals) => new Command("launchplan", "Launch plans: register versions, switch the active one, pause or resume its schedule, launch now, backfill.")
        .Alias("launchplans", "lp")
        .With(
            RegisterCommands.RegisterLaunchPlans(globals),
            VersionTransition(globals, "activate", "Activate a version: its schedule starts; the previously active version is deactivated in the same step."),
            VersionTransition(globals, "deactivate", "Deactivate a version: no fire starts after this returns; manual launches stay allowed."),
            VersionTransition(globals, "archive", "Archive a version: no fires, no manual launches, hidden from listings."),
            VersionTransition(globals, "restore", "Restore an archived version (it comes back inactive)."),
            PlanTransition(globals, "pause", "Pause the active version's schedule (instants while paused are not caught up)."),
            PlanTransition(globals, "resume", "Resume the schedule from now."),
            Trigger(globals),
            Backfill(globals));

    private static Argument<string> NameArgument() => new("NAME") { Description = "The launch plan (NAME or NAME@VERSION)" };

    private static Argument<string?> VersionArgument() => new("VERSION") { Description = "The version (when not given as NAME@VERSION)", Arity = ArgumentArity.ZeroOrOne };

    private static Command VersionTransition(GlobalOptions globals, string action, string description)
    {
        var name = NameArgument();
        var version = VersionArgument();
        var reason = ExecutionCommands.ReasonOption();
        return new Command(action, description).With(name, version, reason).Runs(globals, async context =>
        {
            var (plan, at) = RequiredVersion(context.Value(name), context.Get(version), action);
            var answer = await context.Api.Post($"{Path(context, plan)}/versions/{CliContext.Segment(at)}/{action}", Reason(context.Get(reason)), context.Cancellation);
            Show(context, answer);
            return ExitCodes.Ok;
        });
    }

    private static Command PlanTransition(GlobalOptions globals, string action, string description)
    {
        var name = new Argument<string>("NAME") { Description = "The launch plan" };
        var reason = ExecutionCommands.ReasonOption();
        return new Command(action, description).With(name, reason).Runs(globals, async context =>
        {
            var answer = await context.Api.Post($"{Path(context, context.Value(name))}/{action}", Reason(context.Get(reason)), context.Cancellation);
            Show(context, answer);
            return ExitCodes.Ok;
        });
    }

    private static Command Trigger(GlobalOptions globals)
    {
        var name = NameArgument();
        var inputs = new Option<string[]>("--input", "-i")
        {
            Description = "Override an input the plan does not fix, as NAME=VALUE (repeatable; JSON when it parses)",
            HelpName = "NAME=VALUE",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var inputsFile = new Option<string?>("--inputs") { Description = "A YAML or JSON file of input overrides", HelpName = "FILE" };
        var reason = ExecutionCommands.ReasonOption();
        var key = ExecutionCommands.KeyOption();
        var watch = ExecutionCommands.WatchOption();
        var timeout = ExecutionCommands.TimeoutOption();
        var quiet = ExecutionCommands.QuietOption();
        return new Command("trigger", "Launch now: the active version, or the one named as NAME@VERSION.")
            .With(name, inputs, inputsFile, reason, key, watch, timeout, quiet)
            .Runs(globals, async context =>
            {
                var waitFor = ExecutionCommands.WatchTimeout(context, timeout);
                var (plan, version) = GetCommands.Split(context.Value(name), null);
                var body = new JsonObject();
                if (version is not null)
                {
                    body["version"] = version;
                }

                var values = InputValues.Parse(context.Get(inputs) ?? [], context.Get(inputsFile), context.WorkingDirectory);
                if (values.Count > 0)
                {
                    body["inputs"] = values;
                }

                if (context.Get(reason) is { } why)
                {
                    body["reason"] = why;
                }

                var launched = await context.Api.Post($"{Path(context, plan)}/trigger", body, context.Cancellation, ExecutionCommands.Headers(context.Get(key)));
                var executions = launched.Items("executions");
                var execution = executions.Count > 0 ? executions[0] : throw new CliException($"launch plan {plan} launched nothing");
                if (context.Get(watch))
                {
                    return await ExecutionWatch.Run(context, execution.Str("id") ?? throw new CliException("the API launched an execution without an id"), waitFor);
                }

                if (context.Get(quiet))
                {
                    context.Terminal.Line(execution.Str("id") ?? string.Empty);
                }
                else if (!context.Tables)
                {
                    context.Terminal.Data(launched, context.Format);
                }
                else
                {
                    var what = execution.Bool("created") ? "launched" : "already launched (same idempotency key)";
                    context.Terminal.Line($"execution {execution.Str("id")} {what} from launch plan {plan}");
                }

                return ExitCodes.Ok;
            });
    }

    private static Command Backfill(GlobalOptions globals)
    {
        var name = NameArgument();
        var version = VersionArgument();
        var from = new Option<string>("--from") { Description = "The first instant (ISO 8601; the range is [from, to))", HelpName = "INSTANT", Required = true };
        var to = new Option<string>("--to") { Description = "The end of the range, not included (ISO 8601)", HelpName = "INSTANT", Required = true };
        var reason = ExecutionCommands.ReasonOption();
        return new Command("backfill", "One execution per scheduled instant in [from, to); an instant that already ran is not run again.")
            .With(name, version, from, to, reason)
            .Runs(globals, async context =>
            {
                var (plan, at) = RequiredVersion(context.Value(name), context.Get(version), "backfill");
                var body = new JsonObject
                {
                    ["from"] = Instant(context.Value(from), "--from"),
                    ["to"] = Instant(context.Value(to), "--to"),
                };
                if (context.Get(reason) is { } why)
                {
                    body["reason"] = why;
                }

                var launched = await context.Api.Post($"{Path(context, plan)}/versions/{CliContext.Segment(at)}/backfill", body, context.Cancellation);
                if (!context.Tables)
                {
                    context.Terminal.Data(launched, context.Format);
                    return ExitCodes.Ok;
                }

                var grid = new Grid("scheduled at", "execution", "result");
                foreach (var execution in launched.Items("executions"))
                {
                    grid.Add(JsonFields.When(execution.Time("scheduledAt")), execution.Str("id"), execution.Bool("created") ? "launched" : "already ran");
                }

                context.Terminal.Table(grid, empty: "no scheduled instants in that range");
                return ExitCodes.Ok;
            });
    }

    private static string Path(CliContext context, string name) => $"{context.Scope}/launchplans/{CliContext.Segment(name)}";

    private static JsonObject Reason(string? reason) => reason is null ? [] : new JsonObject { ["reason"] = reason };

    private static (string Name, string Version) RequiredVersion(string name, string? version, string action)
    {
        var (plan, at) = GetCommands.Split(name, version);
        return at is null
            ? throw CliException.Usage($"which version? {action} takes NAME@VERSION or NAME VERSION (see: orleans-flyte get launchplan {plan})")
            : (plan, at);
    }

    private static string Instant(string text, string option) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)
            : throw CliException.Usage($"{option} {text}: write an instant as ISO 8601, e.g. 2026-11-01T00:00:00Z");

    private static void Show(CliContext context, JsonNode plan)
    {
        if (!context.Tables)
        {
            context.Terminal.Data(plan, context.Format);
        }
        else
        {
            LaunchPlanViews.Show(context.Terminal, plan);
        }
    }
}

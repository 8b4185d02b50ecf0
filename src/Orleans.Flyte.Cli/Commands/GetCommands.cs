using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Orleans.Flyte.Cli.Output;
using Orleans.Flyte.Cli.Views;

namespace Orleans.Flyte.Cli.Commands;

/// <summary><c>get</c>: projects, tasks, workflows, executions and launch plans, with the API's filters.</summary>
public static class GetCommands
{
    private static readonly string[] s_phases = ["Queued", "Running", "Succeeding", "Succeeded", "Failing", "Failed", "Aborting", "Aborted", "TimedOut"];

    public static Command Create(GlobalOptions globals) => new Command("get", "List or show projects, tasks, workflows, executions and launch plans.")
        .With(Projects(globals), Definitions(globals, "tasks", "task", "Task"), Definitions(globals, "workflows", "workflow", "Workflow"),
            Executions(globals), LaunchPlans(globals));

    private static Command Projects(GlobalOptions globals)
    {
        var name = new Argument<string?>("NAME") { Description = "One project", Arity = ArgumentArity.ZeroOrOne };
        return new Command("projects", "Projects and their domains.").Alias("project").With(name).Runs(globals, async context =>
        {
            var one = context.Get(name);
            var answer = await context.Api.Get(one is null ? "/api/v1/projects" : $"/api/v1/projects/{CliContext.Segment(one)}", context.Cancellation);
            if (!context.Tables)
            {
                context.Terminal.Data(answer, context.Format);
                return ExitCodes.Ok;
            }

            var grid = new Grid("name", "display name", "domains", "created", "by");
            foreach (var project in one is null ? answer.Items("items") : [answer!])
            {
                grid.Add(project.Str("name"), project.Str("displayName") ?? "-", string.Join(",", project.Items("domains").Select(d => d.ToString())),
                    JsonFields.When(project.Time("createdAt")), project.Str("createdBy"));
            }

            context.Terminal.Table(grid, empty: "no projects (create one: orleans-flyte project create NAME)");
            return ExitCodes.Ok;
        });
    }

    /// <summary>Tasks or workflows: names with their latest version, the versions of one, or one version with its spec.</summary>
    private static Command Definitions(GlobalOptions globals, string plural, string singular, string title)
    {
        var name = new Argument<string?>("NAME") { Description = $"One {singular} (NAME or NAME@VERSION)", Arity = ArgumentArity.ZeroOrOne };
        var version = new Argument<string?>("VERSION") { Description = "One version, with its spec", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command(plural, $"{title}s: names and latest versions; a {singular}'s versions; one version with its spec.")
            .Alias(singular).With(name, version);
        if (singular == "workflow")
        {
            command.Aliases.Add("wf");
        }

        return command.Runs(globals, async context =>
        {
            var (one, at) = NameAndVersion(context.Get(name), context.Get(version));
            var path = $"{context.Scope}/{plural}" + (one is null ? string.Empty : $"/{CliContext.Segment(one)}") + (at is null ? string.Empty : $"/versions/{CliContext.Segment(at)}");
            var answer = await context.Api.Get(path, context.Cancellation);
            if (!context.Tables)
            {
                context.Terminal.Data(answer, context.Format);
                return ExitCodes.Ok;
            }

            if (one is null)
            {
                var grid = new Grid("name", "latest", "versions", "registered");
                foreach (var item in answer.Items("items"))
                {
                    grid.Add(item.Str("name"), item.Str("latestVersion"), item.Str("versions"), JsonFields.When(item.Time("lastRegisteredAt")));
                }

                context.Terminal.Table(grid, empty: $"no {plural} in {context.Project}/{context.Domain}");
            }
            else if (at is null)
            {
                var grid = new Grid("version", "hash", "registered", "by");
                foreach (var item in answer.Items("items"))
                {
                    grid.Add(item.Str("version"), Short(item.Str("contentHash")), JsonFields.When(item.Time("registeredAt")), item.Str("registeredBy"));
                }

                context.Terminal.Table(grid);
            }
            else
            {
                var fields = new List<(string, Cell)>
                {
                    (title, $"{answer.Str("name")}@{answer.Str("version")}"),
                    ("Project", $"{answer.Str("project")}/{answer.Str("domain")}"),
                    ("Hash", answer.Str("contentHash")),
                    ("Registered", $"{JsonFields.When(answer.Time("registeredAt"))} by {answer.Str("registeredBy")}"),
                };
                context.Terminal.Fields(fields);
                if (answer?["pinnedTasks"] is JsonObject { Count: > 0 } pins)
                {
                    context.Terminal.Line();
                    context.Terminal.Line("Pinned tasks:");
                    foreach (var (reference, pinned) in pins)
                    {
                        context.Terminal.Line($"  {reference} -> {pinned}");
                    }
                }

                context.Terminal.Line();
                context.Terminal.Line("Spec:");
                context.Terminal.Out.Write(YamlJson.Serialize(answer?["spec"]));
            }

            return ExitCodes.Ok;
        });
    }

    private static Command Executions(GlobalOptions globals)
    {
        var id = new Argument<string?>("EXECUTION") { Description = "One execution (the same as describe)", Arity = ArgumentArity.ZeroOrOne };
        var workflow = new Option<string?>("--workflow") { Description = "Only executions of this workflow", HelpName = "NAME" };
        var phase = new Option<string?>("--phase") { Description = "Only executions in this phase", HelpName = "PHASE" };
        phase.AcceptOnlyFromAmong(s_phases);
        var launchPlan = new Option<string?>("--launch-plan") { Description = "Only executions of this launch plan (name, or name@version)", HelpName = "NAME" };
        var scheduledAt = new Option<string?>("--scheduled-at") { Description = "Only the run of this scheduled instant (ISO 8601)", HelpName = "INSTANT" };
        var createdAfter = new Option<string?>("--created-after") { Description = "Created at or after this instant (ISO 8601)", HelpName = "INSTANT" };
        var createdBefore = new Option<string?>("--created-before") { Description = "Created before this instant (ISO 8601)", HelpName = "INSTANT" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (1..500; the API's default is 50)", HelpName = "N" };
        var cursor = new Option<string?>("--cursor") { Description = "The next page: the cursor a previous listing printed", HelpName = "CURSOR" };
        return new Command("executions", "Executions, newest first, with the API's filters; or one execution.")
            .Alias("execution", "exec")
            .With(id, workflow, phase, launchPlan, scheduledAt, createdAfter, createdBefore, limit, cursor)
            .Runs(globals, async context =>
            {
                if (context.Get(id) is { } one)
                {
                    var view = await context.Api.Get(ExecutionCommands.ExecutionPath(context, one), context.Cancellation);
                    if (!context.Tables)
                    {
                        context.Terminal.Data(view, context.Format);
                    }
                    else
                    {
                        ExecutionViews.Describe(context.Terminal, view, DateTimeOffset.UtcNow);
                    }

                    return ExitCodes.Ok;
                }

                var query = new List<string>();
                void Add(string key, string? value)
                {
                    if (value is not null)
                    {
                        query.Add($"{key}={Uri.EscapeDataString(value)}");
                    }
                }

                Add("workflow", context.Get(workflow));
                Add("phase", context.Get(phase));
                Add("launchPlan", context.Get(launchPlan));
                Add("scheduledAt", Instant(context.Get(scheduledAt), "--scheduled-at"));
                Add("createdAfter", Instant(context.Get(createdAfter), "--created-after"));
                Add("createdBefore", Instant(context.Get(createdBefore), "--created-before"));
                Add("limit", context.Get(limit)?.ToString(CultureInfo.InvariantCulture));
                Add("cursor", context.Get(cursor));
                var list = await context.Api.Get($"{context.Scope}/executions" + (query.Count == 0 ? string.Empty : "?" + string.Join('&', query)), context.Cancellation);
                if (!context.Tables)
                {
                    context.Terminal.Data(list, context.Format);
                    return ExitCodes.Ok;
                }

                var now = DateTimeOffset.UtcNow;
                var grid = new Grid("id", "workflow", "phase", "created", "duration", "launch plan");
                foreach (var item in list.Items("items"))
                {
                    grid.Add(item.Str("id"), $"{item.Str("workflow")}@{item.Str("workflowVersion")}", Styles.Phase(item.Str("phase")),
                        JsonFields.When(item.Time("createdAt")), JsonFields.Elapsed(item.Time("startedAt"), item.Time("finishedAt"), now), item.Str("launchPlan") ?? "-");
                }

                context.Terminal.Table(grid, empty: $"no executions in {context.Project}/{context.Domain} match");
                if (list.Str("nextCursor") is { } next)
                {
                    context.Terminal.Note($"more: add --cursor {next}");
                }

                return ExitCodes.Ok;
            });
    }

    private static Command LaunchPlans(GlobalOptions globals)
    {
        var name = new Argument<string?>("NAME") { Description = "One launch plan (NAME or NAME@VERSION)", Arity = ArgumentArity.ZeroOrOne };
        var version = new Argument<string?>("VERSION") { Description = "One version, with its spec", Arity = ArgumentArity.ZeroOrOne };
        var state = new Option<string?>("--state") { Description = "active, inactive, archived or all (archived versions are hidden by default)", HelpName = "STATE" };
        state.AcceptOnlyFromAmong("active", "inactive", "archived", "all");
        return new Command("launchplans", "Launch plan versions and their states; one launch plan with its schedule and recent fires.")
            .Alias("launchplan", "lp")
            .With(name, version, state)
            .Runs(globals, async context =>
            {
                var (one, at) = NameAndVersion(context.Get(name), context.Get(version));
                if (one is null)
                {
                    var filter = context.Get(state);
                    var list = await context.Api.Get($"{context.Scope}/launchplans" + (filter is null ? string.Empty : $"?state={filter}"), context.Cancellation);
                    if (!context.Tables)
                    {
                        context.Terminal.Data(list, context.Format);
                    }
                    else
                    {
                        context.Terminal.Table(LaunchPlanViews.List(list), empty: $"no launch plans in {context.Project}/{context.Domain}");
                    }

                    return ExitCodes.Ok;
                }

                var path = $"{context.Scope}/launchplans/{CliContext.Segment(one)}" + (at is null ? string.Empty : $"/versions/{CliContext.Segment(at)}");
                var answer = await context.Api.Get(path, context.Cancellation);
                if (!context.Tables)
                {
                    context.Terminal.Data(answer, context.Format);
                }
                else if (at is null)
                {
                    LaunchPlanViews.Show(context.Terminal, answer);
                }
                else
                {
                    LaunchPlanViews.ShowVersion(context.Terminal, one, answer);
                }

                return ExitCodes.Ok;
            });
    }

    /// <summary><c>NAME VERSION</c> or <c>NAME@VERSION</c>; nothing when no name was given.</summary>
    public static (string? Name, string? Version) NameAndVersion(string? name, string? version) =>
        name is null ? (null, null) : Split(name, version);

    public static (string Name, string? Version) Split(string name, string? version)
    {
        var at = name.IndexOf('@', StringComparison.Ordinal);
        if (at < 0)
        {
            return (name, version);
        }

        if (version is not null)
        {
            throw CliException.Usage($"'{name}' already names a version; give NAME@VERSION or NAME VERSION, not both");
        }

        return (name[..at], name[(at + 1)..]);
    }

    private static string? Instant(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)
            : throw CliException.Usage($"{option} {text}: write an instant as ISO 8601, e.g. 2026-11-28T02:00:00Z");
    }

    private static string Short(string? hash) => hash is { Length: > 12 } ? hash[..12] : hash ?? "-";
}

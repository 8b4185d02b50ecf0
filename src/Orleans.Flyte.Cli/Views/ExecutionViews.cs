using System.Text.Json.Nodes;
using Orleans.Flyte.Cli.Output;

namespace Orleans.Flyte.Cli.Views;

/// <summary>How an execution reads on screen: its header, its nodes with why they wait, attempts, inputs, outputs.</summary>
public static class ExecutionViews
{
    public static void Describe(Terminal terminal, JsonNode execution, DateTimeOffset now)
    {
        var fields = new List<(string, Cell)>
        {
            ("Execution", execution.Str("id")),
            ("Project", $"{execution.Str("project")}/{execution.Str("domain")}"),
            ("Workflow", execution.Str("workflow")),
            ("Phase", Styles.Phase(execution.Str("phase"))),
            ("Created", $"{JsonFields.When(execution.Time("createdAt"))} by {execution.Str("createdBy")}"),
            ("Started", JsonFields.When(execution.Time("startedAt"))),
            ("Finished", JsonFields.When(execution.Time("finishedAt"))),
            ("Duration", JsonFields.Elapsed(execution.Time("startedAt"), execution.Time("finishedAt"), now)),
        };
        if (execution.Str("launchPlan") is { } launchPlan)
        {
            fields.Add(("Launch plan", execution.Time("scheduledAt") is { } at ? $"{launchPlan} (scheduled {JsonFields.When(at)})" : launchPlan));
        }

        if (execution["parent"] is JsonNode parent)
        {
            fields.Add(("Parent", $"{parent.Str("executionId")} (node {parent.Str("node")})"));
        }

        if (execution.Str("relaunchOf") is { } relaunchOf)
        {
            fields.Add(("Relaunch of", relaunchOf));
        }

        if (execution.Str("recoverOf") is { } recoverOf)
        {
            fields.Add(("Recovery of", recoverOf));
        }

        if (execution.Str("error") is { } error)
        {
            fields.Add(("Error", new Cell(error, "red")));
        }

        terminal.Fields(fields);
        Values(terminal, "Inputs", execution["inputs"]);
        terminal.Line();
        terminal.Table(Nodes(execution, now), "Nodes", "none");
        var attempts = Attempts(execution);
        if (attempts.Count > 0)
        {
            terminal.Line();
            terminal.Table(attempts, "Attempts");
        }

        Values(terminal, "Outputs", execution["outputs"]);
    }

    public static Grid Nodes(JsonNode execution, DateTimeOffset now)
    {
        var grid = new Grid("node", "task", "phase", "attempts", "duration", "detail");
        foreach (var node in execution.Items("nodes"))
        {
            grid.Add(
                node.Str("id"),
                node.Str("task"),
                Styles.Phase(node.Str("phase")),
                node.Items("attempts").Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                JsonFields.Elapsed(node.Time("readyAt"), node.Time("finishedAt"), now),
                Detail(node));
        }

        return grid;
    }

    /// <summary>The one thing worth knowing about a node now: why it waits, why it failed, where its outputs came from, which GPU it holds.</summary>
    public static Cell Detail(JsonNode node)
    {
        if (node["waiting"] is JsonNode waiting)
        {
            return new Cell(waiting.Str("reason") ?? waiting.Str("code") ?? "waiting", "magenta");
        }

        if (node.Str("error") is { } error)
        {
            return new Cell(error, "red");
        }

        if (node.Bool("cacheHit"))
        {
            return Styles.Dim("cache hit");
        }

        if (node.Str("recoveredFrom") is { } source)
        {
            return Styles.Dim($"recovered from {source}");
        }

        if (node.Str("childExecutionId") is { } child)
        {
            return Styles.Dim($"child execution {child}");
        }

        var attempts = node.Items("attempts");
        if (attempts.Count > 0 && attempts[^1] is var attempt && attempt["gpu"] is JsonNode gpu && attempt.Time("finishedAt") is null)
        {
            return Styles.Dim($"on {gpu.Str("node")} {Unit(gpu.Str("resource"))}");
        }

        return string.Empty;
    }

    public static Grid Attempts(JsonNode execution)
    {
        var grid = new Grid("node", "attempt", "outcome", "exit", "gpu", "launched", "finished", "error");
        foreach (var node in execution.Items("nodes"))
        {
            foreach (var attempt in node.Items("attempts"))
            {
                var gpu = attempt["gpu"] is JsonNode g ? $"{g.Str("node")} {Unit(g.Str("resource"))}" : "-";
                grid.Add(
                    node.Str("id"),
                    attempt.Str("attempt"),
                    Styles.Phase(attempt.Str("outcome")),
                    attempt.Str("exitCode") ?? "-",
                    gpu,
                    JsonFields.When(attempt.Time("launchedAt")),
                    JsonFields.When(attempt.Time("finishedAt")),
                    new Cell(attempt.Str("error") ?? string.Empty, "red"));
            }
        }

        return grid;
    }

    /// <summary>A GPU resource as people say it: <c>nvidia.com/mig-3g.20gb</c> is <c>mig-3g.20gb</c>.</summary>
    public static string Unit(string? resource) =>
        resource is null ? "-" : resource.StartsWith("nvidia.com/", StringComparison.Ordinal) ? resource["nvidia.com/".Length..] : resource;

    public static void Values(Terminal terminal, string title, JsonNode? values)
    {
        if (values is not JsonObject { Count: > 0 })
        {
            return;
        }

        terminal.Line();
        terminal.Line($"{title}:");
        foreach (var line in JsonFields.Assignments(values))
        {
            terminal.Line("  " + line);
        }
    }
}

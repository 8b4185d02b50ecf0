using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orleans.Flyte.Cli.Output;
using Orleans.Flyte.Cli.Views;

namespace Orleans.Flyte.Cli.Commands;

/// <summary>
/// <c>audit history|report|verify|digest</c>: the audit API (docs/audit in the README) from the terminal. A domain's
/// streams by default (-p/-d), the cluster-wide ones with <c>--cluster</c>. <c>verify</c> exits
/// <see cref="ExitCodes.NotIntact"/> when anything is broken, so a cron job or CI step can alert on it.
/// </summary>
public static class AuditCommands
{
    private const int PageSize = 1000;

    public static Command Create(GlobalOptions globals) => new Command("audit", "Audit replay: a domain's history, the account of one run, and proof that nothing was changed.")
        .With(History(globals), Report(globals), Verify(globals), Digest(globals));

    private static Option<bool> ClusterOption() => new("--cluster")
    {
        Description = "The cluster-wide streams (projects, GPU nodes, the allocator, role bindings, tokens) instead of a domain's",
    };

    private static string AuditScope(CliContext context, bool cluster) => cluster ? "/api/v1" : context.Scope;

    private static Command History(GlobalOptions globals)
    {
        var cluster = ClusterOption();
        var kind = new Option<string?>("--kind")
        {
            Description = "Only streams of these kinds, comma-separated (execution, task, workflow, launchplan; with --cluster: project, gpu-node, gpu-allocator, role-bindings, tokens)",
            HelpName = "KINDS",
        };
        var principal = new Option<string?>("--principal") { Description = "Only events recorded for this principal", HelpName = "PRINCIPAL" };
        var correlation = new Option<string?>("--correlation-id") { Description = "Only events of this request", HelpName = "ID" };
        var from = new Option<DateTimeOffset?>("--from") { Description = "Only events at or after this instant (ISO 8601)", HelpName = "TIME" };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Only events before this instant (ISO 8601)", HelpName = "TIME" };
        var limit = new Option<int?>("--limit") { Description = $"At most this many events (default: one page of 100; with --all or --ndjson: no limit)", HelpName = "N" };
        var cursor = new Option<string?>("--after") { Description = "Start after this cursor (the 'nextCursor' of an earlier page)", HelpName = "CURSOR" };
        var all = new Option<bool>("--all") { Description = "Follow the pages to the end of the range" };
        var ndjson = new Option<bool>("--ndjson") { Description = "Stream the whole range as one JSON object per line (an export, in constant memory)" };

        return new Command("history", "Events in commit order with who, when, which request and why.")
            .With(cluster, kind, principal, correlation, from, to, limit, cursor, all, ndjson)
            .Runs(globals, async context =>
            {
                var query = new List<string>();
                Add(query, "kind", context.Get(kind));
                Add(query, "principal", context.Get(principal));
                Add(query, "correlationId", context.Get(correlation));
                Add(query, "from", context.Get(from)?.ToString("O", CultureInfo.InvariantCulture));
                Add(query, "to", context.Get(to)?.ToString("O", CultureInfo.InvariantCulture));
                var path = $"{AuditScope(context, context.Get(cluster))}/history";
                var max = context.Get(limit);
                if (max is < 1)
                {
                    throw CliException.Usage("--limit must be at least 1");
                }

                if (context.Get(ndjson))
                {
                    Add(query, "cursor", context.Get(cursor));
                    Add(query, "limit", max?.ToString(CultureInfo.InvariantCulture));
                    await context.Api.StreamLines(path + QueryString(query), "application/x-ndjson", context.Terminal.Out, context.Cancellation);
                    return ExitCodes.Ok;
                }

                var followPages = context.Get(all);
                var items = new JsonArray();
                var after = context.Get(cursor);
                string? next;
                do
                {
                    var remaining = max is { } m ? m - items.Count : int.MaxValue;
                    var size = followPages || max is not null ? Math.Min(remaining, PageSize) : (int?)null;
                    var page = await context.Api.Get(path + QueryString([.. query, .. Pair("cursor", after), .. Pair("limit", size?.ToString(CultureInfo.InvariantCulture))]), context.Cancellation);
                    foreach (var item in page.Items("items"))
                    {
                        items.Add(item.DeepClone());
                    }

                    next = page.Str("nextCursor");
                    after = next;
                }
                while (next is not null && (followPages || max is not null) && (max is null || items.Count < max));

                if (!context.Tables)
                {
                    context.Terminal.Data(new JsonObject { ["items"] = items, ["nextCursor"] = next }, context.Format);
                    return ExitCodes.Ok;
                }

                var grid = new Grid("seq", "at", "stream", "version", "type", "principal", "reason");
                foreach (var item in items)
                {
                    var who = item.Str("onBehalfOf") is { } behalf ? $"{item.Str("principal")} for {behalf}" : item.Str("principal");
                    grid.Add(item.Str("sequence"), JsonFields.When(item.Time("at")), item.Str("stream"), item.Str("version"), item.Str("type"), who, item.Str("reason") ?? "-");
                }

                context.Terminal.Table(grid, empty: "no events in this range");
                if (next is not null)
                {
                    context.Terminal.Note($"more: --after {next} (or --all)");
                }

                return ExitCodes.Ok;
            });
    }

    private static Command Report(GlobalOptions globals)
    {
        var id = ExecutionCommands.ExecutionArgument();
        return new Command("report", "The whole account of one run: who asked, pinned versions with spec hashes, inputs, outputs, attempts with GPU slices, aborts, cache hits, chain status. Exits 20 when a chain is broken.")
            .With(id)
            .Runs(globals, async context =>
            {
                var report = await context.Api.Get($"{ExecutionCommands.ExecutionPath(context, context.Value(id))}/audit", context.Cancellation);
                var intact = report.Items("chains").All(c => c.Bool("intact"));
                if (!context.Tables)
                {
                    context.Terminal.Data(report, context.Format);
                    return intact ? ExitCodes.Ok : ExitCodes.NotIntact;
                }

                var origin = report?["origin"];
                var fields = new List<(string, Cell)>
                {
                    ("Execution", report.Str("executionId")),
                    ("Project", $"{report.Str("project")}/{report.Str("domain")}"),
                    ("Phase", new Cell(report.Str("phase") ?? "-", Styles.Phase(report.Str("phase")).Style)),
                    ("Submitted", $"{JsonFields.When(origin.Time("submittedAt"))} by {Who(origin)}"),
                };
                if (origin.Str("launchPlan") is { } launchPlan)
                {
                    var activated = origin.Str("activatedBy") is { } by
                        ? $"; activated {JsonFields.When(origin.Time("activatedAt"))} by {by}" + (origin.Str("activationReason") is { } why ? $" ({why})" : string.Empty)
                        : string.Empty;
                    fields.Add(("Launch plan", $"{launchPlan}" + (origin.Time("scheduledAt") is { } at ? $" scheduled {JsonFields.When(at)}" : string.Empty) + activated));
                }

                if (origin.Str("relaunchOf") is { } relaunch)
                {
                    fields.Add(("Relaunch of", relaunch));
                }

                if (origin.Str("recoverOf") is { } recover)
                {
                    fields.Add(("Recovers", recover));
                }

                var workflow = report?["workflow"];
                fields.Add(("Workflow", $"{workflow.Str("name")}@{workflow.Str("version")}  {workflow.Str("specHash") ?? "(registration not stored)"}"));
                fields.Add(("Started", JsonFields.When(report.Time("startedAt"))));
                fields.Add(("Finished", JsonFields.When(report.Time("finishedAt"))));
                if (report.Str("error") is { } error)
                {
                    fields.Add(("Error", new Cell(error, "red")));
                }

                fields.Add(("Chains", intact ? new Cell("intact", "green") : new Cell("BROKEN", "bold red")));
                context.Terminal.Fields(fields);

                var tasks = new Grid("task", "version", "spec hash", "registered", "by");
                foreach (var task in report.Items("tasks"))
                {
                    tasks.Add(task.Str("name"), task.Str("version"), task.Str("specHash") ?? "-", JsonFields.When(task.Time("registeredAt")), task.Str("registeredBy") ?? "-");
                }

                context.Terminal.Line();
                context.Terminal.Table(tasks, "Tasks", empty: "none");
                ExecutionViews.Values(context.Terminal, "Inputs", report?["inputs"]);
                ExecutionViews.Values(context.Terminal, "Outputs", report?["outputs"]);

                var attempts = new Grid("node", "attempt", "outcome", "gpu", "launched", "finished", "exit", "error");
                foreach (var attempt in report.Items("attempts"))
                {
                    var units = attempt.Items("gpuUnits").Select(u => u.ToString()).ToList();
                    var gpu = units.Count == 0 ? "-" : $"{attempt.Str("gpuNode")} {string.Join(",", units)} ({attempt.Str("gpuResource")})";
                    attempts.Add(attempt.Str("node"), attempt.Str("attempt"), new Cell(attempt.Str("outcome") ?? "-", Styles.Phase(attempt.Str("outcome")).Style), gpu,
                        JsonFields.When(attempt.Time("launchedAt")), JsonFields.When(attempt.Time("finishedAt")), attempt.Str("exitCode") ?? "-", attempt.Str("error") ?? "-");
                }

                context.Terminal.Line();
                context.Terminal.Table(attempts, "Attempts", empty: "none");

                var aborts = new Grid("node", "at", "by", "reason");
                foreach (var abort in report.Items("aborts"))
                {
                    aborts.Add(abort.Str("node") ?? "(execution)", JsonFields.When(abort.Time("at")), Who(abort, "by"), abort.Str("reason"));
                }

                if (aborts.Count > 0)
                {
                    context.Terminal.Line();
                    context.Terminal.Table(aborts, "Aborts");
                }

                var hits = new Grid("node", "from execution", "from node");
                foreach (var hit in report.Items("cacheHits"))
                {
                    hits.Add(hit.Str("node"), hit.Str("sourceExecutionId"), hit.Str("sourceNodeId"));
                }

                if (hits.Count > 0)
                {
                    context.Terminal.Line();
                    context.Terminal.Table(hits, "Cache hits");
                }

                var chains = new Grid("stream", "events", "chain");
                foreach (var chain in report.Items("chains"))
                {
                    chains.Add(chain.Str("stream"), chain.Str("events"), chain.Bool("intact")
                        ? new Cell("intact", "green")
                        : new Cell($"{chain.Str("damage")} at version {chain.Str("firstBrokenVersion")}", "bold red"));
                }

                context.Terminal.Line();
                context.Terminal.Table(chains, "Streams");
                return intact ? ExitCodes.Ok : ExitCodes.NotIntact;
            });
    }

    private static Command Verify(GlobalOptions globals)
    {
        var cluster = ClusterOption();
        var digest = new Option<string?>("--digest")
        {
            Description = "A digest saved earlier (audit digest > FILE, or --save-digest): also finds deleted streams and truncated tails",
            HelpName = "FILE",
        };
        var save = new Option<string?>("--save-digest") { Description = "Write the digest of the history as it is now to FILE, for the next verify", HelpName = "FILE" };
        return new Command("verify", "Recompute every hash chain of a domain (or the cluster-wide streams); exits 20 when anything is broken.")
            .With(cluster, digest, save)
            .Runs(globals, async context =>
            {
                var body = new JsonObject();
                if (context.Get(digest) is { } file)
                {
                    body["digest"] = ReadDigest(context, file);
                }

                var report = await VerifyInParts(context, $"{AuditScope(context, context.Get(cluster))}/audit/verify", body);
                if (context.Get(save) is { } target)
                {
                    var path = Path.GetFullPath(target, context.WorkingDirectory);
                    await File.WriteAllTextAsync(path, (report?["current"] ?? new JsonObject()).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", context.Cancellation);
                }

                var intact = report.Bool("intact");
                if (!context.Tables)
                {
                    context.Terminal.Data(report, context.Format);
                    return intact ? ExitCodes.Ok : ExitCodes.NotIntact;
                }

                var seconds = report?["seconds"] is JsonValue v && v.TryGetValue<double>(out var s) ? s : 0;
                context.Terminal.Line(
                    string.Create(CultureInfo.InvariantCulture, $"{report.Str("scope")}: {report.Str("streams")} streams, {report.Str("events")} events checked in {seconds:0.00}s: ") +
                    (intact ? "intact" : "BROKEN"), intact ? "green" : "bold red");

                var findings = new Grid("stream", "version", "damage", "detail");
                foreach (var broken in report.Items("broken"))
                {
                    findings.Add(broken.Str("stream"), broken.Str("firstBrokenVersion"), broken.Str("damage"), broken.Str("detail"));
                }

                foreach (var finding in report.Items("againstDigest"))
                {
                    findings.Add(finding.Str("stream") ?? "(digest)", "-", finding.Str("damage"), finding.Str("detail"));
                }

                foreach (var lease in report.Items("leaseAudit"))
                {
                    findings.Add("gpu/allocator", "-", "LeaseAudit", lease.ToString());
                }

                context.Terminal.Table(findings);
                return intact ? ExitCodes.Ok : ExitCodes.NotIntact;
            });
    }

    /// <summary>
    /// A verify too long for one request comes back in parts (each with <c>next</c>, the cursor to go on from): the parts are
    /// requested in turn and merged into one report, as one request would have answered with no time bound.
    /// </summary>
    private static async Task<JsonObject> VerifyInParts(CliContext context, string path, JsonObject body)
    {
        var report = (await context.Api.Post(path, body, context.Cancellation)).AsObject();
        while (report["next"] is JsonValue next && next.TryGetValue<string>(out var cursor))
        {
            body["cursor"] = cursor;
            var part = (await context.Api.Post(path, body, context.Cancellation)).AsObject();

            foreach (var list in new[] { "broken", "againstDigest", "leaseAudit" })
            {
                var merged = report[list] as JsonArray ?? [];
                foreach (var item in part.Items(list))
                {
                    merged.Add(item?.DeepClone());
                }

                report[list] = merged;
            }

            foreach (var count in new[] { "streams", "events" })
            {
                report[count] = (report[count]?.GetValue<long>() ?? 0) + (part[count]?.GetValue<long>() ?? 0);
            }

            report["seconds"] = (report["seconds"]?.GetValue<double>() ?? 0) + (part["seconds"]?.GetValue<double>() ?? 0);

            report["intact"] = report.Bool("intact") && part.Bool("intact");
            report["current"] = part["current"]?.DeepClone();
            report["next"] = part["next"]?.DeepClone();
        }

        return report;
    }

    private static Command Digest(GlobalOptions globals)
    {
        var cluster = ClusterOption();
        return new Command("digest", "A digest over every stream head and the global position, as JSON: keep it elsewhere and pass it to 'audit verify --digest'.")
            .With(cluster)
            .Runs(globals, async context =>
            {
                var digest = await context.Api.Get($"{AuditScope(context, context.Get(cluster))}/audit/digest", context.Cancellation);
                // The digest is data to keep, never a table: JSON unless YAML is asked for.
                context.Terminal.Data(digest, context.Format == OutputFormat.Yaml ? OutputFormat.Yaml : OutputFormat.Json);
                return ExitCodes.Ok;
            });
    }

    private static JsonNode ReadDigest(CliContext context, string file)
    {
        var path = Path.GetFullPath(file, context.WorkingDirectory);
        if (!File.Exists(path))
        {
            throw new CliException($"--digest {file}: no such file");
        }

        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new CliException($"--digest {file}: not a digest (a JSON object from 'orleans-flyte audit digest')");
        }
        catch (JsonException e)
        {
            throw new CliException($"--digest {file}: not JSON ({e.Message})");
        }
    }

    private static string Who(JsonNode? node, string key = "submittedBy") =>
        node.Str("onBehalfOf") is { } behalf ? $"{node.Str(key)} on behalf of {behalf}" : node.Str(key) ?? "-";

    private static void Add(List<string> query, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            query.Add($"{name}={Uri.EscapeDataString(value)}");
        }
    }

    private static IEnumerable<string> Pair(string name, string? value) =>
        string.IsNullOrEmpty(value) ? [] : [$"{name}={Uri.EscapeDataString(value)}"];

    private static string QueryString(List<string> query) => query.Count == 0 ? string.Empty : "?" + string.Join('&', query);
}

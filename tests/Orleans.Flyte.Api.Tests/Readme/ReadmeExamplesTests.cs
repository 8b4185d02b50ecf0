using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests.Readme;

/// <summary>
/// The README's curl examples, read from README.md and run as written (bash and curl against the whole platform on a
/// real port), section after section as a reader would; each command is checked against what the README says it does.
/// A command added to the README without a claim here, a command that fails, or an answer other than the one claimed
/// fails the test.
/// </summary>
public sealed partial class ReadmeExamplesTests : IAsyncLifetime
{
    private TestDatabase Database { get; set; } = null!;
    private FlyteApiFactory Platform { get; set; } = null!;
    private HttpClient Http { get; set; } = null!;
    private ReadmeShell Shell { get; set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync("readme");
        Platform = new FlyteApiFactory(Database.ConnectionString);
        Platform.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        Platform.StartServer();
        var address = Platform.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Http = new HttpClient { BaseAddress = new Uri(address) };
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Platform.AdminToken);
        (await Http.GetAsync(new Uri("/readyz", UriKind.Relative))).EnsureSuccessStatusCode();
        Shell = ReadmeShell.Start(address, Platform.AdminToken);
    }

    public async Task DisposeAsync()
    {
        await Shell.DisposeAsync();
        Http.Dispose();
        await Platform.DisposeAsync();
        await Database.DisposeAsync();
    }

    [Fact]
    public async Task Every_curl_example_in_the_readme_runs_as_written_and_answers_what_the_readme_says()
    {
        await Section("Try it",
            Claim("API="),
            Claim("AUTH="),
            Claim("$API/projects -H", 201),
            Claim("@docs/examples/prepare-data.yaml", 201),
            Claim("@docs/examples/train-model.yaml", 201),
            Claim("@docs/examples/train-alpha.yaml", 201),
            Claim("memory: 64Gi", [409], r => r.Stdout.Should().Contain("memory", "the 409 lists the differences")),
            Claim("memory: 32GB", [400], r => JsonNode.Parse(r.Stdout)!["errors"]!.AsObject().Should().ContainKey("/resources/memory")),
            Claim("development/tasks ", 200, r => r.Stdout.Should().Contain("train-model")),
            Claim("tasks/train-model ", 200, r => r.Stdout.Should().Contain("v3")),
            Claim("workflows/train-alpha/versions/v3", 200, r => r.Stdout.Should().Contain("train-model@v3", "the pinned task versions")));

        string? id = null;
        await Section("Run a workflow",
            Claim("API="),
            Claim("AUTH="),
            Claim("X="),
            Claim("ID=$(curl", [202], async _ =>
            {
                id = await Shell.VariableAsync("ID");
                (await WaitForEnd(id))["phase"]!.GetValue<string>().Should().Be("Succeeded");
            }),
            Claim("\"$AUTH\" $X/$ID ", 200, r => r.Stdout.Should().Contain("\"phase\":\"Succeeded\"")),
            Claim("workflow=train-alpha&phase=Succeeded", 200, r => r.Stdout.Should().Contain(id!)),
            Claim("$X/$ID/events", 200, r => r.Stdout.Should().Contain("\"previousHash\"").And.NotContain("inputsJson", "data is JSON, not JSON text")),
            Claim("attempts/1/logs", 200),
            Claim("$X/$ID/abort", [409], r => r.Stdout.Should().Contain("Succeeded", "a finished execution says it was already finished")),
            Claim("$X/$ID/relaunch", [202], async r =>
            {
                var relaunched = await WaitForEnd(Id(r));
                relaunched["nodes"]!.AsArray().Single(n => n!["id"]!.GetValue<string>() == "train")!["cacheHit"]!.GetValue<bool>()
                    .Should().BeTrue("the README says a second submission with the same inputs hits the cache on train");
            }),
            Claim("$X/$ID/recover", 202));

        string? map = null;
        await Section("Map over a list",
            Claim("API="),
            Claim("AUTH="),
            Claim("X="),
            Claim("name: score-day", 201),
            Claim("name: backfill-scores", 201),
            Claim("MAP=$(curl", [202], async _ =>
            {
                map = await Shell.VariableAsync("MAP");
                var done = await WaitForEnd(map);
                done["phase"]!.GetValue<string>().Should().Be("Succeeded");
                done["outputs"]!["rows"]!.ToJsonString().Should().Be("[10,10,10]");
            }),
            Claim("\"$AUTH\" $X/$MAP ", 200, r => r.Stdout.Should().Contain("\"id\":\"score[2]\"")),
            Claim("nodes/score[1]/attempts/1/logs", 200, r => r.Stdout.Should().Contain("scoring 2026-11-27")),
            Claim("name: bad-map", 400, r => JsonNode.Parse(r.Stdout)!["errors"]!.AsObject().Should().ContainKey("/nodes/0/map/over")));

        await Section("Branch on a condition",
            Claim("name: evaluate-model", 201),
            Claim("name: release-gate", 201),
            Claim("GATE=$(curl", [202], async _ =>
            {
                var done = await WaitForEnd(await Shell.VariableAsync("GATE"));
                done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
                Node(done, "report")["phase"]!.GetValue<string>().Should().Be("Skipped");
            }),
            Claim("\"$AUTH\" $X/$GATE ", 200, r => r.Stdout.Should().Contain("\"taken\":\"register\"")),
            Claim("name: bad-gate", 400, r => JsonNode.Parse(r.Stdout)!["errors"]!.AsObject().Should().ContainKey("/nodes/0/branch/0/if")));

        await Section("Sub-workflows and launch plans as nodes",
            Claim("name: prepare-day", 201),
            Claim("name: prepare-yesterday", 201),
            Claim("name: compare-days", 201),
            Claim("DAYS=$(curl", [202], async _ =>
            {
                var done = await WaitForEnd(await Shell.VariableAsync("DAYS"));
                done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
                done["outputs"]!["report"]!.GetValue<string>().Should().Be("/data//data/2026-11-28.parquet vs /data/2026-11-27.parquet.parquet");
            }),
            Claim("\"$AUTH\" $X/$DAYS ", [200], async r =>
            {
                var launched = JsonNode.Parse(r.Stdout)!["nodes"]!.AsArray().Single(n => n!["id"]!.GetValue<string>() == "yesterday")!["childExecutionId"]!.GetValue<string>();
                (await Execution(launched))["launchPlan"]!.GetValue<string>().Should().Be("prepare-yesterday@v1");
            }),
            Claim("name: loop", 400, r => JsonNode.Parse(r.Stdout)!["errors"]!.AsObject().Should().ContainKey("/nodes/0/workflow")));

        await Section("Files and directories",
            Claim("name: export-model", 201),
            Claim("name: check-model", 201),
            Claim("name: model-handoff", 201),
            Claim("FILES=$(curl", [202], async _ =>
            {
                var done = await WaitForEnd(await Shell.VariableAsync("FILES"));
                done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
                done["outputs"]!["bytes"]!.GetValue<int>().Should().Be(16, "check read the 16 bytes export wrote");
            }),
            Claim("\"$AUTH\" $X/$FILES ", 200, r => r.Stdout.Should().Contain("\"uri\":\"artifact://files/").And.Contain("\"format\":\"onnx\"")),
            Claim("name: bad-format", 400, r => JsonNode.Parse(r.Stdout)!["errors"]!.AsObject().Should().ContainKey("/outputs/model")));

        await Section("Upload a file as an input",
            Claim("printf 'weights from a laptop'"),
            Claim("MODEL=$(curl", 201),
            Claim("name: check-upload", 201),
            Claim("UPLOADED=$(curl", [202], async _ =>
            {
                var done = await WaitForEnd(await Shell.VariableAsync("UPLOADED"));
                done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
                done["outputs"]!["bytes"]!.GetValue<int>().Should().Be(21, "check read the 21 uploaded bytes");
            }),
            Claim("\"$AUTH\" $X/$UPLOADED ", 200, r => r.Stdout.Should().Contain("\"bytes\":21")),
            Claim("/artifacts/$(printf", 200, r => r.Stdout.Should().Be("weights from a laptop")),
            Claim("NOPE="),
            Claim("artifact://files/$NOPE", 400,
                r => JsonNode.Parse(r.Stdout)!["errors"]!.AsObject().Should().ContainKey("/inputs/model")));
        await Section("A whole pipeline",
            Claim("for t in make-dataset", [201, 201, 201, 201, 201], _ => { }),
            Claim("name: prepare-dataset", 201),
            Claim("name: daily-model", 201),
            Claim("PIPE=$(curl", [202], async _ =>
            {
                var done = await WaitForEnd(await Shell.VariableAsync("PIPE"));
                done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
                done["outputs"]!["accuracy"]!.GetValue<double>().Should().Be(0.93, "evaluate read the model train wrote from the three days' rows");
                Node(done, "features")["outputs"]!["rows"]!.ToJsonString().Should().Be("[1,1,1]", "each element read the dataset the sub-workflow wrote");
                Node(done, "register")["outputs"]!["entry"]!.GetValue<string>().Should().StartWith("daily-model@");
                Node(done, "reject")["phase"]!.GetValue<string>().Should().Be("Skipped");
                var child = await Execution(Node(done, "prepare")["childExecutionId"]!.GetValue<string>());
                child["parent"]!["executionId"]!.GetValue<string>().Should().Be(done["id"]!.GetValue<string>());
            }),
            Claim("\"$AUTH\" $X/$PIPE ", 200, r => r.Stdout.Should().Contain("\"taken\":\"register\"").And.Contain("\"id\":\"features[2]\"").And.Contain("\"childExecutionId\"")),
            Claim("$PIPE/audit", 200, r =>
            {
                var report = JsonNode.Parse(r.Stdout)!;
                report["chainsIntact"]!.GetValue<bool>().Should().BeTrue();
                report["attempts"]!.AsArray().Select(a => a!["node"]!.GetValue<string>()).Should()
                    .Contain(["features[0]", "features[1]", "features[2]", "train", "evaluate", "register"], "every map element's attempt is in the account");
                report["tasks"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).Should().NotContain("", "a branch runs no task");
                report["chains"]!.AsArray().Select(c => c!["stream"]!.GetValue<string>()).Should().Contain(s => s.EndsWith("/extract", StringComparison.Ordinal), "the child's task stream is checked");
            }));

        await Section("GPUs and MIG slices",
            Claim("development/tasks -H 'Content-Type: application/yaml' --data-binary @- <<'YAML'", 201),
            Claim("development/workflows -H 'Content-Type: application/yaml' --data-binary @- <<'YAML'", 201),
            Claim("for run in 1 2 3", [202, 202, 202], async r =>
            {
                var third = IdRegex().Matches(r.Stdout).Select(m => m.Groups[1].Value).ToList().Should().HaveCount(3).And.Subject.Last();
                await Eventually.Until(
                    async () => Node(await Execution(third), "tune")["phase"]?.GetValue<string>() == "WaitingForResources",
                    "the third finetune run to wait for a mig-3g.20gb slice", TimeSpan.FromSeconds(30));
            }),
            Claim("$API/capacity\n", 200),
            Claim("capacity?resource=mig-3g.20gb", 200, r => r.Stdout.Should().Contain("no free mig-3g.20gb", "the queue says why")),
            Claim("quotas/mig-3g.20gb", 200),
            Claim("dgx-a100-01/cordon", 200, r => r.Stdout.Should().Contain("driver upgrade")),
            Claim("dgx-a100-01/uncordon", 200));

        await Section("Launch plans and schedules",
            Claim("API="),
            Claim("AUTH="),
            Claim("LP="),
            Claim("@docs/examples/nightly-alpha.yaml", 201),
            Claim("versions/v1/activate", 200, r => r.Stdout.Should().Contain("active")),
            Claim("\"$AUTH\" $LP/nightly-alpha ", 200, r => r.Stdout.Should().Contain("nextFires")),
            Claim("state=active", 200, r => r.Stdout.Should().Contain("nightly-alpha")),
            Claim("nightly-alpha/trigger", 202),
            Claim("versions/v1/backfill", [202], async r =>
            {
                r.Stdout.Should().Contain("2026-11-07");
                var plan = (await Http.GetFromJsonAsync<JsonObject>(new Uri("/api/v1/projects/quant/domains/development/launchplans/nightly-alpha", UriKind.Relative)))!;
                plan["runs"]!["triggered"]!.GetValue<long>().Should().Be(1, "the README's trigger counts");
                plan["runs"]!["backfilled"]!.GetValue<long>().Should().Be(7, "one run per instant in [from, to)");
                plan["recentRuns"]!.AsArray().Should().HaveCount(8);
            }),
            Claim("nightly-alpha/pause", 200),
            Claim("nightly-alpha/resume", 200),
            Claim("versions/v1/archive", 200, r => r.Stdout.Should().Contain("archived")),
            Claim("nightly-alpha/restore", 200, r => r.Stdout.Should().NotContain("archived")),
            Claim("nightly-alpha/archive", 200, r => r.Stdout.Should().Contain("\"state\":\"archived\"")),
            Claim("launchPlan=nightly-alpha&scheduledAt", 200));

        await Section("Audit and replay",
            Claim("API="),
            Claim("AUTH="),
            Claim("D="),
            Claim("RUN=$(curl", 200),
            Claim("history?kind=execution&limit=50", 200, r => r.Stdout.Should().Contain("\"type\":\"ExecutionAccepted\"").And.Contain("\"principal\"")),
            Claim("application/x-ndjson", 200, r => int.Parse(r.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThan(3, "every registration is a line")),
            Claim("$RUN/audit", 200, r => r.Stdout.Should().Contain("\"specHash\"").And.Contain("\"chainsIntact\":true")),
            Claim("AT=$(curl", 200),
            Claim("asOf=$AT", 200, r => r.Stdout.Should().Contain("\"nodes\"").And.NotContain("\"phase\":\"Succeeded\"", "as of its submission the run had not finished")),
            Claim("$API/capacity --data-urlencode", 200, r => r.Stdout.Should().Contain("\"nodes\"").And.Contain("\"queue\"")),
            Claim("DIGEST=$(curl", 200),
            Claim("$API/audit/verify", 200, r => r.Stdout.Should().Contain("\"intact\":true").And.Contain("\"scope\":\"cluster\"")),
            Claim("$D/audit/verify", 200, r => r.Stdout.Should().Contain("\"intact\":true")));
    }

    /// <summary>Runs the section's commands in order; the i-th must contain the i-th claim's text and do what it says.</summary>
    private async Task Section(string heading, params ReadmeClaim[] claims)
    {
        var commands = ReadmeBlocks.Commands(heading);
        commands.Select(c => c.Trim()).Should().HaveSameCount(claims, $"every command under '{heading}' has a claim here:\n{string.Join("\n", commands)}");
        for (var i = 0; i < commands.Count; i++)
        {
            var (command, claim) = (commands[i], claims[i]);
            command.Should().Contain(claim.Text, $"command {i + 1} under '{heading}' is the one claimed");
            var result = await Shell.RunAsync(command);
            result.ExitCode.Should().Be(0, result.ToString());
            result.Statuses.Should().Equal(claim.Statuses, result.ToString());
            if (claim.Check is { } check)
            {
                using var scope = new FluentAssertions.Execution.AssertionScope(result.ToString());
                await check(result);
            }
        }
    }

    private static ReadmeClaim Claim(string text) => new(text, [], null);

    private static ReadmeClaim Claim(string text, int status, Action<CommandResult>? check = null) =>
        new(text, [status], check is null ? null : r => { check(r); return Task.CompletedTask; });

    private static ReadmeClaim Claim(string text, int[] statuses, Action<CommandResult> check) =>
        new(text, statuses, r => { check(r); return Task.CompletedTask; });

    private static ReadmeClaim Claim(string text, int[] statuses, Func<CommandResult, Task> check) => new(text, statuses, check);

    private static string Id(CommandResult result) => IdRegex().Match(result.Stdout).Groups[1].Value;

    private async Task<JsonObject> Execution(string id) =>
        (await Http.GetFromJsonAsync<JsonObject>(new Uri($"/api/v1/projects/quant/domains/development/executions/{id}", UriKind.Relative)))!;

    private async Task<JsonObject> WaitForEnd(string id)
    {
        JsonObject? last = null;
        await Eventually.Until(
            async () => (last = await Execution(id))["phase"]!.GetValue<string>() is "Succeeded" or "Failed" or "Aborted" or "TimedOut",
            $"execution {id} to end", TimeSpan.FromSeconds(60));
        return last!;
    }

    private static JsonObject Node(JsonObject execution, string id) =>
        execution["nodes"]!.AsArray().Single(n => n!["id"]!.GetValue<string>() == id)!.AsObject();

    [GeneratedRegex("\"id\":\"([a-z0-9]{20})\"")]
    private static partial Regex IdRegex();

    private sealed record ReadmeClaim(string Text, int[] Statuses, Func<CommandResult, Task>? Check);
}

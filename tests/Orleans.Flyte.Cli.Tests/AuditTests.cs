using System.Text.Json.Nodes;
using Npgsql;

namespace Orleans.Flyte.Cli.Tests;

/// <summary>
/// An auditor's day from the terminal: the account of one run, the domain's history (a page, every page, an NDJSON
/// export), a digest kept aside, and a verify that passes until someone edits the stored history with SQL.
/// </summary>
[Collection(SharedPlatform.Name)]
public sealed class AuditTests(Platform platform) : PlatformTest(platform, "cli-audit")
{
    private static readonly TimeSpan s_watch = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Report_history_digest_and_verify_account_for_a_run_and_find_an_edited_principal()
    {
        await RegisterScript("score", """echo "{\"auc\": 0.91}" > "$FLYTE_OUTPUTS" """, outputs: "{ auc: float }");
        var run = await Cli.Run(s_watch, null, "run", "score", "--watch");
        run.ExitCode.Should().Be(0, run.ToString());
        var id = run.Stdout.Split('\n')[0].Split(' ')[1];

        var report = await Cli.Run("audit", "report", id);
        report.ExitCode.Should().Be(0, report.ToString());
        report.Stdout.Should().MatchRegex($"Execution: +{id}")
            .And.MatchRegex("Submitted: +\\S+ by \\S+")
            .And.MatchRegex("Workflow: +score@v1  [0-9a-f]{16,}")
            .And.MatchRegex("score +v1 +[0-9a-f]{16,}")
            .And.Contain("auc: 0.91")
            .And.MatchRegex("step +1 +Succeeded")
            .And.MatchRegex("Chains: +intact");
        var json = JsonNode.Parse((await Cli.Run("audit", "report", id, "-o", "json")).Stdout)!;
        json["chains"]!.AsArray().Should().NotBeEmpty().And.OnlyContain(c => c!["intact"]!.GetValue<bool>());

        var page = JsonNode.Parse((await Cli.Run("audit", "history", "--kind", "execution", "--limit", "2", "-o", "json")).Stdout)!;
        page["items"]!.AsArray().Should().HaveCount(2).And.OnlyContain(e => e!["stream"]!.GetValue<string>().StartsWith("execution/", StringComparison.Ordinal));
        page["nextCursor"]!.GetValue<string>().Should().NotBeNullOrEmpty("the run wrote more than two execution events");

        var all = JsonNode.Parse((await Cli.Run("audit", "history", "--all", "-o", "json")).Stdout)!["items"]!.AsArray();
        var export = await Cli.Run("audit", "history", "--ndjson");
        export.ExitCode.Should().Be(0, export.ToString());
        var lines = export.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Select(l => JsonNode.Parse(l)!["sequence"]!.GetValue<long>()).Should()
            .Equal(all.Select(e => e!["sequence"]!.GetValue<long>()), "the export and the pages are the same history in the same order");

        var table = await Cli.Run("audit", "history", "--kind", "execution");
        table.ExitCode.Should().Be(0, table.ToString());
        table.Stdout.Split('\n')[0].Should().MatchRegex("^SEQ +AT +STREAM +VERSION +TYPE +PRINCIPAL +REASON$");

        var digest = await Cli.Run("audit", "digest");
        digest.ExitCode.Should().Be(0, digest.ToString());
        var saved = WriteFile("digest.json", digest.Stdout);
        var verified = await Cli.Run("audit", "verify", "--digest", saved);
        verified.ExitCode.Should().Be(0, verified.ToString());
        verified.Stdout.Should().MatchRegex($"^{Project}/development: \\d+ streams, {all.Count} events checked in [0-9.]+s: intact\n");

        // An intruder with SQL access rewrites who submitted the run.
        var stream = all.Select(e => e!["stream"]!.GetValue<string>()).First(s => s.StartsWith("execution/", StringComparison.Ordinal) && s.Contains(id, StringComparison.Ordinal));
        await using (var connection = new NpgsqlConnection(Platform.ConnectionString))
        {
            await connection.OpenAsync();
            await using var edit = new NpgsqlCommand("update flyte.mt_events set data = jsonb_set(data, '{Meta,Principal}', '\"mallory\"') where stream_id = @s and version = 1", connection);
            edit.Parameters.AddWithValue("s", stream);
            (await edit.ExecuteNonQueryAsync()).Should().Be(1);
        }

        var broken = await Cli.Run("audit", "verify", "--digest", saved);
        broken.ExitCode.Should().Be(20, broken.ToString());
        broken.Stdout.Should().Contain(": BROKEN").And.MatchRegex($"{stream} +1 +EditedMetadata ");
        (await Cli.Run("audit", "report", id)).ExitCode.Should().Be(20, "the report reads from the edited stream");
    }

    [Fact]
    public async Task A_digest_file_that_is_not_a_digest_is_one_clear_line_and_exit_code_1()
    {
        var file = WriteFile("not-a-digest.json", "[1, 2]");

        var verify = await Cli.Run("audit", "verify", "--digest", file);

        verify.ExitCode.Should().Be(1, verify.ToString());
        verify.Stderr.Should().StartWith("error: --digest ").And.Contain("not a digest");
        verify.Stdout.Should().BeEmpty();
    }
}

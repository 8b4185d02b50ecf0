using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Api.Tests.Audit;

/// <summary>A domain's history, its verification and its digest, through HTTP after real runs.</summary>
public sealed class AuditApiTests : ExecutionTestBase
{
    [Fact]
    public async Task History_lists_every_event_of_the_domain_in_commit_order_with_who_when_which_request_and_data()
    {
        var id = await RunHello();

        var all = await Items($"{Scope}/history?limit=1000");

        all.Select(e => e["sequence"]!.GetValue<long>()).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        all.Select(e => e["stream"]!.GetValue<string>()).Should().Contain(["task/lab/development/hello", "workflow/lab/development/hello", $"execution/{id}", $"execution/{id}/greet"]);
        var accepted = all.Single(e => e["type"]!.GetValue<string>() == "ExecutionAccepted");
        accepted["principal"]!.GetValue<string>().Should().NotBeNullOrEmpty();
        accepted["correlationId"]!.GetValue<string>().Should().NotBeNullOrEmpty();
        accepted["version"]!.GetValue<long>().Should().Be(1);
        accepted["data"]!["executionId"]!.GetValue<string>().Should().Be(id);
        accepted["hash"]!.GetValue<string>().Should().HaveLength(64);

        var executions = await Items($"{Scope}/history?kind=execution&limit=1000");
        executions.Should().NotBeEmpty().And.OnlyContain(e => e["stream"]!.GetValue<string>().StartsWith("execution/", StringComparison.Ordinal));
        (await Items($"{Scope}/history?kind=task,workflow&limit=1000")).Select(e => e["stream"]!.GetValue<string>()).Distinct()
            .Should().BeEquivalentTo(["task/lab/development/hello", "workflow/lab/development/hello"]);

        var correlation = accepted["correlationId"]!.GetValue<string>();
        (await Items($"{Scope}/history?correlationId={Uri.EscapeDataString(correlation)}&limit=1000"))
            .Should().NotBeEmpty().And.OnlyContain(e => e["correlationId"]!.GetValue<string>() == correlation);
        (await Items($"{Scope}/history?principal=nobody-at-all")).Should().BeEmpty();

        var at = accepted["at"]!.GetValue<DateTimeOffset>();
        (await Items($"{Scope}/history?to={Uri.EscapeDataString(at.ToString("O"))}&limit=1000"))
            .Should().OnlyContain(e => e["at"]!.GetValue<DateTimeOffset>() < at).And.NotContain(e => e["type"]!.GetValue<string>() == "ExecutionAccepted");
        (await Items($"{Scope}/history?from={Uri.EscapeDataString(at.ToString("O"))}&limit=1000"))
            .Should().OnlyContain(e => e["at"]!.GetValue<DateTimeOffset>() >= at).And.Contain(e => e["type"]!.GetValue<string>() == "ExecutionAccepted");
    }

    [Fact]
    public async Task Cursor_pages_join_up_to_the_whole_history_and_an_ndjson_export_streams_the_same_events()
    {
        await RunHello();
        var all = await Items($"{Scope}/history?limit=1000");

        var paged = new List<JsonObject>();
        string? cursor = null;
        do
        {
            var page = await Json(await Get($"{Scope}/history?limit=3" + (cursor is null ? string.Empty : $"&cursor={cursor}")));
            paged.AddRange(page["items"]!.AsArray().Select(i => i!.AsObject()));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        paged.Select(e => e["sequence"]!.GetValue<long>()).Should().Equal(all.Select(e => e["sequence"]!.GetValue<long>()));

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{Scope}/history", UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson"));
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/x-ndjson");
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Select(l => JsonNode.Parse(l)!["sequence"]!.GetValue<long>()).Should().Equal(all.Select(e => e["sequence"]!.GetValue<long>()));
    }

    [Theory]
    [InlineData("kind=gpu-node", "kind")]
    [InlineData("cursor=abc", "cursor")]
    [InlineData("limit=0", "limit")]
    [InlineData("from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "to")]
    public async Task An_invalid_history_query_is_a_400_that_names_the_parameter(string query, string parameter)
    {
        var response = await Get($"{Scope}/history?{query}");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain(parameter);
    }

    [Fact]
    public async Task A_verified_domain_is_intact_and_an_edit_in_the_database_is_named_with_its_stream_and_version()
    {
        var id = await RunHello();
        var digest = await Json(await Get($"{Scope}/audit/digest"));
        digest["streams"]!.AsArray().Should().NotBeEmpty();

        var clean = await Json(await Http.PostAsJsonAsync(new Uri($"{Scope}/audit/verify", UriKind.Relative), new { digest }));
        clean["intact"]!.GetValue<bool>().Should().BeTrue(clean.ToJsonString());

        await using (var connection = new Npgsql.NpgsqlConnection(Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(
                "update flyte.mt_events set data = jsonb_set(data, '{Meta,Principal}', '\"mallory\"') where stream_id = @s and version = 1", connection);
            command.Parameters.AddWithValue("s", $"execution/{id}");
            (await command.ExecuteNonQueryAsync()).Should().Be(1);
        }

        var report = await Json(await Http.PostAsJsonAsync(new Uri("/api/v1/audit/verify", UriKind.Relative), new { project = "lab", domain = "development", digest }));

        report["intact"]!.GetValue<bool>().Should().BeFalse();
        var broken = report["broken"]!.AsArray().Should().ContainSingle().Subject!;
        broken["stream"]!.GetValue<string>().Should().Be($"execution/{id}");
        broken["firstBrokenVersion"]!.GetValue<long>().Should().Be(1);
        broken["damage"]!.GetValue<string>().Should().Be("EditedMetadata");
    }

    [Fact]
    public async Task The_cluster_streams_verify_intact_with_the_allocator_audit_and_a_digest_of_another_scope_is_refused()
    {
        await RunHello();

        var report = await Json(await Http.PostAsJsonAsync(new Uri("/api/v1/audit/verify", UriKind.Relative), new { }));
        report["scope"]!.GetValue<string>().Should().Be("cluster");
        report["intact"]!.GetValue<bool>().Should().BeTrue(report.ToJsonString());
        report["streams"]!.GetValue<long>().Should().BeGreaterThan(0, "the project and the access streams are cluster-wide");
        (await Items("/api/v1/history?kind=project")).Should().Contain(e => e["stream"]!.GetValue<string>() == "project/lab");

        var domainDigest = await Json(await Get($"{Scope}/audit/digest"));
        var refused = await Http.PostAsJsonAsync(new Uri("/api/v1/audit/verify", UriKind.Relative), new { digest = domainDigest });
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Http.PostAsJsonAsync(new Uri("/api/v1/audit/verify", UriKind.Relative), new { project = "lab" })).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Http.PostAsJsonAsync(new Uri("/api/v1/audit/verify", UriKind.Relative), new { project = "nope", domain = "development" })).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    private async Task<string> RunHello()
    {
        await RegisterTask("hello", "echo '{}' > \"$FLYTE_OUTPUTS\"");
        await RegisterWorkflow("name: hello\nversion: v1\nnodes: [ { id: greet, task: hello@v1 } ]\n");
        var id = await Submit("hello@v1");
        (await WaitForEnd(id))["phase"]!.GetValue<string>().Should().Be("Succeeded");
        return id;
    }

    private async Task<List<JsonObject>> Items(string path)
    {
        var response = await Get(path);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return [.. (await Json(response))["items"]!.AsArray().Select(i => i!.AsObject())];
    }
}

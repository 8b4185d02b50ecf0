using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Orleans.Flyte.Api.Tests.Gpus;

namespace Orleans.Flyte.Api.Tests.Hostile;

/// <summary>
/// Random hostile requests against every operation of the served OpenAPI document (issue 11): mutated valid bodies,
/// broken JSON and YAML, odd Unicode, huge and deeply nested values, odd headers and path values. No answer may be a
/// 5xx or a dropped connection, every 4xx must be problem details, and afterwards the platform must be healthy and its
/// inventory unchanged. CsCheck prints the seed of a failing case, so it can be replayed.
/// </summary>
public sealed class HostileInputFuzzTests : ApiTestBase
{
    private const string Node = "gpu-fuzz-01";
    private const int Requests = 400;

    private static readonly string[] s_validNames = ["lab", "development", Node, "fuzz-wf", "fuzz-task", "v1", "gpu", "mig-1g.5gb", "1", "nightly"];

    private static readonly string[] s_hostileSegments =
    [
        "%20", "%20lab", "lab%20", "%01", "%09", "%7F", "..", "%2E%2E", "a%2Fb", "%ED%A0%80", "%FF", "%C0%AF", "UPPER", "-lead",
        "%F0%9F%98%80", "%E2%80%AE", "null", "0", "-1", "99999999999999999999", new string('x', 3000), "%E2%80%8B", "a%3Bb", "%25",
    ];

    private static readonly string[] s_hostileText =
    [
        "\0", "a\0b", "\ud800", "x\udc00y", "\u0001", "\u001b[31m", "\u007f", "\u202e", "\u200b", "\ufeff", "\uffff", "😀", "e\u0301",
        "line\nbreak", "tab\t", "\r\n\r\n", "'; drop table x; --", "{{ inputs.x }}", "${HOME}", "../../etc/passwd", "null", "",
        "   ", new string('y', 70_000), new string('z', 1025),
    ];

    private static readonly string[] s_brokenBodies =
    [
        "{", "{\"a\":", "[1,2", "\"\\ud800\"", "{\"reason\":\"\\ud800\"}", "{\"name\":\"\\u0000\"}", "nul\0l", "{\"a\":1,,}", "{'a':1}",
        "name: [unclosed", "a: *nope", "? [complex]\n: key", "a: &a [x,x]\nb: &b [*a,*a]\nc: [*b,*b,*b]", "---\n---\n---", "\t- tab: indent",
        "", "null", "[]", "42", "\"text\"", "true", "{\"__proto__\":{}}", "\ufeff{}", "{\"a\":1e999999}", "{\"limit\":-9223372036854775809}",
    ];

    private static readonly string[] s_validBodies =
    [
        """{"reason":"maintenance","drain":true}""",
        """{"name":"fuzz-project","displayName":"Fuzz","description":"made by the fuzz test"}""",
        """{"workflow":"fuzz-wf","inputs":{"n":"1"},"overwriteCache":false,"priority":3}""",
        """{"limit":2,"reason":"fuzz"}""",
        """{"version":"v1","inputs":{},"reason":"fuzz"}""",
        """{"from":"2026-01-01T00:00:00Z","to":"2026-01-02T00:00:00Z","reason":"fuzz"}""",
        "name: fuzz-task\nversion: v2\ncontainer: { image: \"x:1\", command: [sh, -c, \"true\"] }\n",
    ];

    private static readonly string[] s_contentTypes =
    [
        "application/json", "application/json", "application/yaml", "text/plain", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/json; charset=utf-16", "garbage", "application/problem+json",
    ];

    protected override IReadOnlyDictionary<string, string> Settings => TestInventory.Settings(Node, "whole", "mig:3g.20gb,1g.5gb,1g.5gb");

    [Fact]
    public async Task Random_hostile_requests_across_every_endpoint_get_no_5xx_and_every_4xx_is_problem_details()
    {
        (await CreateProject("lab")).EnsureSuccessStatusCode();
        (await Post("/api/v1/projects/lab/domains/development/tasks", "name: fuzz-task\nversion: v1\ncontainer: { image: \"x:1\", command: [sh, -c, \"true\"] }\n"))
            .EnsureSuccessStatusCode();
        (await Post("/api/v1/projects/lab/domains/development/workflows", "name: fuzz-wf\nversion: v1\nnodes:\n  - id: one\n    task: fuzz-task@v1\n"))
            .EnsureSuccessStatusCode();
        var inventoryBefore = await Inventory();
        var operations = await Operations();
        operations.Should().HaveCountGreaterThan(30, "the OpenAPI document lists every operation");

        var text = Gen.OneOf(s_hostileText);
        var segment = Gen.Frequency((3, Gen.OneOf(s_validNames)), (2, Gen.OneOf(s_hostileSegments)));
        var body = Gen.Frequency(
            (4, Gen.Select(Gen.OneOf(s_validBodies), Gen.Int[0, 5], text, (valid, how, bad) => Mutate(valid, how, bad))),
            (2, Gen.OneOf(s_brokenBodies)),
            (1, Gen.Int[1, 3].Select(k => k switch
            {
                1 => new string('[', 5000) + new string(']', 5000),
                2 => string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200),
                _ => "{\"reason\":\"" + new string('r', 2_000_000) + "\"}",
            })));
        var header = Gen.Frequency((4, Gen.Const<string?>((string?)null)), (1, Gen.OneOf<string?>("abc\tdef", "\u0001", new string('k', 300), "ok-key", "ünï")));
        var query = Gen.Frequency((3, Gen.Const(string.Empty)),
            (1, Gen.Select(Gen.OneOf("limit", "cursor", "phase", "workflow", "resource", "createdAfter", "launchPlan", "scheduledAt"), segment,
                (name, value) => $"?{name}={value}")));
        var cases = Gen.Select(Gen.Int[0, operations.Count - 1], Gen.Select(segment, segment, segment, segment), body, Gen.OneOf(s_contentTypes),
            Gen.Select(header, header), query,
            (op, segments, payload, contentType, headers, q) => new HostileCase(
                operations[op].Method,
                Fill(operations[op], [segments.Item1, segments.Item2, segments.Item3, segments.Item4]) + q,
                payload, contentType, headers.Item1, headers.Item2));

        var seen = new Dictionary<int, int>();
        await cases.SampleAsync(async c =>
        {
            using var request = c.ToRequest();
            HttpResponseMessage response;
            try
            {
                response = await Http.SendAsync(request);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException)
            {
                throw new InvalidOperationException($"{c}: the connection failed: {ex.Message}", ex);
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                lock (seen)
                {
                    seen[status] = seen.GetValueOrDefault(status) + 1;
                }

                var answer = await response.Content.ReadAsStringAsync();
                status.Should().BeLessThan(500, $"{c} answered {answer}");
                if (status >= 400)
                {
                    response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", $"{c} answered {status} {answer}");
                    JsonNode.Parse(answer)!["status"]!.GetValue<int>().Should().Be(status, answer);
                }
            }
        }, iter: Requests, threads: 2, print: c => c.ToString());

        seen.Keys.Should().Contain(s => s >= 400 && s < 500, "the cases were hostile enough to be refused");

        // Healthy and unchanged: ready, the node grain answers, the same inventory, the registered work still runs.
        (await Get("/readyz")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await Http.PostAsync(new Uri($"/api/v1/gpu-nodes/{Node}/uncordon", UriKind.Relative), null)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await Inventory()).Should().Be(inventoryBefore);
        var submitted = await Http.PostAsync(new Uri("/api/v1/projects/lab/domains/development/executions", UriKind.Relative),
            new StringContent("""{"workflow":"fuzz-wf"}""", Encoding.UTF8, "application/json"));
        submitted.StatusCode.Should().Be(HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
    }

    /// <summary>Turns a valid body into a hostile one: a bad string, an unknown field, a wrong type, a duplicate key.</summary>
    private static string Mutate(string valid, int how, string bad)
    {
        if (JsonNode.Parse(valid.StartsWith('{') ? valid : "{}") is not JsonObject obj || !valid.StartsWith('{'))
        {
            return how switch
            {
                0 => valid.Replace("fuzz-task", bad, StringComparison.Ordinal),
                1 => valid + "extra: " + bad + "\n",
                2 => valid.Replace("sh", "\"" + bad + "\"", StringComparison.Ordinal),
                _ => valid,
            };
        }

        var key = obj.Select(p => p.Key).ElementAt(how % obj.Count);
        switch (how)
        {
            case 0 or 1:
                obj[key] = bad;
                break;
            case 2:
                obj[bad.Length > 40 ? "unknownField" : bad + "x"] = 1;
                break;
            case 3:
                obj[key] = new JsonArray(1, "two", null);
                break;
            case 4:
                obj[key] = new JsonObject { ["nested"] = bad };
                break;
            default:
                return obj.ToJsonString()[..^1] + $",\"{key}\":null}}";
        }

        return obj.ToJsonString();
    }

    private static string Fill(Operation operation, string[] values)
    {
        var path = operation.Path;
        var i = 0;
        foreach (var parameter in operation.PathParameters)
        {
            var value = values[i++ % values.Length];

            // A valid node name on DELETE would take the node out of the inventory: a legitimate change, not a hostile one.
            if (operation.Method == HttpMethod.Delete && value == Node)
            {
                value = "%20";
            }

            path = path.Replace("{" + parameter + "}", value, StringComparison.Ordinal);
        }

        return path;
    }

    private async Task<List<Operation>> Operations()
    {
        var document = JsonNode.Parse(await (await Get("/openapi/v1.json")).Content.ReadAsStringAsync())!;
        var operations = new List<Operation>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, _) in item!.AsObject().Where(m => m.Key is "get" or "post" or "put" or "delete" or "patch"))
            {
                var parameters = System.Text.RegularExpressions.Regex.Matches(path, @"\{([^}:]+)(:[^}]*)?\}").Select(m => m.Groups[1].Value).ToList();
                operations.Add(new Operation(new HttpMethod(method.ToUpperInvariant()), System.Text.RegularExpressions.Regex.Replace(path, @"\{([^}:]+):[^}]*\}", "{$1}"), parameters));
            }
        }

        return operations;
    }

    private async Task<string> Inventory()
    {
        var capacity = JsonNode.Parse(await (await Get("/api/v1/capacity")).Content.ReadAsStringAsync())!;
        return string.Join(";", capacity["nodes"]!.AsArray().Select(n => n!["name"] + ":" + string.Join(",",
            n["devices"]!.AsArray().SelectMany(d => d!["slices"]!.AsArray().Select(s => s!["id"]!.GetValue<string>()).Prepend(d["id"]!.GetValue<string>())))));
    }

    private sealed record Operation(HttpMethod Method, string Path, IReadOnlyList<string> PathParameters);

    private sealed record HostileCase(HttpMethod Method, string Path, string Body, string ContentType, string? CorrelationId, string? IdempotencyKey)
    {
        public HttpRequestMessage ToRequest()
        {
            var request = new HttpRequestMessage(Method, new Uri(Path, UriKind.Relative));
            if (Method != HttpMethod.Get && Method != HttpMethod.Delete)
            {
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Body));
                request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }

            if (CorrelationId is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Correlation-Id", CorrelationId);
            }

            if (IdempotencyKey is not null)
            {
                request.Headers.TryAddWithoutValidation("Idempotency-Key", IdempotencyKey);
            }

            return request;
        }

        public override string ToString() =>
            $"{Method} {(Path.Length > 120 ? Path[..120] + "…" : Path)} [{ContentType}] body {(Body.Length > 120 ? Body[..120] + $"… ({Body.Length} chars)" : Body)}";
    }
}

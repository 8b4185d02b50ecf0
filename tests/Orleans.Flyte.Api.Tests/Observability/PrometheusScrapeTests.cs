using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orleans.Flyte.Api.Tests.Gpus;
using Orleans.Flyte.Api.Tests.LaunchPlans;
using Orleans.Flyte.Testing;
using YamlDotNet.RepresentationModel;

namespace Orleans.Flyte.Api.Tests.Observability;

/// <summary>
/// The dashboards and alert rules proven against a real Prometheus: the platform listens on a loopback port and runs a
/// small workload (a GPU task that waits for the only mig-3g.20gb slice and then runs, a failing task, a schedule that
/// fires, misses instants while its clock jumps, and fires again), while a Prometheus process scrapes its /metrics every
/// second with the repository's rule file loaded. Then every panel query of every dashboard and every alert expression
/// is evaluated through Prometheus' HTTP API over the workload's time range, and each must return series with values.
/// </summary>
/// <remarks>
/// An alert expression is a condition (<c>inner &gt; threshold</c>) that is rightly empty while nothing is wrong, so what
/// is checked is its inner expression, the comparison taken off: that proves every metric and label the alert reads
/// exists and has data. That each alert fires for its scenario, and only then, is shown by <c>promtool test rules</c>
/// (<see cref="Orleans.Flyte.Api.Tests.Observability.AlertRuleFileTests"/>); here Prometheus also evaluates each rule as
/// loaded, and must report every one healthy.
/// </remarks>
public sealed partial class PrometheusScrapeTests : LaunchPlanTestBase
{
    private const string GpuNode = "gpu-obs-01";
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(90);

    protected override bool ListensOnLoopback => true;

    protected override IReadOnlyDictionary<string, string>? Settings => TestInventory.Settings(GpuNode,
        "whole", "mig:3g.20gb,2g.10gb,1g.5gb,1g.5gb");

    private static string Repo(string relative) => Path.Combine(Checkout.Root, relative);

    [Fact]
    public async Task Every_dashboard_panel_and_alert_expression_returns_series_from_a_real_prometheus_scraping_the_silo()
    {
        var started = DateTimeOffset.UtcNow;
        await using var prometheus = await PrometheusServer.StartAsync(
            $"{Address!.Host}:{Address.Port}", TimeSpan.FromSeconds(1), Repo("dashboards/alerts/orleans-flyte.rules.yml"));
        await Until(prometheus, "up{job=\"orleans-flyte\"} == 1", "Prometheus to scrape the silo");

        await RunWorkload(prometheus);

        var queries = DashboardQueries().Concat(AlertQueries()).ToList();
        queries.Should().HaveCountGreaterThan(40);
        var empty = new List<string>();
        foreach (var (where, expression) in queries)
        {
            // Later scrapes can still be on their way (the last counters of the workload): poll, with one deadline for all.
            try
            {
                await Eventually.Until(
                    () => prometheus.QueryRange(expression, started, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1)),
                    HasValues,
                    $"{where}: {expression}",
                    TimeSpan.FromSeconds(10),
                    poll: TimeSpan.FromSeconds(1));
            }
            catch (TimeoutException)
            {
                empty.Add($"{where}: {expression}");
            }
        }

        empty.Should().BeEmpty("every panel query and every alert's inner expression returns series with values");

        // Prometheus evaluates the rule file as loaded: every rule healthy (a bad expression or label would say so here).
        var rules = await Eventually.Until(
            () => prometheus.Api("/api/v1/rules"),
            data => AllRules(data).Count() == 6 && AllRules(data).All(r => r["health"]!.GetValue<string>() == "ok"),
            "Prometheus to evaluate all six alert rules as healthy",
            s_deadline,
            describe: data => data.ToJsonString());
        AllRules(rules).Select(r => r["name"]!.GetValue<string>()).Should().BeEquivalentTo(
            "FlyteGpuRequestsWaitingTooLong", "FlyteScheduleMissedFires", "FlyteScheduleFiresLate", "FlyteEventStoreAppendFailures",
            "FlyteNoLiveSilo", "FlyteFailedExecutionRatioRising");
    }

    [Fact]
    public async Task Promtool_check_metrics_accepts_the_silos_metrics()
    {
        var submitted = await SubmitSucceeding();
        await WaitForEnd(submitted);
        var text = await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        text.Should().Contain("flyte_execution_transitions_total{project=\"lab\",domain=\"development\",phase=\"succeeded\"}")
            .And.Contain("flyte_event_store_append_duration_seconds_bucket")
            .And.Contain("http_requests_received_total");

        var (exit, output) = await PrometheusServer.Promtool(text, Checkout.Root, "check", "metrics");

        exit.Should().Be(0, output);
    }

    /// <summary>Workload: GPU contention, a failure, a schedule that fires, misses and fires again.</summary>
    private async Task RunWorkload(PrometheusServer prometheus)
    {
        var gate = Path.Combine(Scratch, "gpu");
        Directory.CreateDirectory(gate);
        await Expect(HttpStatusCode.Created, Post($"{Scope}/tasks", $$"""
            name: hold-slice
            version: v1
            container: { image: local, command: [sh, -c, "while [ ! -f {{gate}}/$FLYTE_INPUT_NAME.go ]; do sleep 0.05; done"] }
            inputs: { name: string }
            outputs: {}
            resources: { gpu: { profile: mig-3g.20gb } }
            """));
        await Expect(HttpStatusCode.Created, Post($"{Scope}/tasks", """
            name: fails
            version: v1
            container: { image: local, command: [sh, -c, "exit 3"] }
            inputs: {}
            outputs: {}
            """));
        await Expect(HttpStatusCode.Created, Post($"{Scope}/workflows", """
            name: gpu-wf
            version: v1
            inputs: { name: string }
            nodes:
              - { id: hold, task: hold-slice@v1, inputs: { name: "{{ inputs.name }}" } }
            """));
        await Expect(HttpStatusCode.Created, Post($"{Scope}/workflows", """
            name: failing-wf
            version: v1
            nodes:
              - { id: boom, task: fails@v1 }
            """));

        // An explicit quota, so the quota series exists (far above what the workload uses).
        await Expect(HttpStatusCode.OK, Http.PutAsJsonAsync(new Uri($"{Scope}/quotas/gpu", UriKind.Relative), new { limit = 2, reason = "dashboard test" }));

        // The schedule fires on time twice.
        await Register("every-ten", "cron: \"*/10 * * * *\", catchUp: none");
        await Transition("every-ten", "v1", "activate");
        await StepTo(20, minute => minute is 10 or 20 ? WaitForRun("every-ten", Minute(minute)) : Task.CompletedTask);

        // GPU contention: the first run holds the only mig-3g.20gb slice, the second waits, until Prometheus has seen both.
        var first = await Submit("gpu-wf", new { name = "first" });
        await Until(prometheus, "flyte_gpu_unit_held_since_timestamp_seconds{resource=\"mig-3g.20gb\",task_node=\"hold\"}", "the holder of the slice to be scraped");
        var second = await Submit("gpu-wf", new { name = "second" });
        await Until(prometheus, "flyte_gpu_oldest_wait_seconds{resource=\"mig-3g.20gb\"} > 0", "the waiting request to be scraped");
        var failed = await Submit("failing-wf");
        (await WaitForEnd(failed))["phase"]!.GetValue<string>().Should().Be("Failed");

        await File.WriteAllTextAsync(Path.Combine(gate, "first.go"), string.Empty);
        (await WaitForEnd(first))["phase"]!.GetValue<string>().Should().Be("Succeeded");
        await Until(prometheus, "flyte_gpu_unit_held_since_timestamp_seconds{resource=\"mig-3g.20gb\",task_node=\"hold\"}", "the second run's hold to be scraped");
        await File.WriteAllTextAsync(Path.Combine(gate, "second.go"), string.Empty);
        (await WaitForEnd(second))["phase"]!.GetValue<string>().Should().Be("Succeeded");
        (await WaitForEnd(await Submit("failing-wf")))["phase"]!.GetValue<string>().Should().Be("Failed");

        // The scheduler's clock jumps 35 minutes: 30, 40 and 50 are missed (catchUp: none), then 60 fires again.
        Clock.Set(Minute(55));
        await Eventually.Until(async () => (await LaunchPlan("every-ten"))["missed"]?.GetValue<long>() > 0,
            "the schedule to record its missed instants", s_deadline);
        await StepTo(60, minute => minute == 60 ? WaitForRun("every-ten", Minute(60)) : Task.CompletedTask);

        await Until(prometheus, "sum(flyte_launch_plan_missed_fires_total) > 0 and sum(flyte_launch_plan_fires_total) >= 3",
            "the missed and the third fire to be scraped");
        await Until(prometheus, "sum(flyte_execution_transitions_total{phase=\"failed\"}) >= 2", "both failures to be scraped");
    }

    private async Task<string> Submit(string workflow, object? inputs = null)
    {
        var response = await Http.PostAsJsonAsync(new Uri($"{Scope}/executions", UriKind.Relative), new { workflow, inputs });
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await Json(response))["id"]!.GetValue<string>();
    }

    private async Task<string> SubmitSucceeding()
    {
        await Expect(HttpStatusCode.Created, Post($"{Scope}/workflows", """
            name: once
            version: v1
            nodes:
              - { id: run, task: stamp@v1, inputs: { at: "2026-03-02T00:00:00Z", gate: "/", epochs: 1 } }
            """));
        return await Submit("once");
    }

    private Task<JsonObject> WaitForEnd(string id) => Eventually.Until(
        async () => await Expect(HttpStatusCode.OK, Get($"{Scope}/executions/{id}")),
        e => e["phase"]!.GetValue<string>() is "Succeeded" or "Failed" or "Aborted" or "TimedOut",
        $"execution {id} to end",
        s_deadline,
        describe: e => e.ToJsonString());

    private static Task Until(PrometheusServer prometheus, string expression, string what) => Eventually.Until(
        async () => ((JsonArray)(await prometheus.Query(expression))["result"]!).Count > 0,
        $"{what} ({expression})",
        s_deadline,
        notYet: e => e is HttpRequestException);

    /// <summary>At least one series with at least one value that is a number (a ratio of nothing is NaN, not data).</summary>
    private static bool HasValues(JsonObject data) =>
        data["result"]!.AsArray().Any(series => series!["values"]!.AsArray().Any(v => v![1]!.GetValue<string>() is not ("NaN" or "+Inf" or "-Inf")));

    private static IEnumerable<JsonObject> AllRules(JsonObject data) =>
        data["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!.AsObject());

    /// <summary>Every target of every panel of every dashboard, with Grafana's interval variables set as Grafana would.</summary>
    private static IEnumerable<(string Where, string Expression)> DashboardQueries()
    {
        foreach (var file in Directory.GetFiles(Repo("dashboards"), "*.json").Order(StringComparer.Ordinal))
        {
            var dashboard = JsonNode.Parse(File.ReadAllText(file))!;
            foreach (var panel in dashboard["panels"]!.AsArray())
            {
                foreach (var target in panel!["targets"]?.AsArray() ?? [])
                {
                    var expression = target!["expr"]!.GetValue<string>()
                        .Replace("$__rate_interval", "15s", StringComparison.Ordinal)
                        .Replace("$__interval", "1s", StringComparison.Ordinal)
                        .Replace("$__range", "1h", StringComparison.Ordinal);
                    expression.Should().NotContain("$", "{0} uses only Grafana's interval variables", Path.GetFileName(file));
                    yield return ($"{Path.GetFileName(file)} / {panel["title"]} / {target["refId"]}", expression);
                }
            }
        }
    }

    /// <summary>Every alert's expression with its final comparison taken off (see the class remarks).</summary>
    private static IEnumerable<(string Where, string Expression)> AlertQueries()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Repo("dashboards/alerts/orleans-flyte.rules.yml")))
        {
            yaml.Load(reader);
        }

        var groups = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["groups"];
        foreach (var rule in groups.Cast<YamlMappingNode>().SelectMany(g => (YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>())
        {
            var expression = ((YamlScalarNode)rule["expr"]).Value!.Trim();
            var condition = FinalComparison().Match(expression);
            condition.Success.Should().BeTrue("alert expressions end in a comparison with a number: {0}", expression);
            yield return ($"alert {((YamlScalarNode)rule["alert"]).Value}", condition.Groups["inner"].Value.Trim());
        }
    }

    [GeneratedRegex(@"^(?<inner>.+?)\s*(>=|<=|==|!=|>|<)\s*[0-9.eE+-]+$", RegexOptions.Singleline)]
    private static partial Regex FinalComparison();
}

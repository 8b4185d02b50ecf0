using System.Text.Json.Nodes;
using Orleans.Flyte.Testing;
using YamlDotNet.RepresentationModel;

namespace Orleans.Flyte.Api.Tests.Observability;

/// <summary>
/// The alert rules and dashboards as files: Prometheus' own tool accepts the rules and runs their unit tests (each alert
/// fires for its scenario and stays quiet otherwise), every alert says what is wrong and what to do, and every dashboard
/// picks its data source through a variable and ships in the Kubernetes ConfigMap. That the queries return data is
/// <see cref="PrometheusScrapeTests"/>.
/// </summary>
public sealed class AlertRuleFileTests
{
    private static readonly string s_alerts = Path.Combine(Checkout.Root, "dashboards", "alerts");

    [Fact]
    public async Task Promtool_check_rules_accepts_the_rule_file()
    {
        var (exit, output) = await PrometheusServer.Promtool(null, s_alerts, "check", "rules", "orleans-flyte.rules.yml");

        exit.Should().Be(0, output);
        output.Should().Contain("SUCCESS: 6 rules found");
    }

    [Fact]
    public async Task Promtool_unit_tests_show_each_alert_firing_for_its_scenario_and_quiet_otherwise()
    {
        var (exit, output) = await PrometheusServer.Promtool(null, s_alerts, "test", "rules", "orleans-flyte.rules.test.yml");

        exit.Should().Be(0, output);
        output.Should().Contain("SUCCESS");

        // Every alert has a test that expects it to fire and one evaluation where it must not.
        var tests = File.ReadAllText(Path.Combine(s_alerts, "orleans-flyte.rules.test.yml"));
        foreach (var alert in Rules().Select(r => ((YamlScalarNode)r["alert"]).Value!))
        {
            var evaluations = tests.Split("alertname: " + alert)[1..];
            evaluations.Should().Contain(e => e.TrimStart().StartsWith("exp_alerts: []", StringComparison.Ordinal), $"{alert} has a quiet case");
            evaluations.Should().Contain(e => e.TrimStart().StartsWith("exp_alerts:\n", StringComparison.Ordinal), $"{alert} has a firing case");
        }
    }

    [Fact]
    public void Every_alert_has_a_severity_a_summary_and_a_runbook()
    {
        var rules = Rules().ToList();

        rules.Should().HaveCount(6);
        foreach (var rule in rules)
        {
            var name = ((YamlScalarNode)rule["alert"]).Value;
            ((YamlMappingNode)rule["labels"]).Children.Should().ContainKey(new YamlScalarNode("severity"), name);
            var annotations = (YamlMappingNode)rule["annotations"];
            ((YamlScalarNode)annotations["summary"]).Value.Should().NotBeNullOrWhiteSpace(name);
            ((YamlScalarNode)annotations["runbook"]).Value.Should().NotBeNullOrWhiteSpace(name);
        }
    }

    [Fact]
    public void Every_dashboard_uses_the_data_source_variable_and_ships_in_the_configmap()
    {
        var folder = Path.Combine(Checkout.Root, "dashboards");
        var dashboards = Directory.GetFiles(folder, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        dashboards.Should().Equal("gpu-capacity.json", "platform.json", "schedules.json");

        foreach (var file in dashboards)
        {
            var dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, file!)))!;
            dashboard["templating"]!["list"]!.AsArray().Should().Contain(v => v!["type"]!.GetValue<string>() == "datasource" && v["name"]!.GetValue<string>() == "datasource", file);
            foreach (var panel in dashboard["panels"]!.AsArray())
            {
                panel!["datasource"]!["uid"]!.GetValue<string>().Should().Be("${datasource}", $"{file}: {panel["title"]}");
                panel["targets"]!.AsArray().Should().NotBeEmpty($"{file}: {panel["title"]}");
            }
        }

        var kustomization = File.ReadAllText(Path.Combine(folder, "kustomization.yaml"));
        foreach (var file in dashboards.Append("alerts/orleans-flyte.rules.yml"))
        {
            kustomization.Should().Contain($"- {file}\n", "the monitoring overlay's ConfigMaps carry every dashboard and the rules");
        }
    }

    private static IEnumerable<YamlMappingNode> Rules()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(s_alerts, "orleans-flyte.rules.yml")))
        {
            yaml.Load(reader);
        }

        var groups = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["groups"];
        return groups.Cast<YamlMappingNode>().SelectMany(g => (YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>();
    }
}

using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Housekeeping.Tests.Scripts;

/// <summary>scripts/prometheus: where prometheus and promtool are for the observability tests, or how to get them.</summary>
public sealed class PrometheusScriptTests
{
    [Fact]
    public async Task Ensure_prints_the_directory_holding_prometheus_and_promtool()
    {
        var (exit, output, errors) = await ScriptProcess.RunAsync("prometheus", new Dictionary<string, string?>(), "ensure");

        exit.Should().Be(0, errors);
        var directory = output.TrimEnd('\n').Split('\n')[^1];
        File.Exists(Path.Combine(directory, "prometheus")).Should().BeTrue(output);
        File.Exists(Path.Combine(directory, "promtool")).Should().BeTrue(output);
    }

    [Fact]
    public async Task A_configured_directory_without_the_binaries_is_refused_with_how_to_install_them_and_nothing_is_installed()
    {
        var empty = ScratchDirectories.Create("no-prometheus");
        try
        {
            var (exit, output, errors) = await ScriptProcess.RunAsync("prometheus", new Dictionary<string, string?>
            {
                ["ORLEANS_FLYTE_PROMETHEUS_BIN"] = empty,
                ["CI"] = null,
                ["ORLEANS_FLYTE_AUTO_INSTALL"] = null,
            }, "ensure");

            exit.Should().Be(2);
            output.Should().BeEmpty();
            errors.Should().Contain($"ORLEANS_FLYTE_PROMETHEUS_BIN={empty} has no prometheus/promtool").And.Contain("apt-get install -y prometheus");
        }
        finally
        {
            ScratchDirectories.Delete(empty);
        }
    }
}

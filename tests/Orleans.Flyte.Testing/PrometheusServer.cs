using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Testing;

/// <summary>
/// A real Prometheus process for a test: its own port on loopback, its own scratch folder (configuration and TSDB),
/// scraping one target every <c>scrapeInterval</c> under the job name the alert rules expect (<c>orleans-flyte</c>), and
/// loading the given rule files. Killed and removed on dispose. The binaries come from
/// <c>ORLEANS_FLYTE_PROMETHEUS_BIN</c> (scripts/test sets it through scripts/prometheus) or PATH.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Job = "orleans-flyte";

    private readonly Process _process;
    private readonly string _folder;

    private PrometheusServer(Process process, string folder, Uri address)
    {
        _process = process;
        _folder = folder;
        Address = address;
        Http = new HttpClient { BaseAddress = address };
    }

    public Uri Address { get; }

    public HttpClient Http { get; }

    /// <summary>Prometheus' own log so far (for failure messages).</summary>
    public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile) : string.Empty;

    private string LogFile => Path.Combine(_folder, "prometheus.log");

    /// <summary>The full path of <c>prometheus</c> or <c>promtool</c>; fails saying how to install them when missing.</summary>
    public static string Tool(string name)
    {
        var dirs = Environment.GetEnvironmentVariable("ORLEANS_FLYTE_PROMETHEUS_BIN") is { Length: > 0 } configured
            ? [configured]
            : (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                $"'{name}' was not found (ORLEANS_FLYTE_PROMETHEUS_BIN or PATH). Install Debian's prometheus package "
                + "(apt-get install -y prometheus); scripts/test does so itself as root under CI (scripts/prometheus).");
    }

    /// <summary>Starts Prometheus scraping <paramref name="target"/> (host:port, path /metrics) and waits until it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(string target, TimeSpan scrapeInterval, params string[] ruleFiles)
    {
        var folder = ScratchDirectories.Create("prometheus");
        var interval = $"{(int)scrapeInterval.TotalMilliseconds}ms";
        var rules = string.Join('\n', ruleFiles.Select(f => $"  - {f}"));
        await File.WriteAllTextAsync(Path.Combine(folder, "prometheus.yml"), $"""
            global:
              scrape_interval: {interval}
              evaluation_interval: {interval}
            rule_files:
            {rules}
            scrape_configs:
              - job_name: {Job}
                metrics_path: /metrics
                static_configs:
                  - targets: ['{target}']
            """);
        var port = TestPorts.Free();
        var start = new ProcessStartInfo(Tool("prometheus"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        foreach (var argument in new[]
        {
            $"--config.file={Path.Combine(folder, "prometheus.yml")}",
            $"--storage.tsdb.path={Path.Combine(folder, "data")}",
            $"--web.listen-address=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "--storage.tsdb.retention.time=1h",
            "--log.level=warn",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        var server = new PrometheusServer(process, folder, new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"));
        var gate = new Lock();
        void Write(string? line)
        {
            if (line is not null)
            {
                lock (gate)
                {
                    File.AppendAllText(server.LogFile, line + "\n");
                }
            }
        }

        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Eventually.Until(
                async () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException($"prometheus exited with {process.ExitCode}: {server.Log}");
                    }

                    return (await server.Http.GetAsync(new Uri("/-/ready", UriKind.Relative))).IsSuccessStatusCode;
                },
                "prometheus to be ready",
                TimeSpan.FromSeconds(60),
                notYet: e => e is HttpRequestException);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>An instant query at now; the API's <c>data</c> object (resultType, result).</summary>
    public Task<JsonObject> Query(string expression) =>
        Api($"/api/v1/query?query={Uri.EscapeDataString(expression)}");

    /// <summary>A range query over [start, end] at <paramref name="step"/>.</summary>
    public Task<JsonObject> QueryRange(string expression, DateTimeOffset start, DateTimeOffset end, TimeSpan step) =>
        Api(string.Create(CultureInfo.InvariantCulture,
            $"/api/v1/query_range?query={Uri.EscapeDataString(expression)}&start={start.ToUnixTimeMilliseconds() / 1000.0}&end={end.ToUnixTimeMilliseconds() / 1000.0}&step={step.TotalSeconds}"));

    /// <summary>The <c>data</c> of a GET on Prometheus' HTTP API; throws with Prometheus' error when it is not "success".</summary>
    public async Task<JsonObject> Api(string pathAndQuery)
    {
        using var response = await Http.GetAsync(new Uri(pathAndQuery, UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonObject>()
            ?? throw new InvalidOperationException($"{pathAndQuery}: empty answer ({(int)response.StatusCode})");
        if (body["status"]?.GetValue<string>() != "success")
        {
            throw new InvalidOperationException($"{pathAndQuery}: {body["errorType"]} {body["error"]}");
        }

        return body["data"]!.AsObject();
    }

    /// <summary>Runs promtool with <paramref name="input"/> on its standard input; its exit code and everything it printed.</summary>
    public static async Task<(int Exit, string Output)> Promtool(string? input, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(Tool("promtool"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input ?? string.Empty);
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        return (process.ExitCode, await stdout + await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (InvalidOperationException)
        {
            // never started
        }

        _process.Dispose();
        ScratchDirectories.Delete(_folder);
    }
}

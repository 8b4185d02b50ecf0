using System.Diagnostics;

namespace Orleans.Flyte.Cli.Tests;

/// <summary>
/// <c>dotnet tool install</c> from a locally packed package, as scripts/install-cli does (there into the global tool
/// folder, here into a temporary --tool-path).
/// </summary>
public sealed class InstallTests
{
    [Fact]
    public async Task The_packed_tool_installs_with_dotnet_tool_install_and_answers_its_version()
    {
        var root = Directory.CreateTempSubdirectory("orleans-flyte-install-").FullName;
        try
        {
            var feed = Path.Combine(root, "feed");
            var tools = Path.Combine(root, "tools");
            var version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}";
            var clock = Stopwatch.StartNew();

            // The CLI was built with the tests; packing reuses that build.
            await Dotnet(root, "pack", Cli.Metadata("CliProject"), "-c", Cli.Metadata("BuildConfiguration"), "--no-build", "-o", feed, $"-p:PackageVersion={version}");
            Directory.GetFiles(feed, "*.nupkg").Should().ContainSingle().Which.Should().EndWith($"Orleans.Flyte.Cli.{version}.nupkg");
            await Dotnet(root, "tool", "install", "--tool-path", tools, "--add-source", feed, "--version", version, "Orleans.Flyte.Cli");

            var installed = Path.Combine(tools, OperatingSystem.IsWindows() ? "orleans-flyte.exe" : "orleans-flyte");
            var output = await Run(root, installed, "--version");
            output.Should().StartWith("0.1.0");
            clock.Elapsed.Should().BeLessThan(TimeSpan.FromMinutes(3), "pack and install stay quick enough for the suite");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static Task<string> Dotnet(string directory, params string[] args) =>
        Run(directory, Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", args);

    private static async Task<string> Run(string directory, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The test host's MSBuild settings would point a nested dotnet at the wrong SDK pieces.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("MSBUILD", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        // Installing must not depend on (or fill) the machine's package cache: the tool package carries everything it needs.
        if (args is ["tool", ..])
        {
            start.Environment["NUGET_PACKAGES"] = Path.Combine(directory, "packages");
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not end within 5 minutes");
        }

        process.ExitCode.Should().Be(0, $"{program} {string.Join(' ', args)}\n{await stdout}\n{await stderr}");
        return await stdout;
    }
}

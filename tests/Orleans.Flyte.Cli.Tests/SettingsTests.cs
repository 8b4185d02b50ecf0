using System.Net.Http.Json;
using System.Text.Json;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Cli.Tests;

/// <summary>Where the CLI sends requests and as whom: flag over environment over config file over default; the token.</summary>
[Collection(SharedPlatform.Name)]
public sealed class SettingsTests(Platform platform) : PlatformTest(platform, "settings")
{
    [Fact]
    public async Task A_flag_beats_the_environment_which_beats_the_config_file()
    {
        var closed = $"http://127.0.0.1:{TestPorts.Free()}";
        Cli.Environment.Remove("ORLEANS_FLYTE_URL");
        Cli.Environment["ORLEANS_FLYTE_TOKEN"] = Platform.Token;

        // The config file alone points at the platform.
        (await Cli.Run("config", "set", "url", Platform.Url)).ExitCode.Should().Be(0);
        (await Cli.Run("get", "projects", Project)).ExitCode.Should().Be(0);

        // The environment wins over the file...
        Cli.Environment["ORLEANS_FLYTE_URL"] = closed;
        var fromEnvironment = await Cli.Run("get", "projects", Project);
        fromEnvironment.ExitCode.Should().Be(3, fromEnvironment.ToString());
        fromEnvironment.Stderr.Should().Be(
            $"error: cannot reach the Orleans.Flyte API at {closed} (connection refused: is the platform running?). " +
            "The URL comes from environment variable ORLEANS_FLYTE_URL; set another with --url, ORLEANS_FLYTE_URL, or 'orleans-flyte config set url URL'.\n");

        // ...and the flag over both.
        var fromFlag = await Cli.Run("get", "projects", Project, "--url", Platform.Url);
        fromFlag.ExitCode.Should().Be(0, fromFlag.ToString());
        fromFlag.Stdout.Should().Contain(Project);

        Cli.Environment.Remove("ORLEANS_FLYTE_URL");
        var show = await Cli.Run("config", "show");
        var rows = show.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();
        rows.Should().Equal(
            "KEY VALUE SOURCE",
            $"url {Platform.Url} config file {Path.Combine(Work, "config.yaml")}",
            "token (set) environment variable ORLEANS_FLYTE_TOKEN",
            $"project {Project} environment variable ORLEANS_FLYTE_PROJECT",
            "domain development default");
    }

    [Fact]
    public async Task The_token_is_sent_as_a_bearer_token_and_never_printed()
    {
        Cli.Environment.Remove("ORLEANS_FLYTE_TOKEN");
        var set = await Cli.Run(TimeSpan.FromMinutes(1), Platform.Token + "\n", "config", "set", "token", "-");
        set.ExitCode.Should().Be(0, set.ToString());
        set.Stdout.Should().NotContain(Platform.Token);

        var allowed = await Cli.Run("get", "projects", Project);
        allowed.ExitCode.Should().Be(0, allowed.ToString());

        var show = await Cli.Run("config", "show", "-o", "json");
        var config = File.ReadAllText(Path.Combine(Work, "config.yaml"));
        config.Should().Contain(Platform.Token, "the file holds it");
        (show.Stdout + show.Stderr + allowed.Stdout + allowed.Stderr).Should().NotContain(Platform.Token);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(Path.Combine(Work, "config.yaml")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, "only its owner may read a token");
        }
    }

    [Fact]
    public async Task Without_a_token_a_401_says_how_to_set_one_and_exits_4()
    {
        Cli.Environment.Remove("ORLEANS_FLYTE_TOKEN");
        var result = await Cli.Run("get", "workflows");

        result.ExitCode.Should().Be(4, result.ToString());
        result.Stderr.Should().Be("error: the API needs a token (A bearer token is required): set one with --token, ORLEANS_FLYTE_TOKEN, or 'orleans-flyte config set token TOKEN'.\n");
    }

    [Fact]
    public async Task A_token_that_may_not_act_is_a_403_that_names_where_the_token_came_from_without_printing_it()
    {
        // A real token of its own that no role binding names.
        var created = await Platform.Http.PostAsJsonAsync("/api/v1/tokens", new { name = "settings-nobody" });
        created.StatusCode.Should().Be(System.Net.HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        Cli.Environment["ORLEANS_FLYTE_TOKEN"] = token;

        var result = await Cli.Run("get", "workflows");

        result.ExitCode.Should().Be(4, result.ToString());
        result.Stderr.Should().Be("error: the token from environment variable ORLEANS_FLYTE_TOKEN is not allowed to do this " +
            $"(token:settings-nobody lacks the permission 'read' on project {Project}, domain development): " +
            "ask for a role that allows it, or use another token (--token, ORLEANS_FLYTE_TOKEN, or 'orleans-flyte config set token TOKEN').\n");
        result.Stderr.Should().NotContain(token);
    }

    [Fact]
    public async Task Without_a_project_the_error_says_how_to_name_one()
    {
        Cli.Environment.Remove("ORLEANS_FLYTE_PROJECT");

        var result = await Cli.Run("get", "tasks");

        result.ExitCode.Should().Be(2, result.ToString());
        result.Stderr.Should().Be("error: which project? Pass -p PROJECT, set ORLEANS_FLYTE_PROJECT, or 'orleans-flyte config set project PROJECT'\n");
    }
}

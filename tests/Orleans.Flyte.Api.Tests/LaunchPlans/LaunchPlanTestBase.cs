using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests.LaunchPlans;

/// <summary>
/// One database, one platform and one test clock per test. A task <c>stamp</c> waits until the file named by its
/// <c>gate</c> input exists (<c>/</c> always does), so overlap tests can hold a run open.
/// </summary>
public abstract class LaunchPlanTestBase : IAsyncLifetime
{
    protected const string Scope = "/api/v1/projects/lab/domains/development";

    /// <summary>A Monday, midnight UTC: minute n of the test is <c>T0 + n minutes</c>.</summary>
    protected static readonly DateTimeOffset T0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    private readonly string _serviceId = "lp-" + Guid.NewGuid().ToString("N")[..8];

    protected TestClock Clock { get; } = new(T0);

    protected TestDatabase Database { get; private set; } = null!;

    protected FlyteApiFactory Factory { get; private set; } = null!;

    protected HttpClient Http { get; private set; } = null!;

    protected string Scratch { get; } = ScratchDirectories.Create("lp");

    protected string Gate => Path.Combine(Scratch, "gate");

    public virtual async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync("lp");
        await StartPlatform();
        (await Http.PostAsJsonAsync(new Uri("/api/v1/projects", UriKind.Relative), new { name = "lab" })).EnsureSuccessStatusCode();
        await Expect(HttpStatusCode.Created, Post($"{Scope}/tasks", """
            name: stamp
            version: v1
            container: { image: local, command: [sh, -c, "while [ ! -e \"$FLYTE_INPUT_GATE\" ]; do sleep 0.1; done"] }
            inputs: { at: datetime, gate: string, epochs: int }
            outputs: {}
            """));
        await Expect(HttpStatusCode.Created, Post($"{Scope}/workflows", """
            name: nightly
            version: v1
            inputs: { at: datetime, gate: string, epochs: { type: int, default: 1 } }
            nodes:
              - { id: run, task: stamp@v1, inputs: { at: "{{ inputs.at }}", gate: "{{ inputs.gate }}", epochs: "{{ inputs.epochs }}" } }
            """));
    }

    public virtual async Task DisposeAsync()
    {
        File.WriteAllText(Gate, "open"); // let any held run end
        await StopPlatform();
        await Database.DisposeAsync();
        Directory.Delete(Scratch, recursive: true);
    }

    /// <summary>Configuration the platform of this test class starts with, on top of the base settings (later wins).</summary>
    protected virtual IReadOnlyDictionary<string, string>? Settings => null;

    /// <summary>True: the platform listens on a real loopback port (<see cref="Address"/>) for clients outside the process.</summary>
    protected virtual bool ListensOnLoopback => false;

    /// <summary>The platform's real address when <see cref="ListensOnLoopback"/>.</summary>
    protected Uri? Address { get; private set; }

    protected async Task StartPlatform()
    {
        // The real silo host with a test clock for schedules: advancing it fires the launch plan timers that are due.
        // Orleans keeps the real clock (its timers, reminders and timeouts run on it). The service id stays the same
        // across restarts: reminders belong to it.
        var settings = new Dictionary<string, string>
        {
            ["Orleans:ClusterId"] = _serviceId,
            ["Orleans:ServiceId"] = _serviceId,
            ["Flyte:Runners:Local:WorkRoot"] = Path.Combine(Scratch, "work"),
            ["Flyte:LaunchPlans:ReminderPeriod"] = "00:00:05",
            ["Flyte:LaunchPlans:PollInterval"] = "00:00:01",
        };
        foreach (var (key, value) in Settings ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        Factory = new FlyteApiFactory(Database.ConnectionString, settings, Clock.DriveSchedules);
        if (ListensOnLoopback)
        {
            Factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            Factory.StartServer();
            Address = new Uri(Factory.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
                .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.Single());
            Http = new HttpClient { BaseAddress = Address };
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Factory.AdminToken);
        }
        else
        {
            Http = Factory.CreateClient();
        }

        (await Http.GetAsync(new Uri("/readyz", UriKind.Relative))).EnsureSuccessStatusCode();
    }

    protected async Task StopPlatform()
    {
        Http.Dispose();
        await Factory.DisposeAsync();
    }

    protected Task<HttpResponseMessage> Post(string path, string body, string mediaType = "application/yaml") =>
        Http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(mediaType)));

    protected Task<HttpResponseMessage> PostJson(string path, object? body = null) =>
        Http.PostAsJsonAsync(new Uri(path, UriKind.Relative), body ?? new { });

    protected Task<HttpResponseMessage> Get(string path) => Http.GetAsync(new Uri(path, UriKind.Relative));

    protected static async Task<JsonObject> Json(HttpResponseMessage response) => (await response.Content.ReadFromJsonAsync<JsonObject>())!;

    protected static async Task<JsonObject> Expect(HttpStatusCode status, Task<HttpResponseMessage> call)
    {
        var response = await call;
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, text);
        return text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Registers a launch plan of workflow nightly@v1 whose kickoff input is <c>at</c>; <paramref name="schedule"/> is the
    /// schedule's fields; <paramref name="gate"/> is fixed (the run waits for that file).</summary>
    protected Task<JsonObject> Register(string name, string schedule, string version = "v1", string? gate = "/") =>
        Expect(HttpStatusCode.Created, Post($"{Scope}/launchplans", $$"""
            name: {{name}}
            version: {{version}}
            workflow: nightly@v1
            inputs: { gate: "{{gate}}" }
            defaultInputs: { epochs: 3 }
            schedule: { {{schedule}}, kickoffTimeInput: at }
            labels: { team: ml }
            """));

    protected Task<JsonObject> Transition(string name, string version, string action, string reason = "test") =>
        Expect(HttpStatusCode.OK, PostJson($"{Scope}/launchplans/{name}/versions/{version}/{action}", new { reason }));

    protected async Task<JsonObject> LaunchPlan(string name) => await Expect(HttpStatusCode.OK, Get($"{Scope}/launchplans/{name}"));

    /// <summary>Executions launched by a launch plan (a name or name@version), from the read model.</summary>
    protected async Task<List<(string Id, DateTimeOffset? ScheduledAt, string Phase)>> Runs(string launchPlan)
    {
        var list = await Expect(HttpStatusCode.OK, Get($"{Scope}/executions?launchPlan={launchPlan}&limit=500"));
        return [.. list["items"]!.AsArray().Select(i => (
            i!["id"]!.GetValue<string>(),
            i["scheduledAt"] is { } at ? at.GetValue<DateTimeOffset>() : (DateTimeOffset?)null,
            i["phase"]!.GetValue<string>()))
            .OrderBy(r => r.Item2)];
    }

    protected async Task<List<DateTimeOffset>> Instants(string launchPlan) =>
        [.. (await Runs(launchPlan)).Select(r => r.ScheduledAt!.Value).Order()];

    protected static DateTimeOffset Minute(int n) => T0.AddMinutes(n);

    protected Task WaitForRun(string launchPlan, DateTimeOffset instant, int seconds = 30) => Eventually.Until(
        async () => (await Runs(launchPlan)).Any(r => r.ScheduledAt == instant),
        $"{launchPlan} to run the instant {instant:O}", TimeSpan.FromSeconds(seconds));

    protected Task WaitForPhase(string launchPlan, DateTimeOffset instant, params string[] phases) => Eventually.Until(
        async () => (await Runs(launchPlan)).Any(r => r.ScheduledAt == instant && phases.Contains(r.Phase)),
        $"the run of {launchPlan} at {instant:O} to reach {string.Join("/", phases)}", TimeSpan.FromSeconds(60));

    /// <summary>Polls, letting test time pass too (<see cref="TestClock.UntilAdvancing"/>).</summary>
    protected Task UntilAdvancing(Func<Task<bool>> condition, string what, TimeSpan step, TimeSpan maxAdvance, int seconds = 60) =>
        Clock.UntilAdvancing(condition, what, step, maxAdvance, TimeSpan.FromSeconds(seconds));

    /// <summary>Advances the test clock one minute at a time up to <paramref name="until"/> (minutes after T0).</summary>
    protected Task StepTo(int until, Func<int, Task>? atMinute = null) =>
        Clock.StepTo(Minute(until), TimeSpan.FromMinutes(1), atMinute is null ? null : at => atMinute((int)(at - T0).TotalMinutes));

    /// <summary>How many events the store holds in all: "nothing persisted" is checked against this.</summary>
    protected async Task<long> StoredEventCount(string? type = null, string? stream = null)
    {
        await using var connection = new Npgsql.NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "select count(*) from flyte.mt_events where (@type = '' or type = @type) and (@stream = '' or stream_id = @stream)", connection);
        command.Parameters.AddWithValue("type", type ?? string.Empty);
        command.Parameters.AddWithValue("stream", stream ?? string.Empty);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

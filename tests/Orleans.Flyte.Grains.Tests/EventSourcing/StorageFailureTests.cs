using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Domain.Registry;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Grains.Gpus;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.EventSourcing;

/// <summary>
/// Storage failures are classified and never wedge a grain (issue 11): an event the store cannot hold fails its own call
/// at once, leaves the grain serving the next one, costs a bounded number of log lines, and fails nobody else's append.
/// </summary>
public sealed class StorageFailureTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _warnings = new();
    private TestDatabase _database = null!;
    private FlyteCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("storage");
        _cluster = await FlyteCluster.StartAsync(_database.ConnectionString, configureServices: services =>
        {
            services.AddSingleton<ILoggerProvider>(new CountingLoggerProvider(_warnings));
            services.Configure<GpuOptions>(o => o.Nodes = [new GpuNodeOptions { Name = "node-p", Gpus = ["whole"] }]);
        });
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_poison_write_fails_its_call_and_the_grain_answers_the_next_call_within_a_second_with_few_log_lines()
    {
        var node = _cluster.Grains.GetGrain<IGpuNodeGrain>("node-p");
        await Eventually.Until(async () => await node.Get() is not null, "the configured node to be registered", TimeSpan.FromSeconds(30));
        var linesBefore = _warnings.Count;

        var poison = () => node.Cordon("maintenance\0window", drain: false);
        var refused = await poison.Should().ThrowAsync<EventRejectedException>();
        refused.Which.Message.Should().Contain("NUL");

        var next = Stopwatch.StartNew();
        var cordoned = await node.Cordon("disk swap", drain: false);
        next.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1), "the grain is not wedged retrying the refused write");
        cordoned!.Snapshot.Condition.Should().Be(GpuNodeCondition.Cordoned);
        cordoned.Snapshot.Reason.Should().Be("disk swap");
        (await node.Uncordon("done"))!.Snapshot.Condition.Should().Be(GpuNodeCondition.Schedulable);

        (_warnings.Count - linesBefore).Should().BeLessThanOrEqualTo(5, "a refused write is logged once, not once per retry: " + string.Join(" | ", _warnings.TakeLast(5)));
    }

    [Fact]
    public async Task One_bad_append_neither_fails_nor_delays_the_others_in_its_group_commit()
    {
        var store = _cluster.SiloServices.GetRequiredService<IEventStreamStore>();
        var appends = Enumerable.Range(0, 40).Select(i => store.AppendAsync(
            new StreamAddress("quant/development", $"task/quant/development/t{i}"), 0, EventHashChain.Genesis, [Registered($"v{i}", i == 17 ? "bad\0" : "ok")])).ToList();

        var watch = Stopwatch.StartNew();
        var outcomes = await Task.WhenAll(appends.Select(async a =>
        {
            try
            {
                return (await a).Appended ? "appended" : "conflict";
            }
            catch (EventRejectedException)
            {
                return "refused";
            }
        }));

        outcomes[17].Should().Be("refused");
        outcomes.Where((_, i) => i != 17).Should().OnlyContain(o => o == "appended");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Failures_are_classified_by_what_PostgreSQL_says()
    {
        await using (var connection = new NpgsqlConnection(_database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var nul = new NpgsqlCommand("""select '"a\u0000b"'::jsonb""", connection);
            var data = await FluentActions.Awaiting(() => nul.ExecuteScalarAsync()).Should().ThrowAsync<PostgresException>();
            data.Which.SqlState.Should().Be("22P05");
            StorageFailureClassifier.Of(data.Which).Should().Be(StorageFailureKind.Permanent);
        }

        var closedPort = new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Port = TestPorts.Free(), Timeout = 2 }.ConnectionString;
        await using (var unreachable = new NpgsqlConnection(closedPort))
        {
            var down = await FluentActions.Awaiting(() => unreachable.OpenAsync()).Should().ThrowAsync<NpgsqlException>();
            StorageFailureClassifier.Of(down.Which).Should().Be(StorageFailureKind.Transient);
        }

        StorageFailureClassifier.OfSqlState("57P01").Should().Be(StorageFailureKind.Transient, "admin shutdown");
        StorageFailureClassifier.OfSqlState("08006").Should().Be(StorageFailureKind.Transient, "connection failure");
        StorageFailureClassifier.OfSqlState("23505").Should().Be(StorageFailureKind.Permanent, "unique violation");
        StorageFailureClassifier.Of(new JasperFx.Events.EventStreamUnexpectedMaxEventIdException("s", typeof(object), 2, 1))
            .Should().Be(StorageFailureKind.Conflict);
    }

    private static TaskVersionRegistered Registered(string version, string hash) =>
        new("quant", "development", "t", version, $$"""{"version":"{{version}}"}""", hash)
        {
            Meta = new EventMetadata(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero), "alice@example.com", "req-1", null),
        };

    /// <summary>Counts the warnings and errors the silo logs.</summary>
    private sealed class CountingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel) && !category.Contains("Watchdog", StringComparison.Ordinal))
                {
                    lines.Enqueue($"{category}: {formatter(state, exception)}");
                }
            }
        }
    }
}

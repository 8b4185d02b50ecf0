using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Flyte.Abstractions.Artifacts;
using Orleans.Flyte.Grains.Audit;

namespace Orleans.Flyte.Grains.Artifacts;

/// <summary>
/// Removes artifacts no stored event refers to. The policy: an artifact is kept while any event in the log names its
/// hash (an execution's inputs or a task's outputs, a launch plan's fixed inputs: the event log is what the platform
/// retains, so whatever a run read or wrote stays readable as long as its history does), and for
/// <see cref="ArtifactStoreOptions.GracePeriod"/> after it was stored or last used, referenced or not, which covers an
/// upload not yet submitted and an output not yet recorded. A pass removes at most
/// <see cref="ArtifactStoreOptions.MaxRemovalsPerPass"/>; <see cref="ArtifactStore.RemoveUnreferenced"/> makes it safe
/// beside writers. Each silo runs passes (every <see cref="ArtifactStoreOptions.CollectionInterval"/>, the first one
/// interval after start); two at once on one store only race for the same renames.
/// </summary>
public sealed class ArtifactCollector : BackgroundService
{
    private readonly ArtifactStore _store;
    private readonly EventLogDatabase _database;
    private readonly ArtifactStoreOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<ArtifactCollector> _log;
    private readonly Counter<long> _removed;
    private readonly Counter<long> _removedBytes;
    private readonly Counter<long> _passes;

    public ArtifactCollector(
        ArtifactStore store, EventLogDatabase database, IOptions<ArtifactStoreOptions> options, TimeProvider clock, IMeterFactory meters, ILogger<ArtifactCollector> log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meters);
        (_store, _database, _options, _clock, _log) = (store, database, options.Value, clock, log);
        var meter = meters.Create(Abstractions.PlatformMeter.Name);
        _removed = meter.CreateCounter<long>("flyte_artifacts_removed_total", null, "Artifacts the collector removed: no event refers to them and they were not used within the grace period.");
        _removedBytes = meter.CreateCounter<long>("flyte_artifacts_removed_bytes_total", null, "Bytes of the artifacts the collector removed.");
        _passes = meter.CreateCounter<long>("flyte_artifact_collections_total", null, "Collection passes, by result (complete, bounded: stopped at MaxRemovalsPerPass, failed).");
    }

    /// <summary>One pass: the hashes the event log names, then the store's artifacts outside them and the grace period.</summary>
    public async Task<ArtifactRemoval> CollectAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            // Read before the store is walked: anything referenced later was used later, so the grace period keeps it.
            var referenced = await ReferencedAsync(cancellationToken);
            var cutoff = DateTime.UtcNow - _options.GracePeriod;
            var removal = _store.RemoveUnreferenced(referenced.Contains, cutoff, _options.MaxRemovalsPerPass);
            _removed.Add(removal.Objects);
            _removedBytes.Add(removal.Bytes);
            _passes.Add(1, new KeyValuePair<string, object?>("result", removal.Complete ? "complete" : "bounded"));
            if (removal.Objects > 0)
            {
                _log.LogInformation("Artifact collection removed {Objects} artifacts ({Bytes} bytes), kept {Kept}", removal.Objects, removal.Bytes, removal.Kept);
            }

            return removal;
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or UnauthorizedAccessException)
        {
            _passes.Add(1, new KeyValuePair<string, object?>("result", "failed"));
            throw;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.CollectionInterval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(_options.CollectionInterval, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await CollectAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is NpgsqlException or IOException or UnauthorizedAccessException)
                {
                    _log.LogWarning(ex, "Artifact collection failed; the next pass tries again");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Every artifact hash any stored event names, read by PostgreSQL (the hashes come back, not the events).</summary>
    private async Task<HashSet<string>> ReferencedAsync(CancellationToken cancellationToken)
    {
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $$"""
            select distinct m[1] from {{_database.Schema}}.mt_events e,
                lateral regexp_matches(e.data::text, 'artifact://(?:files|directories)/([0-9a-f]{64})', 'g') as m
            where e.data::text like '%artifact://%'
            """,
            connection);
        command.CommandTimeout = 0; // a pass over the whole log; bounded by its size, not by a guess
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            hashes.Add(reader.GetString(0));
        }

        return hashes;
    }
}

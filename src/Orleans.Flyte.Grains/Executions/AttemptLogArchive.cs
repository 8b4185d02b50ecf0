using Marten;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>The tail of one finished attempt's stdout and stderr, kept in the store once the runner may drop its copy.</summary>
public sealed class AttemptLogEntry
{
    /// <summary>The attempt id.</summary>
    public required string Id { get; set; }
    public required string Stdout { get; set; }
    public required string Stderr { get; set; }
    public bool Truncated { get; set; }
    public DateTimeOffset StoredAt { get; set; }
}

/// <summary>
/// Where an attempt's logs live after its result is recorded: the task grain stores the tail here, then lets the runner
/// remove the attempt's work directory (or pod). Best effort like the output cache: a failed write leaves the runner's
/// copy in place, because the runner is only released after the tail is stored.
/// </summary>
public sealed class AttemptLogArchive(IDocumentStore store, DocumentGroupCommit writes, TimeProvider clock)
{
    public async Task PutAsync(AttemptLogs logs, int tailBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var (stdout, stdoutCut) = Tail(logs.Stdout, tailBytes);
        var (stderr, stderrCut) = Tail(logs.Stderr, tailBytes);
        await writes.StoreAsync(
            new AttemptLogEntry
            {
                Id = logs.AttemptId,
                Stdout = stdout,
                Stderr = stderr,
                Truncated = logs.Truncated || stdoutCut || stderrCut,
                StoredAt = clock.GetUtcNow(),
            },
            cancellationToken);
    }

    public async Task<AttemptLogs?> FindAsync(string attemptId, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<AttemptLogEntry>(attemptId, cancellationToken) is { } entry
            ? new AttemptLogs(entry.Id, entry.Stdout, entry.Stderr, entry.Truncated)
            : null;
    }

    /// <summary>The last <paramref name="maxChars"/> characters (the end of a log is where the error is).</summary>
    private static (string Text, bool Cut) Tail(string text, int maxChars) =>
        text.Length <= maxChars ? (text, false) : (text[^maxChars..], true);
}

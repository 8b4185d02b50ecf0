using System.Collections.Concurrent;
using System.Diagnostics;

namespace Orleans.Flyte.Bench;

/// <summary>
/// Counts the commands Npgsql sends (its activity source traces each one: a Marten batch of statements is one), sorted into
/// stream reads, appends (group commits), read-model queries and the rest, leaving out the bench's own completion poll.
/// </summary>
internal sealed class RoundTrips : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private static readonly bool s_trace = Environment.GetEnvironmentVariable("BENCH_TRACE_SQL") == "1";
    private readonly ConcurrentDictionary<string, bool> _seen = new(StringComparer.Ordinal);
    private volatile bool _stopped;

    public RoundTrips()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = Count,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Stop() => _stopped = true;

    public string Report(int tasks) =>
        $"{_counts.Where(c => !c.Key.StartsWith('(')).Sum(c => c.Value) / (double)tasks:F2} ("
        + string.Join(", ", _counts.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value / (double)tasks:F2}")) + ")";

    private static int Occurrences(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    public void Dispose() => _listener.Dispose();

    private void Count(Activity activity)
    {
        if (_stopped)
        {
            return;
        }

        var statement = activity.GetTagItem("db.query.text") as string ?? activity.GetTagItem("db.statement") as string ?? activity.DisplayName;
        var kind = statement switch
        {
            _ when statement.Contains("mt_doc_executionsummarydocument where data->>'Project' = 'bench'", StringComparison.Ordinal) => null,
            _ when statement.Contains("mt_events", StringComparison.Ordinal) && statement.Contains("insert", StringComparison.OrdinalIgnoreCase) => "append",
            _ when statement.Contains("mt_quick_append", StringComparison.Ordinal) => "append",
            _ when statement.Contains("mt_events", StringComparison.Ordinal) => "stream read",
            _ when statement.Contains("mt_doc_", StringComparison.Ordinal) => "documents",
            _ when statement.Contains("reminder", StringComparison.OrdinalIgnoreCase) => "reminders",
            _ => "other",
        };
        if (kind is not null && s_trace && _seen.TryAdd(kind + statement[..Math.Min(80, statement.Length)], true))
        {
            Console.WriteLine($"[{kind}] {statement[..Math.Min(300, statement.Length)].ReplaceLineEndings(" ")}");
        }

        if (kind is not null)
        {
            _counts.AddOrUpdate(kind, 1, static (_, n) => n + 1);
        }

        // Not round trips: what each group commit carried besides the events (the execution summary's upserts).
        var upserts = kind == "append" ? Occurrences(statement, "insert into flyte.mt_doc_executionsummarydocument") : 0;
        if (upserts > 0)
        {
            _counts.AddOrUpdate("(summary upserts in appends)", upserts, (_, n) => n + upserts);
        }
    }
}

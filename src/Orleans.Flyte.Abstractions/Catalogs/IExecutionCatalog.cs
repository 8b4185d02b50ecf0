namespace Orleans.Flyte.Abstractions.Catalogs;

/// <summary>
/// The read side of executions: listings across executions and the event timeline of one, from read models and the
/// event log (never by asking every grain). Each execution's own state is its grain's to say.
/// </summary>
public interface IExecutionCatalog
{
    /// <summary>Newest first (by creation time, then id, both descending), at most <see cref="ExecutionQuery.Limit"/>;
    /// <see cref="ExecutionPage.Next"/> continues after the last item.</summary>
    Task<ExecutionPage> ListAsync(ExecutionQuery query, CancellationToken cancellationToken = default);

    /// <summary>Every event of the execution and of its nodes' streams, in the order they were stored; empty when the
    /// execution does not exist in that project/domain.</summary>
    Task<IReadOnlyList<ExecutionEventEntry>> GetTimelineAsync(string project, string domain, string executionId, CancellationToken cancellationToken = default);
}

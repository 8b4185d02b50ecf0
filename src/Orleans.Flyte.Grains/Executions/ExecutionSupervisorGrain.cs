using Marten;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Grains.Hosting;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>
/// One shard of the durable supervision of active executions (<see cref="IExecutionSupervisorGrain"/>). Its reminder is
/// the only one the engine writes for executions: one row per shard, written once per activation of the shard, instead
/// of an insert when each execution is accepted and a read and a delete when it ends. On each tick it pages through the
/// execution read model (inline, so it holds every acknowledged submission) for the shard's executions that are not
/// terminal and asks each to <see cref="IWorkflowExecutionGrain.Supervise"/>, a bounded number at a time.
/// Reentrant: <see cref="Watch"/> is on the submission path and must never wait behind a sweep.
/// </summary>
[Reentrant]
public sealed class ExecutionSupervisorGrain(IDocumentStore store, IOptions<ExecutionEngineOptions> options, ILogger<ExecutionSupervisorGrain> log)
    : Grain, IExecutionSupervisorGrain, IRemindable
{
    private const string SuperviseReminder = "supervise";
    private const int PageSize = 1000;
    private const int InFlight = 64;

    /// <summary>The phases of an execution that is not finished, as stored in the read model (enum as a number).</summary>
    private static readonly int[] s_activePhases = [.. Enum.GetValues<WorkflowPhase>().Where(p => !p.IsTerminal()).Select(p => (int)p)];

    private Task? _reminder;
    private Task<int>? _sweep;

    private int Shard => (int)this.GetPrimaryKeyLong();

    public Task Watch()
    {
        // One write per activation; a failed one is tried again by the next submission.
        if (_reminder is null || _reminder.IsFaulted || _reminder.IsCanceled)
        {
            _reminder = this.RegisterOrUpdateReminder(SuperviseReminder, options.Value.ReminderPeriod, options.Value.ReminderPeriod);
        }

        return _reminder;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Sweep();

    public Task<int> Sweep()
    {
        // One sweep at a time: a tick that comes while the last one still runs joins it.
        if (_sweep is null || _sweep.IsCompleted)
        {
            _sweep = SweepOnce();
        }

        return _sweep;
    }

    private async Task<int> SweepOnce()
    {
        var table = $"{store.Options.DatabaseSchemaName}.mt_doc_{nameof(ExecutionSummaryDocument).ToLowerInvariant()}";
        var swept = 0;
        var after = string.Empty;
        while (true)
        {
            IReadOnlyList<ProjectedExecution> page;
            await using (var session = store.QuerySession())
            {
                // Keyset paging by id: the cost of a tick is the shard's active executions, never the stored history.
                page = await session.QueryAsync<ProjectedExecution>(
                    $"""
                    select jsonb_build_object('Id', id, 'Project', data ->> 'Project', 'Domain', data ->> 'Domain')
                    from {table}
                    where cast(data ->> 'Phase' as integer) = any(?) and ascii(right(id, 1)) % ? = ? and id > ?
                    order by id limit {PageSize}
                    """,
                    s_activePhases, IExecutionSupervisorGrain.Shards, Shard, after);
            }

            await Parallel.ForEachAsync(page, new ParallelOptions { MaxDegreeOfParallelism = InFlight, TaskScheduler = TaskScheduler.Current }, async (execution, _) =>
            {
                try
                {
                    await GrainFactory.Get<IWorkflowExecutionGrain>(ExecutionKeys.Workflow(execution.Project, execution.Domain, execution.Id)).Supervise();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The next tick asks again; one execution that cannot answer never holds up the others.
                    log.LogWarning(ex, "Supervising execution {Execution} failed", execution.Id);
                }
            });
            swept += page.Count;
            if (page.Count < PageSize)
            {
                return swept;
            }

            after = page[^1].Id;
        }
    }

    /// <summary>What the sweep reads of each active execution: enough to name its grain.</summary>
    private sealed record ProjectedExecution(string Id, string Project, string Domain);
}

using System.Threading.Channels;
using Marten;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>
/// Group commit for the engine's best-effort documents (attempt log tails, cache entries): stores that arrive while a
/// transaction is in flight are written together in the next one, instead of one transaction (one fsync) each. With the
/// process runner that write was one commit of its own for every task, four times the event store's group commits.
/// A store completes once its document is durable; a batch the database refuses is retried one document at a time, so
/// one bad document fails only its own store.
/// </summary>
public sealed class DocumentGroupCommit(IDocumentStore store) : IAsyncDisposable
{
    private const int MaxBatch = 256;
    private const int Writers = 2;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private readonly Lock _starting = new();
    private Task[] _writers = [];

    /// <summary>Stores (inserts or replaces) <paramref name="document"/>; completes when it is durable.</summary>
    public Task StoreAsync<T>(T document, CancellationToken cancellationToken = default)
        where T : notnull
    {
        var pending = new Pending(session => session.Store(document));
        if (!_queue.Writer.TryWrite(pending))
        {
            return Save([pending], cancellationToken); // stopping: write it alone
        }

        EnsureStarted();
        return pending.Completion.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }

    private void EnsureStarted()
    {
        if (_writers.Length > 0)
        {
            return;
        }

        lock (_starting)
        {
            if (_writers.Length == 0)
            {
                _writers = [.. Enumerable.Range(0, Writers).Select(_ => Task.Run(Write))];
            }
        }
    }

    private async Task Write()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                await Save(batch);
                batch.ForEach(p => p.Completion.TrySetResult());
            }
            catch (Exception) when (batch.Count > 1)
            {
                foreach (var pending in batch)
                {
                    try
                    {
                        await Save([pending]);
                        pending.Completion.TrySetResult();
                    }
                    catch (Exception ex)
                    {
                        pending.Completion.TrySetException(ex);
                    }
                }
            }
            catch (Exception ex)
            {
                batch[0].Completion.TrySetException(ex);
            }
        }
    }

    private async Task Save(IReadOnlyList<Pending> batch, CancellationToken cancellationToken = default)
    {
        await using var session = store.LightweightSession();
        foreach (var pending in batch)
        {
            pending.Stage(session);
        }

        await session.SaveChangesAsync(cancellationToken);
    }

    private sealed class Pending(Action<IDocumentSession> stage)
    {
        public Action<IDocumentSession> Stage { get; } = stage;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

using Marten;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>Outputs of a successful cacheable task run, keyed by <see cref="TaskOutputCache.Key"/>.</summary>
public sealed class TaskCacheEntry
{
    public required string Id { get; set; }
    public required string OutputsJson { get; set; }
    public required string ExecutionId { get; set; }
    public required string NodeId { get; set; }
    public DateTimeOffset StoredAt { get; set; }
}

/// <summary>
/// Same project/domain + task version + cache version + inputs → the same outputs. Entries are written after
/// the task's success is recorded; losing one to a crash in between only costs a cache miss.
/// </summary>
public sealed class TaskOutputCache(IDocumentStore store, DocumentGroupCommit writes, TimeProvider clock)
{
    public static string Key(string project, string domain, string task, string? cacheVersion, string inputsJson) =>
        CanonicalJson.Sha256(string.Join('\n', project, domain, task, cacheVersion ?? string.Empty, CanonicalJson.Serialize(System.Text.Json.Nodes.JsonNode.Parse(inputsJson) ?? new System.Text.Json.Nodes.JsonObject())));

    public async Task<TaskCacheEntry?> FindAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<TaskCacheEntry>(key, cancellationToken);
    }

    public async Task PutAsync(string key, string outputsJson, string executionId, string nodeId, CancellationToken cancellationToken = default)
    {
        await writes.StoreAsync(
            new TaskCacheEntry { Id = key, OutputsJson = outputsJson, ExecutionId = executionId, NodeId = nodeId, StoredAt = clock.GetUtcNow() },
            cancellationToken);
    }
}

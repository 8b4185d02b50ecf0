using Orleans.Flyte.Abstractions.Audit;

namespace Orleans.Flyte.Api.Audit;

/// <summary>A page of history, oldest first; <paramref name="NextCursor"/> is the cursor of the page after it (null: none).</summary>
public sealed record HistoryPage(IReadOnlyList<HistoryEntry> Items, string? NextCursor);

/// <param name="Project">With <paramref name="Domain"/>: verify that domain; both absent: the cluster-wide streams.</param>
/// <param name="Digest">A digest taken earlier (<c>GET .../audit/digest</c>), to find deleted streams and truncated tails.</param>
/// <param name="Cursor">The <c>next</c> of the previous answer, to go on with a verify that did not fit in one request.</param>
public sealed record VerifyRequest(string? Project = null, string? Domain = null, AuditDigest? Digest = null, string? Cursor = null);

namespace Orleans.Flyte.Abstractions.Audit;

/// <param name="Tenant">The project/domain tenant or the cluster tenant.</param>
/// <param name="AfterSequence">Only events after this global sequence (the paging cursor).</param>
/// <param name="Limit">At most this many events; null: all (an export).</param>
/// <param name="From">Only events stamped at or after this instant.</param>
/// <param name="To">Only events stamped before this instant.</param>
/// <param name="StreamPrefixes">Only streams whose key starts with one of these (<c>execution/</c>); empty: all.</param>
/// <param name="Principal">Only events caused by this principal, or done on its behalf.</param>
/// <param name="CorrelationId">Only events of this request.</param>
public sealed record HistoryQuery(
    string Tenant,
    long AfterSequence = 0,
    int? Limit = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    IReadOnlyList<string>? StreamPrefixes = null,
    string? Principal = null,
    string? CorrelationId = null);

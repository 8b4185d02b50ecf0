namespace Orleans.Flyte.Abstractions.Audit;

/// <summary>A stream's last version and the stored hash of that event.</summary>
public sealed record StreamHead(string Stream, long Version, string Hash);

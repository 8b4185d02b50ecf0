namespace Orleans.Flyte.Abstractions.Catalogs;

/// <param name="LatestVersion">The version registered last.</param>
/// <param name="Versions">How many versions the name has.</param>
public sealed record DefinitionNameEntry(string Name, string LatestVersion, int Versions, DateTimeOffset LastRegisteredAt);

namespace Orleans.Flyte.Testing;

/// <summary>The checkout the tests were built from: the folder above the test binaries that holds Orleans.Flyte.sln.</summary>
public static class Checkout
{
    private static readonly Lazy<string> _root = new(Find, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Root => _root.Value;

    /// <summary>The path of a file under <c>scripts/</c>, e.g. <c>Script("postgres")</c>.</summary>
    public static string Script(string name) => Path.Combine(Root, "scripts", name);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Orleans.Flyte.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException(
            $"No Orleans.Flyte.sln above {AppContext.BaseDirectory}; set {PostgresServer.ConnectionStringVariable} to a PostgreSQL connection string.");
    }
}

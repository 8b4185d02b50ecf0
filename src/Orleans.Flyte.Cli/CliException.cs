namespace Orleans.Flyte.Cli;

/// <summary>
/// A failure the user can act on: one line that says what was wrong (printed as <c>error: ...</c>), optional detail
/// lines under it (a conflict's differences), and the exit code.
/// </summary>
public sealed class CliException : Exception
{
    public CliException()
        : this("the command failed")
    {
    }

    public CliException(string message)
        : this(message, ExitCodes.Failed)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = ExitCodes.Failed;
        Details = [];
    }

    public CliException(string message, int exitCode, IReadOnlyList<string>? details = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
        Details = details ?? [];
    }

    public int ExitCode { get; }

    public IReadOnlyList<string> Details { get; }

    public static CliException Usage(string message) => new(message, ExitCodes.Usage);
}

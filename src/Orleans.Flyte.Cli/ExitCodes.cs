namespace Orleans.Flyte.Cli;

/// <summary>
/// The process exit codes. They are part of the tool's contract (docs/cli.md): scripts branch on them, so a code
/// never changes meaning.
/// </summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The API refused the request (4xx/5xx), or a local file or input was wrong.</summary>
    public const int Failed = 1;

    /// <summary>The command line itself was wrong (unknown command, missing argument, bad value).</summary>
    public const int Usage = 2;

    /// <summary>The API could not be reached (refused, timed out, unknown host).</summary>
    public const int Unreachable = 3;

    /// <summary>The API answered 401 or 403: no token, a wrong one, or one without the permission.</summary>
    public const int Unauthorized = 4;

    /// <summary>A watch or follow gave up (its --timeout) before the execution or attempt ended; the run goes on.</summary>
    public const int StillRunning = 5;

    public const int ExecutionFailed = 10;
    public const int ExecutionAborted = 11;
    public const int ExecutionTimedOut = 12;

    /// <summary>An audit found a broken hash chain, a difference from the saved digest, or a broken allocator promise.</summary>
    public const int NotIntact = 20;

    /// <summary>Ctrl-C: the CLI stopped; the execution it watched goes on.</summary>
    public const int Interrupted = 130;

    /// <summary>How a finished execution maps to an exit code; null while it has not ended.</summary>
    public static int? ForPhase(string? phase) => phase switch
    {
        "Succeeded" => Ok,
        "Failed" => ExecutionFailed,
        "Aborted" => ExecutionAborted,
        "TimedOut" => ExecutionTimedOut,
        _ => null,
    };
}

namespace Orleans.Flyte.Cli.Output;

/// <summary>Colours on a terminal; piped output never carries them.</summary>
public static class Styles
{
    public static Cell Phase(string? phase) => new(phase ?? "-", phase switch
    {
        "Succeeded" or "active" or "Schedulable" => "green",
        "Failed" or "TimedOut" or "Failing" => "red",
        "Aborted" or "Aborting" or "RetryableFailed" or "Cordoned" or "Draining" or "archived" => "yellow",
        "Running" or "Initializing" or "Succeeding" => "blue",
        "Queued" or "WaitingForResources" => "magenta",
        "NotReady" or "Skipped" or "inactive" or "Gone" => "grey",
        _ => null,
    });

    public static Cell Dim(string? text) => new(text ?? string.Empty, "grey");
}

namespace Orleans.Flyte.Grains.Runners.Local;

public sealed class LocalProcessRunnerOptions
{
    public const string Section = "Flyte:Runners:Local";

    /// <summary>One directory per attempt, named by its attempt id, is created below it.</summary>
    public string WorkRoot { get; set; } = Path.Combine(Path.GetTempPath(), "orleans-flyte", "attempts");

    /// <summary>At most about this much of stdout and of stderr is kept per attempt (the tail, since the end of a log
    /// is where the error is).</summary>
    public int MaxLogBytes { get; set; } = 1024 * 1024;

    /// <summary>The most a task's <c>outputs.json</c> may take, in bytes: outputs are stored in the attempt's events and
    /// passed on to the nodes downstream (as environment variables among others), so a task that writes more fails with
    /// the reason instead of being read whole.</summary>
    public int MaxOutputBytes { get; set; } = 1024 * 1024;

    /// <summary>How long a process tree gets after SIGTERM to exit on its own before it is SIGKILLed.</summary>
    public TimeSpan KillGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether a finished attempt's directory is kept whole (inputs, outputs, whatever the task wrote) for
    /// debugging. When false only its final <c>status.json</c> and its logs are kept: the marker is what keeps a
    /// restarted silo from reporting a finished attempt as lost, and the logs are what a user asks for afterwards.</summary>
    public bool KeepWorkDirectories { get; set; } = true;

    /// <summary>How many attempt directories whose result the engine has recorded (and whose log tail it stored) are kept,
    /// the most recently released ones; older ones are removed. 0 removes each as soon as it is released.</summary>
    public int RetainAttemptDirectories { get; set; } = 100;
}

namespace Orleans.Flyte.Abstractions.Runners;

/// <summary>
/// Receives status changes pushed by a runner (process exit, pod watch). The silo forwards them to the
/// task execution grain; grains also poll <see cref="ITaskRunner.GetStatusAsync"/> on their reminder tick,
/// so a lost notification only delays, never loses, a transition.
/// </summary>
public interface IAttemptStatusSink
{
    Task OnAttemptChangedAsync(AttemptStatus status);
}

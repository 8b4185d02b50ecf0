using Orleans.Flyte.Abstractions.Gpus;

namespace Orleans.Flyte.Api.Auth;

/// <summary>
/// The capacity view as a caller may see it. Who uses which slice is the platform's shared answer ("the big slice is
/// held by project risk, domain production"), so every caller sees the project and domain of every lease and request;
/// the execution, node, attempt and principal behind a lease or a queued request only where the caller may read that project/domain.
/// </summary>
public static class CapacityVisibility
{
    public const string Hidden = "(hidden)";

    public static GpuCapacity For(CallerAccess access, GpuCapacity capacity)
    {
        ArgumentNullException.ThrowIfNull(access);
        ArgumentNullException.ThrowIfNull(capacity);
        return capacity with
        {
            Nodes = [.. capacity.Nodes.Select(n => n with
            {
                Devices = [.. n.Devices.Select(d => d with
                {
                    HeldBy = Holder(access, d.HeldBy),
                    Slices = [.. d.Slices.Select(s => s with { HeldBy = Holder(access, s.HeldBy) })],
                })],
            })],
            Queue = [.. capacity.Queue.Select(q => access.CanRead(q.Project, q.Domain)
                ? q
                : q with { Execution = Hidden, Node = Hidden, AttemptId = Hidden, Principal = q.Principal is null ? null : Hidden })],
        };
    }

    private static LeaseHolder? Holder(CallerAccess access, LeaseHolder? holder) =>
        holder is null || access.CanRead(holder.Project, holder.Domain)
            ? holder
            : holder with { Execution = Hidden, Node = Hidden, AttemptId = Hidden, Principal = holder.Principal is null ? null : Hidden };
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Tests.Clustering;

/// <summary>Answers with the silo it runs on: proves a cluster still serves calls.</summary>
[Alias("Orleans.Flyte.Grains.Tests.Clustering.IClusterProbeGrain")]
public interface IClusterProbeGrain : IGrainWithStringKey
{
    [Alias("WhereAmI")]
    Task<string> WhereAmI();
}

public sealed class ClusterProbeGrain(ILocalSiloDetails silo) : Grain, IClusterProbeGrain
{
    public Task<string> WhereAmI() => Task.FromResult(silo.SiloAddress.ToParsableString());
}

/// <summary>Registers a reminder; each tick is recorded with the cluster that delivered it.</summary>
[Alias("Orleans.Flyte.Grains.Tests.Clustering.IReminderProbeGrain")]
public interface IReminderProbeGrain : IGrainWithStringKey
{
    [Alias("Arm")]
    Task Arm(TimeSpan period);
}

public sealed class ReminderProbeGrain(IOptions<ClusterOptions> cluster) : Grain, IReminderProbeGrain, IRemindable
{
    /// <summary>Grain key → ids of the clusters whose silos delivered a tick. Static: it must outlive every silo.</summary>
    public static readonly ConcurrentDictionary<string, ConcurrentQueue<string>> Ticks = new();

    public Task Arm(TimeSpan period) => this.RegisterOrUpdateReminder("probe", dueTime: TimeSpan.FromSeconds(1), period);

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Ticks.GetOrAdd(this.GetPrimaryKeyString(), _ => new()).Enqueue(cluster.Value.ClusterId);
        return Task.CompletedTask;
    }
}

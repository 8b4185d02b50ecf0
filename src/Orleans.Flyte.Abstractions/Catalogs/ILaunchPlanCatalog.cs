using Orleans.Flyte.Domain.LaunchPlans;

namespace Orleans.Flyte.Abstractions.Catalogs;

/// <summary>The read side of launch plans: every version in a project/domain with its state. One launch plan, with its
/// next fires and recent runs, is its grain's to say.</summary>
public interface ILaunchPlanCatalog
{
    /// <summary>Versions ordered by name, then by registration time. With <paramref name="status"/>, only versions in that
    /// state; without it, every version except archived ones unless <paramref name="includeArchived"/>.</summary>
    Task<IReadOnlyList<LaunchPlanEntry>> ListAsync(
        string project, string domain, LaunchPlanStatus? status, bool includeArchived, CancellationToken cancellationToken = default);
}

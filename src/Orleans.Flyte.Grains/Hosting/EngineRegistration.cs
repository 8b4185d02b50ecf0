using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Flyte.Grains.Executions;
using Orleans.Flyte.Grains.Runners;
using Orleans.Flyte.Grains.Runners.Local;

namespace Orleans.Flyte.Grains.Hosting;

public static class EngineRegistration
{
    /// <summary>
    /// The execution engine: options, the output cache, and the runner with the sink that forwards its
    /// status changes to task grains. The embedded default runner is <see cref="LocalProcessRunner"/>.
    /// </summary>
    public static IServiceCollection AddOrleansFlyteEngine(this IServiceCollection services, IConfiguration? configuration = null)
    {
        var engine = services.AddOptions<ExecutionEngineOptions>();
        var local = services.AddOptions<LocalProcessRunnerOptions>();
        var launchPlans = services.AddOptions<LaunchPlans.LaunchPlanOptions>();
        if (configuration is not null)
        {
            launchPlans.Bind(configuration.GetSection(LaunchPlans.LaunchPlanOptions.Section));
            engine.Bind(configuration.GetSection(ExecutionEngineOptions.Section));
            local.Bind(configuration.GetSection(LocalProcessRunnerOptions.Section));
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new LaunchPlans.LaunchPlanClock(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<TaskOutputCache>();
        services.AddSingleton<IAttemptStatusSink, AttemptStatusForwarder>();
        services.TryAddSingleton<ITaskRunner, LocalProcessRunner>();
        return services;
    }
}

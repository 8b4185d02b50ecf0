using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Api.Health;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Api.Executions;
using Orleans.Flyte.Api.Gpus;
using Orleans.Flyte.Api.LaunchPlans;
using Orleans.Flyte.Api.Registry;
using Prometheus;
using Scalar.AspNetCore;

namespace Orleans.Flyte.Api;

public static class ApiRegistration
{
    public static IServiceCollection AddOrleansFlyteApi(this IServiceCollection services)
    {
        services.AddOptions<FlyteOptions>()
            .BindConfiguration(FlyteOptions.Section)
            .PostConfigure(o => o.Domains = o.Domains.Length == 0 ? FlyteOptions.DefaultDomains : o.Domains)
            .Validate(o => o.Domains.All(d => Domain.Specs.Names.Dns1123LabelError(d) is null), "Flyte:Domains must be DNS-1123 labels (e.g. development)")
            .ValidateOnStart();
        // Malformed request bodies raise BadHttpRequestException in every environment, and BadRequestProblems turns
        // them into 400 problem details that say what was wrong.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestProblems>();
        services.AddProblemDetails();
        services.AddOpenApi(o =>
        {
            // Operation transformers run in this order, then the document transformer.
            o.AddOperationTransformer<OpenApi.ProblemResponseTransformer>();
            o.AddOperationTransformer<OpenApi.RequestHeadersTransformer>();
            o.AddDocumentTransformer<OpenApi.SpecSchemaTransformer>();
        });
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;

            // Responses are JSON for API clients, never inlined into HTML: keep "×" and accented names readable in curl.
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
        services.AddSingleton<Metrics.GpuCapacityMetrics>();
        // The event store registers its own readiness check (AddOrleansFlyteEventStore) with the same tag.
        services.AddHealthChecks().AddCheck<SiloReadinessCheck>("silo", tags: [HealthTags.Ready]);
        return services;
    }

    public static WebApplication MapOrleansFlyteApi(this WebApplication app)
    {
        // Unhandled exceptions and bare status codes (404 for unknown routes, 405, malformed JSON bodies) become problem details too.
        app.UseExceptionHandler();
        app.UseStatusCodePages(StatusCodeProblems.WriteAsync);
        app.UseMiddleware<CallerContextMiddleware>();

        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(HealthTags.Ready), ResponseWriter = WriteHealth });
        app.MapOpenApi();
        app.MapMetrics("/metrics", app.Services.GetRequiredService<Metrics.GpuCapacityMetrics>().Registry);
        app.MapScalarApiReference("/docs", o => o.WithTitle("Orleans.Flyte API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        app.MapGet("/", () => TypedResults.Redirect("/docs")).ExcludeFromDescription();

        app.MapProjectsApi();
        app.MapDefinitionsApi();
        app.MapExecutionsApi();
        app.MapGpusApi();
        app.MapLaunchPlansApi();
        return app;
    }

    private static Task WriteHealth(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }
}

using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Api.Artifacts;
using Orleans.Flyte.Api.Audit;
using Orleans.Flyte.Api.Auth;
using Orleans.Flyte.Api.Identity;
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
            .Validate(o => o.RequestTimeout > TimeSpan.Zero, "Flyte:RequestTimeout must be positive")
            .ValidateOnStart();
        // Malformed request bodies raise BadHttpRequestException in every environment, and BadRequestProblems turns
        // them into 400 problem details that say what was wrong.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestProblems>();
        services.AddExceptionHandler<StorageProblems>();
        services.AddProblemDetails();
        // Before AddOpenApi: its 401/403 responses must exist when ProblemResponseTransformer marks every error as problem details.
        services.AddOrleansFlyteAuth();
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

            // Strict bodies: a field no request type has is a 400 (RequestTextGuard names it first, with a suggestion).
            o.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
            o.SerializerOptions.TypeInfoResolver = (o.SerializerOptions.TypeInfoResolver ?? new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver())
                .WithAddedModifier(JsonViews.DropTupleSequences);
        });
        services.AddMetrics();
        services.AddSingleton<Metrics.PlatformMetrics>();
        services.AddSingleton<Metrics.GpuCapacityMetrics>();
        // The event store registers its own readiness check (AddOrleansFlyteEventStore) with the same tag.
        services.AddHealthChecks().AddCheck<SiloReadinessCheck>("silo", tags: [HealthTags.Ready]);
        return services;
    }

    public static WebApplication MapOrleansFlyteApi(this WebApplication app)
    {
        // Unhandled exceptions and bare status codes (404 for unknown routes, 405, malformed JSON bodies) become problem details too.
        // Resolved first: the engine's instruments are exported from before the silo starts (MeterExport).
        var platformMetrics = app.Services.GetRequiredService<Metrics.PlatformMetrics>();
        app.UseExceptionHandler();
        app.UseStatusCodePages(StatusCodeProblems.WriteAsync);

        // Before authentication, so refused requests (401, 403) are counted too; labels are route patterns, not paths.
        app.UseHttpMetrics(o => o.SetMetricFactory(platformMetrics.Factory));
        app.UseOrleansFlyteAuthentication();
        app.UseMiddleware<RequestTextGuard>();
        app.UseMiddleware<CallerContextMiddleware>();
        app.UseMiddleware<AccessControlMiddleware>();

        // Open: probes, the API's description and the reference page. Everything else declares a permission.
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(HealthTags.Ready), ResponseWriter = WriteHealth }).AllowAnonymous();
        app.MapOpenApi().AllowAnonymous();
        _ = app.Services.GetRequiredService<Metrics.GpuCapacityMetrics>();
        var metrics = app.MapMetrics("/metrics", platformMetrics.Registry);
        if (app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.MetricsRequireToken)
        {
            metrics.Requires(Domain.Identity.Permission.Read);
        }
        else
        {
            metrics.AllowAnonymous();
        }

        app.MapScalarApiReference("/docs", o => o.WithTitle("Orleans.Flyte API").WithOpenApiRoutePattern("/openapi/{documentName}.json")).AllowAnonymous();
        app.MapGet("/", () => TypedResults.Redirect("/docs")).ExcludeFromDescription().AllowAnonymous();

        // Every API call waits for the grains at most Flyte:RequestTimeout, then answers 503 with Retry-After.
        var api = app.MapGroup(string.Empty).AddEndpointFilter<RequestDeadlineFilter>();
        api.MapProjectsApi();
        api.MapDefinitionsApi();
        api.MapExecutionsApi();
        api.MapGpusApi();
        api.MapLaunchPlansApi();
        api.MapTokensApi();
        api.MapRoleBindingsApi();
        api.MapAuditApi();
        app.MapArtifactsApi(); // not under the deadline: an upload lasts as long as its bytes take to arrive
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

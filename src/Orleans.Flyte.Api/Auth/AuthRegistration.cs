using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Orleans.Flyte.Abstractions;

namespace Orleans.Flyte.Api.Auth;

/// <summary>Authentication (OIDC JWTs, platform API tokens), the limit on failed authentications, authorization by role
/// bindings, and the bearer scheme in the OpenAPI document.</summary>
public static class AuthRegistration
{
    public static IServiceCollection AddOrleansFlyteAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.Section)
            .Validate(o => !o.Oidc.Enabled || !string.IsNullOrWhiteSpace(o.Oidc.Audience), "Flyte:Auth:Oidc:Audience is required when OIDC is on (Authority or JwksUrl set)")
            .Validate(o => string.IsNullOrWhiteSpace(o.Oidc.JwksUrl) || !string.IsNullOrWhiteSpace(o.Oidc.Issuer ?? o.Oidc.Authority), "Flyte:Auth:Oidc:JwksUrl needs Flyte:Auth:Oidc:Issuer")
            .Validate(o => o.FailedAuthenticationsPerMinute > 0, "Flyte:Auth:FailedAuthenticationsPerMinute must be positive")
            .ValidateOnStart();

        services.AddAuthentication(AuthSchemes.Bearer)
            .AddPolicyScheme(AuthSchemes.Bearer, "Bearer token", o => o.ForwardDefaultSelector = SchemeFor)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(AuthSchemes.ApiToken, null)
            .AddJwtBearer(AuthSchemes.Oidc, _ => { });
        services.AddOptions<JwtBearerOptions>(AuthSchemes.Oidc).Configure<IOptions<AuthOptions>>((jwt, auth) => ConfigureOidc(jwt, auth.Value.Oidc));

        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(FailedAuthenticationPartition);
            o.OnRejected = (rejected, _) =>
            {
                rejected.HttpContext.Response.Headers.RetryAfter = "60";
                return new ValueTask(TypedResults.Problem(
                    "Too many failed authentications from this client: wait a minute, then send a valid token.",
                    statusCode: StatusCodes.Status429TooManyRequests,
                    title: "Too many requests.").ExecuteAsync(rejected.HttpContext));
            };
        });

        services.Configure<OpenApiOptions>("v1", o => o.AddDocumentTransformer<BearerSecuritySchemeTransformer>().AddOperationTransformer<AccessResponsesTransformer>());
        services.AddHealthChecks().AddCheck<AuthenticationModeCheck>("authentication", tags: [HealthTags.Ready]);
        return services;
    }

    /// <summary>Reads who is calling and limits failed attempts per client; run before anything that records the caller.</summary>
    public static WebApplication UseOrleansFlyteAuthentication(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.Enabled)
        {
            app.Logger.LogWarning("{Warning}", AuthenticationModeCheck.OffWarning);
        }

        app.UseAuthentication();

        // ASP.NET keeps only successful results on the request; the limiter needs to know about failures.
        app.Use(async (context, next) =>
        {
            if (context.User.Identity?.IsAuthenticated != true && context.Request.Headers.Authorization.Count > 0
                && (await context.AuthenticateAsync()).Failure is { } failure)
            {
                context.Features.Set(new FailedAuthentication(failure));
            }

            await next(context);
        });
        app.UseRateLimiter();
        return app;
    }

    private static string SchemeFor(HttpContext context) =>
        AuthSchemes.BearerToken(context.Request) is { } token && !token.StartsWith(Abstractions.Identity.ApiTokenText.Prefix, StringComparison.Ordinal)
        && context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.Oidc.Enabled
            ? AuthSchemes.Oidc
            : AuthSchemes.ApiToken;

    /// <summary>Only requests whose token failed count, per client address: a valid caller is never limited here.</summary>
    private static RateLimitPartition<string> FailedAuthenticationPartition(HttpContext context)
    {
        if (context.Features.Get<FailedAuthentication>() is null)
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        var limit = context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.FailedAuthenticationsPerMinute;
        return RateLimitPartition.GetFixedWindowLimiter(
            "failed:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown"),
            _ => new FixedWindowRateLimiterOptions { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
    }

    /// <summary>Marks a request whose bearer token was refused (the reason is the scheme's).</summary>
    private sealed record FailedAuthentication(Exception Reason);

    private static void ConfigureOidc(JwtBearerOptions jwt, OidcOptions oidc)
    {
        jwt.MapInboundClaims = false;
        jwt.Authority = string.IsNullOrWhiteSpace(oidc.Authority) ? null : oidc.Authority;
        jwt.Audience = oidc.Audience;
        jwt.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuer = oidc.Issuer ?? oidc.Authority,
            ValidateAudience = true,
            ValidAudience = oidc.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = oidc.ClockSkew,
            NameClaimType = oidc.SubjectClaim,
            RoleClaimType = oidc.GroupsClaim,
        };
        if (!string.IsNullOrWhiteSpace(oidc.JwksUrl))
        {
            jwt.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
                oidc.JwksUrl, new JwksRetriever(oidc.Issuer ?? oidc.Authority!), new HttpDocumentRetriever { RequireHttps = oidc.RequireHttpsMetadata });
        }

        jwt.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                var subject = context.Principal?.Identity?.Name;
                if (string.IsNullOrWhiteSpace(subject))
                {
                    context.Fail(new ApiTokenRejectedException($"The token has no '{oidc.SubjectClaim}' claim to name its subject."));
                }
                else if (AuthSchemes.ReservedPrefixes.Any(p => subject.StartsWith(p, StringComparison.Ordinal)))
                {
                    context.Fail(new ApiTokenRejectedException("The token's subject uses a prefix reserved for platform principals."));
                }

                return Task.CompletedTask;
            },
            OnChallenge = async context =>
            {
                context.HandleResponse();
                await BearerChallenge.WriteAsync(context.HttpContext, context.AuthenticateFailure);
            },
        };
    }
}

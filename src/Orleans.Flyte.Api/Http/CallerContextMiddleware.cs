using Microsoft.AspNetCore.Http;
using Orleans.Flyte.Abstractions;

namespace Orleans.Flyte.Api.Http;

/// <summary>
/// Puts the caller's identity and the request's correlation id into Orleans' request context, so every
/// event a grain records for this request says who asked and which request it was. The correlation id is
/// the caller's <c>X-Correlation-Id</c> when given, otherwise the server's trace identifier, and is echoed back.
/// </summary>
public sealed class CallerContextMiddleware(RequestDelegate next)
{
    public const string CorrelationHeader = "X-Correlation-Id";
    public const string AnonymousPrincipal = "anonymous";

    public Task InvokeAsync(HttpContext context)
    {
        var correlation = context.Request.Headers[CorrelationHeader].ToString();
        if (string.IsNullOrWhiteSpace(correlation) || correlation.Length > 128)
        {
            correlation = context.TraceIdentifier;
        }

        var principal = context.User.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name } ? name : AnonymousPrincipal;
        CallContext.Set(principal, correlation);
        context.Response.Headers[CorrelationHeader] = correlation;
        return next(context);
    }
}

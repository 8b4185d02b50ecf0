using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions;
using Orleans.Runtime;

namespace Orleans.Flyte.Api.Http;

/// <summary>
/// Storage trouble is never a bare 500: the event store unreachable, a grain's stream contended by another activation,
/// or a grain call that timed out is a 503 with <c>Retry-After</c> (the call recorded nothing; retry it, with the same
/// idempotency key where it creates something); data the store refused is a 422 that says why.
/// </summary>
public sealed class StorageProblems(IProblemDetailsService problems, IEnumerable<IStorageFailures> classifiers, IOptions<FlyteOptions> options)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        int status;
        string title;
        string detail;
        switch (exception)
        {
            case EventRejectedException rejected:
                (status, title, detail) = (StatusCodes.Status422UnprocessableEntity, "The store refused the request's data.", rejected.Message);
                break;
            case StreamContentionException or StoreUnavailableException or TimeoutException or SiloUnavailableException or OrleansMessageRejectionException:
                (status, title, detail) = (StatusCodes.Status503ServiceUnavailable, Unavailable.Title, exception.Message);
                break;
            case var other when classifiers.Any(c => c.Classify(other) == StorageFailureKind.Transient):
                (status, title, detail) = (StatusCodes.Status503ServiceUnavailable, Unavailable.Title, "The event store is unavailable: " + other.GetBaseException().Message);
                break;
            default:
                return false;
        }

        httpContext.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            Unavailable.SetRetryAfter(httpContext, options.Value);
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}

/// <summary>The 503 of a call the platform could not serve in time; the client retries after <c>Retry-After</c>.</summary>
public static class Unavailable
{
    public const string Title = "The platform cannot serve this call right now.";

    public static void SetRetryAfter(HttpContext context, FlyteOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        context.Response.Headers.RetryAfter = RetryAfterSeconds(options).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Whole seconds, at least 1: the request timeout, a fair guess at how long a store restart takes.</summary>
    public static int RetryAfterSeconds(FlyteOptions options) => Math.Max(1, (int)Math.Ceiling(options.RequestTimeout.TotalSeconds));
}

/// <summary>
/// Bounds how long a call waits for the grains: past <see cref="FlyteOptions.RequestTimeout"/> the call answers 503 with
/// <c>Retry-After</c> instead of hanging while the event store is down (Orleans' own response timeout is 30 s). The grain
/// call itself runs on and its answer is dropped; what it records is recorded, so creating calls take an idempotency key.
/// Work that has not begun by then can stop instead: <see cref="Deadline"/> is cancelled when the 503 is answered (or the
/// client goes away), and a submission still waiting for its turn leaves the queue on it.
/// </summary>
public sealed class RequestDeadlineFilter(IOptions<FlyteOptions> options) : IEndpointFilter
{
    private static readonly object s_deadlineKey = new();

    /// <summary>Cancelled when the call's deadline has passed or its client went away (the request's own abort token
    /// outside this filter).</summary>
    public static CancellationToken Deadline(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(s_deadlineKey, out var token) && token is CancellationToken deadline ? deadline : context.RequestAborted;
    }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.HttpContext.RequestAborted);
        context.HttpContext.Items[s_deadlineKey] = deadline.Token;
        var work = next(context).AsTask();
        var expired = Task.Delay(options.Value.RequestTimeout, deadline.Token);
        if (await Task.WhenAny(work, expired) == work)
        {
            await deadline.CancelAsync(); // the work is done: this only stops the timer
            return await work;
        }

        // What has not begun stops now (a submission waiting for its turn); what has, runs on. Observed, so a late failure
        // is not an unobserved task exception.
        await deadline.CancelAsync();
        _ = work.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        Unavailable.SetRetryAfter(context.HttpContext, options.Value);
        return TypedResults.Problem(
            $"The call did not complete within {options.Value.RequestTimeout.TotalSeconds:0.#} s: the event store is unavailable or overloaded. " +
            "Nothing is known to be recorded; retry after the Retry-After interval (with the same Idempotency-Key when creating).",
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: Unavailable.Title);
    }
}

using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Orleans.Flyte.Api.Http;

/// <summary>The <c>Idempotency-Key</c> header: the same key in the same project/domain names the same execution.</summary>
public static class IdempotencyKey
{
    public const string Header = "Idempotency-Key";
    public const int MaxLength = 200;

    /// <summary>The key (null when not given), or a 400 when it is too long to be one.</summary>
    public static ProblemHttpResult? Read(HttpRequest request, out string? key)
    {
        ArgumentNullException.ThrowIfNull(request);
        var value = request.Headers[Header].ToString();
        key = value.Length > 0 ? value : null;
        return value.Length > MaxLength ? Problems.BadRequest($"The {Header} header may be at most {MaxLength} characters.") : null;
    }
}

using System.ComponentModel.DataAnnotations;

namespace Orleans.Flyte.Api;

/// <summary>Platform settings bound from the <c>Flyte</c> configuration section.</summary>
public sealed class FlyteOptions
{
    public const string Section = "Flyte";

    public static readonly string[] DefaultDomains = ["development", "staging", "production"];

    /// <summary>The domains every project has, in promotion order (default: development, staging, production).
    /// Empty here and filled after binding, because the configuration binder appends to a pre-filled array.</summary>
    [Required]
    public string[] Domains { get; set; } = [];

    /// <summary>How long an API call may wait for the grains (and through them the event store) before it answers 503 with
    /// <c>Retry-After</c>: while PostgreSQL is down a storage-dependent call would otherwise hang until the client gives up.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

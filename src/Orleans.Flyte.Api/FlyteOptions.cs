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
}

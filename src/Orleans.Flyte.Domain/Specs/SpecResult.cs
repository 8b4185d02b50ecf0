namespace Orleans.Flyte.Domain.Specs;

/// <summary>One thing wrong with a submitted document.</summary>
/// <param name="Pointer">RFC 6901 JSON pointer into the submitted document ("" for the whole document).</param>
/// <param name="Message">What is wrong and what would be valid, naming the bad value.</param>
public sealed record SpecError(string Pointer, string Message);

public enum SpecFormat
{
    Auto,
    Json,
    Yaml,
}

public sealed class SpecResult<T>
    where T : class
{
    private SpecResult(T? value, IReadOnlyList<SpecError> errors)
    {
        Value = value;
        Errors = errors;
    }

    public T? Value { get; }

    public IReadOnlyList<SpecError> Errors { get; }

    public bool IsValid => Errors.Count == 0 && Value is not null;

    public static SpecResult<T> Ok(T value) => new(value, []);

    public static SpecResult<T> Fail(IEnumerable<SpecError> errors) => new(null, [.. errors]);

    public static SpecResult<T> Fail(string pointer, string message) => new(null, [new SpecError(pointer, message)]);
}

/// <summary>RFC 6901 pointer building.</summary>
public static class JsonPointer
{
    public static string Append(string pointer, string token) =>
        pointer + "/" + token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    public static string Append(string pointer, int index) =>
        pointer + "/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

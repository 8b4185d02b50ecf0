using System.Text.Json;
using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.Http;

/// <summary>
/// The one rule for text the platform may store (docs/architecture.md, "Text policy"): every body field, header and path
/// or query value is checked against it at the edge, before any grain sees it. No NUL (PostgreSQL's jsonb cannot hold
/// it), no lone surrogates (not Unicode, not UTF-8), no control characters (in free-form text, such as a reason, a
/// description or a string input, tab, newline and carriage return are allowed), and bounded lengths.
/// </summary>
public static class TextPolicy
{
    /// <summary>The longest string value a JSON request body may hold.</summary>
    public const int MaxBodyString = 64 * 1024;

    /// <summary>The longest path segment, query value or stored header value.</summary>
    public const int MaxShortText = 1024;

    /// <summary>The largest JSON request body (spec bodies have their own bound, <see cref="Domain.Specs.SpecDocument.MaxBytes"/>).</summary>
    public const int MaxJsonBodyBytes = 1024 * 1024;

    /// <summary>How deep a JSON request body may nest.</summary>
    public const int MaxJsonDepth = 32;

    /// <summary>Why <paramref name="text"/> breaks the policy, or null when it does not.</summary>
    /// <param name="freeForm">Tab, newline and carriage return are allowed (body text); not in names, paths or headers.</param>
    public static string? Violation(string? text, bool freeForm, int maxLength)
    {
        if (text is null)
        {
            return null;
        }

        if (text.Length > maxLength)
        {
            return $"is {text.Length} characters long; at most {maxLength} are allowed";
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                return $"contains a lone surrogate (U+{(int)c:X4}) at index {i}; send valid Unicode text";
            }

            if (c == '\0')
            {
                return $"contains a NUL character (U+0000) at index {i}, which cannot be stored";
            }

            if (char.IsControl(c) && !(freeForm && c is '\t' or '\n' or '\r'))
            {
                return $"contains the control character U+{(int)c:X4} at index {i}; " +
                    (freeForm ? "only tab and line breaks are allowed in text" : "none are allowed here");
            }
        }

        return null;
    }

    /// <summary>Why a JSON string value (free-form body text) breaks the policy, or null (also for non-strings).</summary>
    public static string? Violation(JsonValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return Violation(value.GetValue<string>(), freeForm: true, MaxBodyString) is { } why ? $"the value {why}" : null;
        }
        catch (InvalidOperationException)
        {
            return "the value is not valid Unicode text (a lone surrogate escape?)";
        }
    }

    /// <summary>Every field name and string of a document (a spec read from YAML or JSON) against the policy.</summary>
    public static void Check(JsonNode? node, string pointer, List<SpecError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    var at = JsonPointer.Append(pointer, key);
                    if (Violation(key, freeForm: false, MaxShortText) is { } badKey)
                    {
                        errors.Add(new SpecError(at, $"the field name {badKey}"));
                    }
                    else
                    {
                        Check(value, at, errors);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Check(array[i], JsonPointer.Append(pointer, i), errors);
                }

                break;
            case JsonValue value when Violation(value) is { } why:
                errors.Add(new SpecError(pointer, why));
                break;
        }
    }
}

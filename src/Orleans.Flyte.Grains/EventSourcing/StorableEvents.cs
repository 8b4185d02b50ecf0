using System.Text.Json;
using Marten;
using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Grains.EventSourcing;

/// <summary>
/// Defence in depth behind the API's text policy: the store refuses an event it cannot hold before it tries, so a
/// value PostgreSQL's jsonb rejects (a NUL character: 22P05; a lone surrogate, which is not UTF-8) or an absurdly large
/// event fails its own call at once instead of failing a transaction (and, in group commit, the batch around it).
/// The check runs on the event as the store serializes it.
/// </summary>
public sealed class StorableEvents(IDocumentStore store)
{
    /// <summary>The largest serialized event the store accepts (characters). Specs are at most 256 KiB; outputs and
    /// inputs are bounded well below this; anything larger is a bug or an attack, not data.</summary>
    public const int MaxEventChars = 4 * 1024 * 1024;

    /// <exception cref="EventRejectedException">An event cannot be stored; the message says which and why.</exception>
    public void EnsureStorable(StreamAddress stream, IReadOnlyList<DomainEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var serializer = store.Options.Serializer();
        foreach (var e in events)
        {
            string json;
            try
            {
                json = serializer.ToJson(e);
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
            {
                throw Refused(stream, e, $"it cannot be serialized ({ex.Message})");
            }

            if (json.Length > MaxEventChars)
            {
                throw Refused(stream, e, $"it is {json.Length} characters serialized; the limit is {MaxEventChars}");
            }

            if (Problem(json) is { } problem)
            {
                throw Refused(stream, e, problem);
            }
        }
    }

    /// <summary>What in the serialized event PostgreSQL would refuse, with its JSON path; null when nothing.</summary>
    public static string? Problem(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (!json.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') && !HasSuspectEscape(json))
        {
            // No surrogate written as is, and no escape that could be a NUL or a surrogate: neither can be in it. (The
            // serializer writes control characters only escaped, so a NUL is always \u0000.)
            return null;
        }

        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json), new JsonReaderOptions { MaxDepth = 256 });
        var path = new Stack<string>();
        string? property = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = reader.GetString();
                        if (Bad(property) is { } badName)
                        {
                            return $"a property name at {Path(path)} {badName}";
                        }

                        break;
                    case JsonTokenType.String when Bad(reader.GetString()) is { } badValue:
                        return $"the value at {Path(path)}/{property} {badValue}";
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        path.Push(property ?? string.Empty);
                        property = null;
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.TryPop(out _);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // System.Text.Json will not read a lone surrogate escape (\uD800) back as a string.
            return $"holds text that is not valid Unicode ({ex.Message})";
        }

        return null;
    }

    /// <summary>Whether an escape in <paramref name="json"/> is <c>\u0000</c> or <c>\uD800</c>–<c>\uDFFF</c>. In JSON a
    /// backslash only ever starts an escape, so a scan that skips each escape whole sees every one; escaped quotes and
    /// backslashes (embedded spec text is full of them) no longer send the event through a full parse.</summary>
    private static bool HasSuspectEscape(string json)
    {
        var at = json.IndexOf('\\', StringComparison.Ordinal);
        while (at >= 0 && at + 1 < json.Length)
        {
            if (json[at + 1] == 'u')
            {
                if (at + 5 >= json.Length)
                {
                    return true; // cut short: let the full read say what it is
                }

                var hex = json.AsSpan(at + 2, 4);
                if (hex.SequenceEqual("0000") || ((hex[0] is 'D' or 'd') && hex[1] is (>= '8' and <= '9') or (>= 'A' and <= 'F') or (>= 'a' and <= 'f')))
                {
                    return true;
                }

                at = json.IndexOf('\\', at + 6);
            }
            else
            {
                at = json.IndexOf('\\', at + 2);
            }
        }

        return false;
    }

    private static string? Bad(string? text)
    {
        if (text is null)
        {
            return null;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return $"contains a NUL character (U+0000) at index {i}, which PostgreSQL cannot store";
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return $"contains a lone surrogate (U+{(int)c:X4}) at index {i}, which is not Unicode text";
            }
        }

        return null;
    }

    private static string Path(Stack<string> path) => path.Count <= 1 ? string.Empty : "/" + string.Join('/', path.Reverse().Skip(1));

    private static EventRejectedException Refused(StreamAddress stream, DomainEvent e, string why) =>
        new($"The store refused event {e.GetType().Name} for stream {stream}: {why}. Nothing was recorded.");
}

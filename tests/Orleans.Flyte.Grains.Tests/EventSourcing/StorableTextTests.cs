using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Orleans.Flyte.Grains.EventSourcing;

namespace Orleans.Flyte.Grains.Tests.EventSourcing;

/// <summary>
/// What the store refuses in a serialized event (a NUL, a lone surrogate) is found whatever else the text holds: the quick
/// scans that let most events skip a full read must never let one of those through.
/// </summary>
public sealed class StorableTextTests
{
    /// <summary>Pieces of JSON string content as written by hand (escapes included), not by a serializer.</summary>
    private static readonly string[] s_escapes = ["a", "\\\"", "\\\\", "\\u0000", "\\uD800", "\\udc00", "\\uD83D\\uDE00", "\\u0027", "é", "😀", "u0000", "\\n", "D800"];

    private static readonly string[] s_pieces = ["a", "\"", "\\", "\\u0000", "u0000", "'", "<", "é", "😀", "\0", "\uD800", "\uDC00", "\uDBFF\uDFFF", "D800", "\n", "{\"x\":1}"];

    public static TheoryData<string> Encoders => new() { "default", "relaxed" };

    [Theory]
    [MemberData(nameof(Encoders))]
    public void Serialized_text_is_judged_as_a_full_read_judges_it(string encoder)
    {
        var options = new JsonSerializerOptions { Encoder = encoder == "relaxed" ? JavaScriptEncoder.UnsafeRelaxedJsonEscaping : JavaScriptEncoder.Default };
        var random = new Random(20261203);
        for (var sample = 0; sample < 5000; sample++)
        {
            var text = new StringBuilder();
            for (var piece = random.Next(0, 8); piece > 0; piece--)
            {
                text.Append(s_pieces[random.Next(s_pieces.Length)]);
            }

            var value = text.ToString();
            var json = JsonSerializer.Serialize(new { spec = value, nested = new[] { value } }, options);

            var problem = StorableEvents.Problem(json);

            (problem is not null).Should().Be(FullReadRefuses(json), $"{encoder} encoding of {Escape(value)} is {json}");
        }
    }

    [Fact]
    public void Hand_written_escapes_are_judged_as_a_full_read_judges_them()
    {
        var random = new Random(3122026);
        for (var sample = 0; sample < 5000; sample++)
        {
            var text = new StringBuilder("{\"a\":[\"");
            for (var piece = random.Next(0, 8); piece > 0; piece--)
            {
                text.Append(s_escapes[random.Next(s_escapes.Length)]);
            }

            var json = text.Append("\"]}").ToString();

            (StorableEvents.Problem(json) is not null).Should().Be(FullReadRefuses(json), json);
        }
    }

    /// <summary>The reference: read every string and property name back and look at each character.</summary>
    private static bool FullReadRefuses(string json)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && Unstorable(reader.GetString()!))
                {
                    return true;
                }
            }

            return false;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return true;
        }
    }

    [Theory]
    [InlineData("{\"a\":\"\\\\u0000\"}", false)] // an escaped backslash then the text u0000: not a NUL
    [InlineData("{\"a\":\"\\u0000\"}", true)]
    [InlineData("{\"a\":\"\\ud800\"}", true)]
    [InlineData("{\"a\":\"\\uD83D\\uDE00\"}", false)] // a pair, escaped
    [InlineData("{\"a\":\"\\\"quoted\\\" \\\\ \\u0027\"}", false)]
    public void Escapes_are_read_whole(string json, bool refused) =>
        (StorableEvents.Problem(json) is not null).Should().Be(refused, json);

    private static bool Unstorable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\0')
            {
                return true;
            }

            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static string Escape(string text) => string.Concat(text.Select(c => c < 0x20 || c > 0x7e ? $"\\u{(int)c:X4}" : c.ToString()));
}

using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Tests.Specs;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("2h", 7200)]
    [InlineData("1h30m", 5400)]
    [InlineData("1d", 86400)]
    [InlineData("1d2h", 93600)]
    [InlineData("1.5s", 1.5)]
    [InlineData("250ms", 0.25)]
    [InlineData("PT2H", 7200)]
    [InlineData("PT1H30M", 5400)]
    [InlineData("P1D", 86400)]
    [InlineData(" 2h ", 7200)]
    public void Durations_parse_in_compact_and_iso_8601_forms(string text, double seconds)
    {
        var parsed = DurationText.TryParse(text, out var duration) ? duration : (TimeSpan?)null;

        parsed.Should().Be(TimeSpan.FromSeconds(seconds));
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("2x")]
    [InlineData("h")]
    [InlineData("2 h")]
    [InlineData("-1h")]
    [InlineData("1h2d")]
    [InlineData("1.0001s")]
    [InlineData("99999999999999999d")]
    [InlineData("99999999999999999999999999999999h")]
    [InlineData("PT")]
    public void Text_that_is_not_a_duration_does_not_parse(string text) => DurationText.TryParse(text, out _).Should().BeFalse();

    [Theory]
    [InlineData(90, "1m30s")]
    [InlineData(7200, "2h")]
    [InlineData(93600, "1d2h")]
    [InlineData(1.5, "1s500ms")]
    public void Durations_format_in_one_compact_form_that_reads_back(double seconds, string text)
    {
        var duration = TimeSpan.FromSeconds(seconds);

        DurationText.Format(duration).Should().Be(text);
        DurationText.TryParse(text, out var again).Should().BeTrue();
        again.Should().Be(duration);
    }
}

using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Tests.Specs;

public sealed class QuantityTests
{
    [Theory]
    [InlineData("4", "4")]
    [InlineData("500m", "0.5")]
    [InlineData("0.5", "0.5")]
    [InlineData("32Gi", "34359738368")]
    [InlineData("512Mi", "536870912")]
    [InlineData("1Ki", "1024")]
    [InlineData("1G", "1000000000")]
    [InlineData("2k", "2000")]
    [InlineData("1e3", "1000")]
    [InlineData("1E3", "1000")]
    [InlineData("250u", "0.00025")]
    public void Kubernetes_quantities_parse_to_their_value_in_base_units(string text, string value)
    {
        var parsed = Quantity.TryParse(text, out var quantity) ? quantity.Value : (decimal?)null;

        parsed.Should().Be(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("32GB")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("abc")]
    [InlineData("1.5.2")]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("Gi")]
    [InlineData("1 Gi")]
    [InlineData("1gi")]
    [InlineData("1e99")]
    [InlineData("99999999999999999999999999E")]
    public void Text_outside_the_quantity_grammar_does_not_parse(string text) => Quantity.TryParse(text, out _).Should().BeFalse();

    [Fact]
    public void A_quantity_prints_as_written_without_surrounding_space()
    {
        Quantity.TryParse(" 512Mi ", out var quantity).Should().BeTrue();

        quantity!.ToString().Should().Be("512Mi");
        quantity.Suffix.Should().Be("Mi");
    }
}

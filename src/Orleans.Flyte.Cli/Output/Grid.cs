namespace Orleans.Flyte.Cli.Output;

/// <summary>One table cell: its text and, on a terminal, a Spectre style such as <c>green</c> or <c>bold red</c>.</summary>
public readonly record struct Cell(string Text, string? Style = null)
{
    public static implicit operator Cell(string? text) => FromString(text);

    public static Cell FromString(string? text) => new(text ?? string.Empty);
}

/// <summary>
/// Rows under fixed columns. The column order is part of the output contract: piped output is parsed by scripts
/// and compared against snapshots, so columns are only ever added at the end.
/// </summary>
public sealed class Grid(params string[] columns)
{
    private readonly List<Cell[]> _rows = [];

    public IReadOnlyList<string> Columns { get; } = columns;

    public IReadOnlyList<IReadOnlyList<Cell>> Rows => _rows;

    public int Count => _rows.Count;

    public Grid Add(params Cell[] cells)
    {
        if (cells.Length != Columns.Count)
        {
            throw new ArgumentException($"a row of {Columns.Count} columns was given {cells.Length} cells", nameof(cells));
        }

        _rows.Add(cells);
        return this;
    }

    /// <summary>
    /// Plain text: upper-case headers, columns two spaces apart and padded to their widest cell, the last column not
    /// padded, one line per row (line breaks inside a cell become spaces), no trailing spaces.
    /// </summary>
    public IEnumerable<string> PlainLines()
    {
        var header = Columns.Select(c => c.ToUpperInvariant()).ToArray();
        var rows = _rows.Select(r => r.Select(c => Flatten(c.Text)).ToArray()).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        yield return Join(header, widths);
        foreach (var row in rows)
        {
            yield return Join(row, widths);
        }
    }

    private static string Join(string[] cells, int[] widths)
    {
        var line = new System.Text.StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0)
            {
                line.Append("  ");
            }

            line.Append(i == cells.Length - 1 ? cells[i] : cells[i].PadRight(widths[i]));
        }

        return line.ToString().TrimEnd();
    }

    private static string Flatten(string text) =>
        text.Contains('\n', StringComparison.Ordinal) || text.Contains('\t', StringComparison.Ordinal) || text.Contains('\r', StringComparison.Ordinal)
            ? text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' ').Replace('\t', ' ')
            : text;
}

using System.Globalization;
using System.Text;
using Kandinsky.Lab.Formatting;

namespace Kandinsky.Lab.Visuals;

/// <summary>A simple table: named columns, rows of values; renders as HTML and plain text, exports CSV.</summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class Table : IRichDisplay
{
    readonly List<object?[]> _rows = [];

    public Table(params string[] columns)
    {
        if (columns.Length == 0) throw new ArgumentException("Table needs at least one column.", nameof(columns));
        Columns = columns;
    }

    public IReadOnlyList<string> Columns { get; }
    public IReadOnlyList<IReadOnlyList<object?>> Rows => _rows;
    public string? Caption { get; init; }

    public Table AddRow(params object?[] values)
    {
        if (values.Length != Columns.Count)
            throw new ArgumentException($"Table.AddRow: got {values.Length} values, the table has {Columns.Count} columns ({string.Join(", ", Columns)}).");
        _rows.Add(values);
        return this;
    }

    public static string FormatCell(object? value) => value switch
    {
        null => "",
        float f => f.ToString("G5", CultureInfo.InvariantCulture),
        double d => d.ToString("G5", CultureInfo.InvariantCulture),
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    public string ToHtml()
    {
        var table = Html.Table(Columns.Select(Html.Encode), _rows.Select(r => r.Select(v => Html.Encode(FormatCell(v)))));
        return Caption == null ? table : Html.Section(Caption, table);
    }

    /// <summary>RFC 4180 CSV: fields with commas, quotes or line breaks are quoted, quotes doubled.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', Columns.Select(CsvField)).Append("\r\n");
        foreach (var row in _rows) sb.AppendJoin(',', row.Select(v => CsvField(FormatCell(v)))).Append("\r\n");
        return sb.ToString();
    }

    static string CsvField(string s) =>
        s.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;

    public override string ToString()
    {
        var cells = new List<string[]> { Columns.ToArray() };
        cells.AddRange(_rows.Select(r => r.Select(FormatCell).ToArray()));
        var widths = Enumerable.Range(0, Columns.Count).Select(c => cells.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        if (Caption != null) sb.AppendLine(Caption);
        for (int i = 0; i < cells.Count; i++)
        {
            sb.AppendJoin("  ", cells[i].Select((s, c) => s.PadRight(widths[c]))).Append('\n');
            if (i == 0) sb.AppendJoin("  ", widths.Select(w => new string('-', w))).Append('\n');
        }
        return sb.ToString();
    }
}

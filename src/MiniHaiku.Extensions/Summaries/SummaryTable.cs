using System.Globalization;
using System.Text;

namespace MiniHaiku.Summaries;

/// <summary>What <see cref="Summary.Tabulate{TIn, TOut}(Transformed{TIn, TOut}, TIn, long)"/> returns: one row per module call, plus totals. <see cref="ToString"/> prints a table.</summary>
/// <param name="Rows">The module method calls, in call order.</param>
/// <param name="ParamTensors">How many parameter tensors the model has.</param>
/// <param name="TotalParams">Scalar parameters in the whole model.</param>
/// <param name="TotalBytes">Bytes of all parameters.</param>
public sealed record SummaryTable(IReadOnlyList<SummaryRow> Rows, int ParamTensors, long TotalParams, long TotalBytes)
{
    /// <summary>Prints the table with a header, one line per row and a totals line.</summary>
    /// <returns>The text table.</returns>
    public override string ToString()
    {
        string[] header = ["Module", "Method", "Input", "Output", "Params", "Bytes"];
        var cells = Rows.Select(r => new[]
        {
            r.Module, r.Method, r.Input, r.Output,
            r.ParamCount.ToString("N0", CultureInfo.InvariantCulture), FormatBytes(r.ParamBytes),
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length))).ToArray();
        var sb = new StringBuilder();
        void Line(string[] values)
        {
            sb.Append('|');
            for (var i = 0; i < values.Length; i++)
            {
                var right = i >= 4;
                sb.Append(' ').Append(right ? values[i].PadLeft(widths[i]) : values[i].PadRight(widths[i])).Append(" |");
            }
            sb.Append('\n');
        }
        Line(header);
        sb.Append('|');
        foreach (var w in widths) sb.Append(new string('-', w + 2)).Append('|');
        sb.Append('\n');
        foreach (var c in cells) Line(c);
        sb.Append(CultureInfo.InvariantCulture, $"Total: {TotalParams:N0} parameters in {ParamTensors} tensors, {FormatBytes(TotalBytes)}\n");
        return sb.ToString();
    }

    /// <summary>Formats a byte count like <c>1.5 KB</c> (powers of 1024; exact below 1 KB).</summary>
    /// <param name="bytes">The count.</param>
    /// <returns>The text.</returns>
    public static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / (1024.0 * 1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " GB",
    };
}

using System.Globalization;
using MiniHaiku.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MiniHaiku.FashionMnistExample;

/// <summary><c>predict</c>: classifies an image, an IDX file of images, or a folder of them with a checkpoint.</summary>
public sealed class PredictCommand : Command<PredictSettings>
{
    /// <summary>Images listed one by one; more are summarised by predicted class.</summary>
    public const int MaxRows = 50;

    /// <inheritdoc />
    public override int Execute(CommandContext context, PredictSettings settings, CancellationToken cancellationToken)
    {
        var checkpoint = ModelCheckpoint.Load(settings.Checkpoint!, ModelKinds.Parse(settings.Model));
        try
        {
            using var inputs = PredictInputs.Load(settings.Input!);
            var classifier = new Classifier(Models.Create(checkpoint.Kind), checkpoint.Params, checkpoint.State);
            var predictions = classifier.Probabilities(inputs.Images).Select((p, i) => new Prediction(inputs.Names[i], p)).ToList();

            AnsiConsole.MarkupLineInterpolated($"Checkpoint: {settings.Checkpoint} ({checkpoint.Kind.Name()}); {predictions.Count} image(s) from {settings.Input}");
            if (inputs.SkippedLabelFiles.Count > 0)
                AnsiConsole.MarkupLineInterpolated($"Left out (label files, not images): {string.Join(", ", inputs.SkippedLabelFiles.Select(Path.GetFileName))}");
            var table = new Table().AddColumn("image").AddColumn("class").AddColumn(new TableColumn("probability").RightAligned());
            if (settings.Top > 1) table.AddColumn($"top {settings.Top}");
            foreach (var p in predictions.Take(MaxRows))
            {
                var row = new List<string> { Markup.Escape(p.Name), Markup.Escape(p.ClassName), p.Probabilities[p.Class].ToString("F4", CultureInfo.InvariantCulture) };
                if (settings.Top > 1)
                    row.Add(Markup.Escape(string.Join(", ", p.Top(settings.Top).Select(t => $"{FashionMnist.ClassNames[t.Class]} {t.Probability:F3}"))));
                table.AddRow(row.ToArray());
            }
            AnsiConsole.Write(table);
            if (predictions.Count > MaxRows)
            {
                AnsiConsole.MarkupLineInterpolated($"… and {predictions.Count - MaxRows} more (--csv FILE writes them all). Predicted classes of all {predictions.Count}:");
                var counts = new Table().AddColumn("class").AddColumn(new TableColumn("images").RightAligned());
                foreach (var g in predictions.GroupBy(p => p.Class).OrderBy(g => g.Key))
                    counts.AddRow(Markup.Escape(FashionMnist.ClassNames[g.Key]), g.Count().ToString(CultureInfo.InvariantCulture));
                AnsiConsole.Write(counts);
            }
            if (settings.Csv is { } csv)
            {
                var lines = new List<string> { "image,class,class_name," + string.Join(",", Enumerable.Range(0, FashionMnist.ClassCount).Select(i => $"p{i}")) };
                lines.AddRange(predictions.Select(p => string.Join(",",
                    [Quote(p.Name), p.Class.ToString(CultureInfo.InvariantCulture), Quote(p.ClassName), .. p.Probabilities.Select(v => v.ToString("R", CultureInfo.InvariantCulture))])));
                File.WriteAllLines(csv, lines);
                AnsiConsole.MarkupLineInterpolated($"Probabilities: {csv}");
            }
            return 0;
        }
        finally
        {
            checkpoint.Params.DisposeTensors();
            checkpoint.State.DisposeTensors();
        }
    }

    private static string Quote(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}

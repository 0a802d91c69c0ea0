using System.Globalization;
using MiniHaiku.Data;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;

namespace MiniHaiku.FashionMnistExample;

/// <summary><c>eval</c>: reloads a checkpoint and prints its test accuracy.</summary>
public sealed class EvalCommand : Command<EvalSettings>
{
    /// <inheritdoc />
    public override int Execute(CommandContext context, EvalSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Threads is { } threads) torch.set_num_threads(threads);
        var checkpoint = ModelCheckpoint.Load(settings.Checkpoint!, ModelKinds.Parse(settings.Model));
        try
        {
            var kind = checkpoint.Kind;
            var (test, origin) = DataSource.LoadTest(settings.Data);
            using var testData = test;
            var classifier = new Classifier(Models.Create(kind), checkpoint.Params, checkpoint.State);
            double loss, accuracy;
            ConfusionMatrix confusion;
            try { (loss, accuracy, confusion) = classifier.EvaluateWithConfusion(testData); }
            catch (MiniHaikuException e) when (e is MissingParameterException or UnusedParametersException or ShapeMismatchException)
            {
                throw new CheckpointModelMismatchException(settings.Checkpoint!, kind.Name(), e);
            }
            AnsiConsole.MarkupLineInterpolated($"Checkpoint: {settings.Checkpoint} ({kind.Name()}, {checkpoint.Params.ElementCount:N0} parameters)");
            AnsiConsole.MarkupLineInterpolated($"Data: {origin}");
            AnsiConsole.MarkupLineInterpolated($"test loss: {loss:F4}");
            AnsiConsole.MarkupLineInterpolated($"test accuracy: {accuracy:F4}");

            var perClass = new Table().Title("[bold]Per-class accuracy[/]").AddColumn("class").AddColumn(new TableColumn("accuracy").RightAligned())
                .AddColumn(new TableColumn("correct / images").RightAligned()).AddColumn("most confused with");
            for (var i = 0; i < confusion.ClassCount; i++)
            {
                var worst = Enumerable.Range(0, confusion.ClassCount).Where(j => j != i && confusion[i, j] > 0).OrderByDescending(j => confusion[i, j]).Select(j => j).DefaultIfEmpty(-1).First();
                perClass.AddRow(Markup.Escape(FashionMnist.ClassNames[i]), double.IsNaN(confusion.ClassAccuracy(i)) ? "-" : confusion.ClassAccuracy(i).ToString("F4", CultureInfo.InvariantCulture),
                    $"{confusion[i, i]} / {confusion.Support(i)}", worst < 0 ? "" : Markup.Escape($"{FashionMnist.ClassNames[worst]} ({confusion[i, worst]})"));
            }
            AnsiConsole.Write(perClass);
            var outDir = settings.Out ?? Path.GetDirectoryName(Path.GetFullPath(settings.Checkpoint!))!;
            OutputFolder.RequireWritable(outDir);
            var csv = Path.Combine(outDir, "confusion.csv");
            var png = Path.Combine(outDir, "confusion.png");
            confusion.WriteCsv(csv);
            confusion.WritePlot(png, $"Fashion-MNIST {kind.Name().ToUpperInvariant()} — confusion (test accuracy {accuracy:F4})");
            AnsiConsole.MarkupLineInterpolated($"Confusion matrix: {csv}, {png}");
            return 0;
        }
        finally
        {
            checkpoint.Params.DisposeTensors();
            checkpoint.State.DisposeTensors();
        }
    }
}

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
            try { (loss, accuracy) = classifier.Evaluate(testData); }
            catch (MiniHaikuException e) when (e is MissingParameterException or UnusedParametersException or ShapeMismatchException)
            {
                throw new CheckpointModelMismatchException(settings.Checkpoint!, kind.Name(), e);
            }
            AnsiConsole.MarkupLineInterpolated($"Checkpoint: {settings.Checkpoint} ({kind.Name()}, {checkpoint.Params.ElementCount:N0} parameters)");
            AnsiConsole.MarkupLineInterpolated($"Data: {origin}");
            AnsiConsole.MarkupLineInterpolated($"test loss: {loss:F4}");
            AnsiConsole.MarkupLineInterpolated($"test accuracy: {accuracy:F4}");
            return 0;
        }
        finally
        {
            checkpoint.Params.DisposeTensors();
            checkpoint.State.DisposeTensors();
        }
    }
}

using MiniHaiku.FashionMnistExample;
using Spectre.Console;
using Spectre.Console.Cli;

// Logs (output redirected to a file) get wide lines instead of Spectre's default of 80 columns.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("MiniHaiku.FashionMnist");
    // A mistyped option (--epoch for --epochs) is an error, never silently ignored.
    config.UseStrictParsing();
    config.AddCommand<TrainCommand>("train")
        .WithDescription("Train an MLP or a CNN on Fashion-MNIST; writes a checkpoint, metrics.csv and metrics.png.")
        .WithExample("train", "--model", "mlp", "--epochs", "3", "--out", "runs/mlp")
        .WithExample("train", "--model", "cnn", "--epochs", "10", "--batch-size", "128", "--lr", "0.001", "--seed", "0", "--out", "runs/cnn");
    config.AddCommand<EvalCommand>("eval")
        .WithDescription("Reload a checkpoint written by train and print its test accuracy.")
        .WithExample("eval", "--checkpoint", "runs/mlp/model.safetensors");
    config.SetExceptionHandler((exception, _) => ErrorReport.Write(exception));
});
return app.Run(args);

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
        .WithDescription("Reload a checkpoint written by train and print its test accuracy, per-class accuracy and confusion matrix (confusion.png, confusion.csv).")
        .WithExample("eval", "--checkpoint", "runs/mlp/model.safetensors");
    config.AddCommand<PredictCommand>("predict")
        .WithDescription("Classify a PNG image, an IDX file of images, or a folder of them; prints each image's class and probabilities.")
        .WithExample("predict", "--checkpoint", "runs/mlp/model.safetensors", "--input", "shoe.png")
        .WithExample("predict", "--checkpoint", "runs/mlp/model.safetensors", "--input", "images/", "--top", "10", "--csv", "predictions.csv");
    config.AddCommand<ImportCommand>("import")
        .WithDescription("Load weights trained with Haiku (.npz) or PyTorch (state_dict .safetensors) into a model and save a checkpoint.")
        .WithExample("import", "--weights", "haiku_mlp.npz", "--model", "mlp", "--out", "runs/haiku/model.safetensors")
        .WithExample("import", "--weights", "torch_mlp.safetensors", "--format", "torch", "--out", "runs/torch/model.safetensors");
    config.SetExceptionHandler((exception, _) => ErrorReport.Write(exception));
});
return app.Run(args);

namespace MiniHaiku.FashionMnistExample;

/// <summary>A checkpoint does not hold the parameters of the model it is loaded into.</summary>
public sealed class CheckpointModelMismatchException : MiniHaikuException
{
    /// <summary>The checkpoint records one model but another was asked for.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="recorded">The model recorded in it.</param>
    /// <param name="requested">The model asked for with --model.</param>
    public CheckpointModelMismatchException(string path, string recorded, string requested)
        : base($"Checkpoint '{path}' holds a {recorded} model, not a {requested}. Drop --model, or pass a checkpoint trained with --model {requested}.") =>
        Path = path;

    /// <summary>The checkpoint holds parameters of no known architecture.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="problem">What its parameters look like.</param>
    public CheckpointModelMismatchException(string path, string problem)
        : base($"Checkpoint '{path}' is not a checkpoint of this example: {problem}. Pass a model.safetensors written by train.") =>
        Path = path;

    /// <summary>The checkpoint's tensors do not fit the model's parameters.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="model">The model it was loaded into.</param>
    /// <param name="inner">What Apply reported (a missing, unused or mis-shaped parameter).</param>
    public CheckpointModelMismatchException(string path, string model, MiniHaikuException inner)
        : base($"Checkpoint '{path}' does not fit the {model} model: {inner.Message}", inner) =>
        Path = path;

    /// <summary>The checkpoint file.</summary>
    public string Path { get; }
}

namespace MiniHaiku.FashionMnistExample;
public sealed record LoadedModel(ModelKind Kind, Params Params, Params State);
public static class ModelCheckpoint
{
    public static void Save(string path, ModelKind kind, Params parameters, Params state) => Console.WriteLine("(checkpoint not yet)");
    public static LoadedModel Load(string path) => throw new NotImplementedException();
}

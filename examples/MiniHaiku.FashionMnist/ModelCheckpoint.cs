namespace MiniHaiku.FashionMnistExample;
public static class ModelCheckpoint
{
    public static void Save(string path, ModelKind kind, Params parameters, Params state) => Console.WriteLine("(checkpoint not yet)");
}

using System.Globalization;
using System.Text;
using MiniHaiku.FashionMnistExample;
using MiniHaiku.Tests.Import;
using MiniHaiku.Tests.Support;
using static MiniHaiku.Tests.Examples.AppRunner;

namespace MiniHaiku.Tests.Examples;

/// <summary>The app's <c>import</c>: Haiku .npz and PyTorch safetensors weights become a checkpoint that predict uses.</summary>
[Collection(nameof(FashionMnistAppCollection))]
public sealed class ImportCommandTests : IDisposable
{
    private readonly IdxFiles files = new();

    public void Dispose() => files.Dispose();

    /// <summary>The app MLP's layers: name, fan-in, fan-out.</summary>
    private static readonly (string Name, int In, int Out)[] Layers = [("hidden1", 784, 256), ("hidden2", 256, 128), ("logits", 128, 10)];

    /// <summary>Deterministic weights [in, out] (Haiku's layout) and biases.</summary>
    private static float[] Values(int count, int seed) =>
        Enumerable.Range(0, count).Select(i => (float)(0.08 * Math.Sin(0.37 * i + seed))).ToArray();

    private string HaikuNpz(bool withLogitsBias = true)
    {
        var entries = new List<SpecFiles.ZipEntry>();
        for (var l = 0; l < Layers.Length; l++)
        {
            var (name, fanIn, fanOut) = Layers[l];
            entries.Add(new($"{name}/w.npy", SpecFiles.Npy("<f4", [fanIn, fanOut], SpecFiles.LittleF32(Values(fanIn * fanOut, l))), Deflate: true));
            if (withLogitsBias || name != "logits")
                entries.Add(new($"{name}/b.npy", SpecFiles.Npy("<f4", [fanOut], SpecFiles.LittleF32(Values(fanOut, 10 + l)))));
        }
        return files.Write("haiku_mlp.npz", SpecFiles.Zip([.. entries]));
    }

    private string TorchSafetensors()
    {
        var header = new StringBuilder("{");
        var data = new List<byte>();
        for (var l = 0; l < Layers.Length; l++)
        {
            var (name, fanIn, fanOut) = Layers[l];
            var w = Values(fanIn * fanOut, l);
            var transposed = new float[w.Length]; // [out, in]
            for (var i = 0; i < fanIn; i++) for (var o = 0; o < fanOut; o++) transposed[o * fanIn + i] = w[i * fanOut + o];
            foreach (var (key, shape, values) in new[] { ($"model.{name}.weight", $"[{fanOut},{fanIn}]", transposed), ($"model.{name}.bias", $"[{fanOut}]", Values(fanOut, 10 + l)) })
            {
                if (header.Length > 1) header.Append(',');
                header.Append(CultureInfo.InvariantCulture, $"\"{key}\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[{data.Count},{data.Count + 4 * values.Length}]}}");
                data.AddRange(SpecFiles.LittleF32(values));
            }
        }
        header.Append('}');
        return files.Write("torch_mlp.safetensors", SpecFiles.SafeTensors(header.ToString(), [.. data]));
    }

    /// <summary>softmax(relu(relu(x W1 + b1) W2 + b2) W3 + b3), computed here from the same values.</summary>
    private static double[] Expected(byte[] image)
    {
        using var scope = torch.NewDisposeScope();
        var h = torch.tensor(image.Select(b => b / 255f).ToArray()).reshape(1, 784);
        for (var l = 0; l < Layers.Length; l++)
        {
            var (_, fanIn, fanOut) = Layers[l];
            h = h.matmul(torch.tensor(Values(fanIn * fanOut, l)).reshape(fanIn, fanOut)) + torch.tensor(Values(fanOut, 10 + l));
            if (l < Layers.Length - 1) h = torch.nn.functional.relu(h);
        }
        return torch.nn.functional.softmax(h.to(float64), 1).data<double>().ToArray();
    }

    private double[] Predict(string checkpoint, string image)
    {
        var csv = Path.Combine(files.Directory, Guid.NewGuid().ToString("N") + ".csv");
        var (code, _, error) = Run("predict", "--checkpoint", checkpoint, "--input", image, "--csv", csv);
        Assert.True(code == 0, error);
        return File.ReadAllLines(csv)[1].Split(',')[3..].Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
    }

    [Fact]
    public void HaikuAndTorchWeightsImportIntoTheMlpAndPredictAsTheyWould()
    {
        var pixels = IdxFiles.Pixels(784, seed: 3);
        var image = files.Write("one-ubyte", IdxFiles.Encode([28, 28], pixels));
        var expected = Expected(pixels);

        var haikuCheckpoint = Path.Combine(files.Directory, "haiku", "model.safetensors");
        var (code, output, error) = Run("import", "--weights", HaikuNpz(), "--model", "mlp", "--out", haikuCheckpoint);
        Assert.True(code == 0, error);
        Assert.Contains("loaded 6, skipped 0, mismatched 0, missing 0", output);
        Assert.All(Predict(haikuCheckpoint, image).Zip(expected), p => Assert.Equal(p.Second, p.First, 1e-6));

        var torchCheckpoint = Path.Combine(files.Directory, "torch", "model.safetensors");
        (code, output, error) = Run("import", "--weights", TorchSafetensors(), "--prefix", "model.", "--out", torchCheckpoint);
        Assert.True(code == 0, error);
        Assert.Contains("(torch names) into mlp: loaded 6, skipped 0, mismatched 0, missing 0", output);
        Assert.Contains("TorchAuto", output);
        Assert.All(Predict(torchCheckpoint, image).Zip(expected), p => Assert.Equal(p.Second, p.First, 1e-6));
    }

    [Fact]
    public void AnIncompleteFileIsAnErrorUnlessPartial()
    {
        var npz = HaikuNpz(withLogitsBias: false);
        var output = Path.Combine(files.Directory, "out", "model.safetensors");
        var (code, _, error) = Run("import", "--weights", npz, "--out", output);
        Assert.Equal(ErrorReport.InputError, code);
        Assert.Contains("loaded 5, skipped 0, mismatched 0, missing 1", Flat(error));
        Assert.Contains("missing '~/logits/__call__/b' (kept its value)", Flat(error));
        Assert.False(File.Exists(output));

        string stdout;
        (code, stdout, error) = Run("import", "--weights", npz, "--partial", "--out", output);
        Assert.True(code == 0, error);
        Assert.Contains("missing: kept its initial value", stdout);
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void ACorruptWeightFileIsBadInputNamingIt()
    {
        var npz = files.Write("broken.npz", SpecFiles.Zip(new SpecFiles.ZipEntry("hidden1/w.npy", SpecFiles.Npy("<u8", [1], new byte[8]))));
        var (code, _, error) = Run("import", "--weights", npz, "--out", Path.Combine(files.Directory, "o", "m.safetensors"));
        Assert.Equal(ErrorReport.InputError, code);
        Assert.Contains($"Weight file '{npz}', entry 'hidden1/w.npy': has dtype '<u8'", Flat(error));
    }
}

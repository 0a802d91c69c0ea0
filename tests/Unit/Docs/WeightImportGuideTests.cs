using MiniHaiku.Import;
using MiniHaiku.Layers;
using MiniHaiku.Tests.Import;

namespace MiniHaiku.Tests.Docs;

/// <summary>The weight-import sample of docs/training.md, compiled and run; the guide must quote it verbatim.</summary>
public sealed class WeightImportGuideTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("minihaiku-import-guide-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly float[] W0 = Enumerable.Range(0, 12).Select(i => i / 10f - 0.5f).ToArray(); // [4, 3]
    private static readonly float[] B0 = [0.1f, -0.2f, 0.3f];
    private static readonly float[] W1 = Enumerable.Range(0, 6).Select(i => 0.2f * i - 0.4f).ToArray(); // [3, 2]
    private static readonly float[] B1 = [0.5f, -0.5f];

    private static float[] Transpose(float[] w, int rows, int cols)
    {
        var t = new float[w.Length];
        for (var r = 0; r < rows; r++) for (var c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
        return t;
    }

    [Fact]
    public void GuideSampleImportsHaikuAndTorchWeightsIntoTheSameFunction()
    {
        var haikuPath = Path.Combine(dir, "haiku.npz");
        File.WriteAllBytes(haikuPath, SpecFiles.Zip(
            new SpecFiles.ZipEntry("mlp/~/linear_0/w.npy", SpecFiles.Npy("<f4", [4, 3], SpecFiles.LittleF32(W0))),
            new SpecFiles.ZipEntry("mlp/~/linear_0/b.npy", SpecFiles.Npy("<f4", [3], SpecFiles.LittleF32(B0))),
            new SpecFiles.ZipEntry("mlp/~/linear_1/w.npy", SpecFiles.Npy("<f4", [3, 2], SpecFiles.LittleF32(W1)), Deflate: true),
            new SpecFiles.ZipEntry("mlp/~/linear_1/b.npy", SpecFiles.Npy("<f4", [2], SpecFiles.LittleF32(B1)), Deflate: true)));
        var torchPath = Path.Combine(dir, "torch.safetensors");
        File.WriteAllBytes(torchPath, SpecFiles.SafeTensors(
            """{"0.weight":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]},"0.bias":{"dtype":"F32","shape":[3],"data_offsets":[48,60]}""" +
            ""","2.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[60,84]},"2.bias":{"dtype":"F32","shape":[2],"data_offsets":[84,92]}}""",
            [.. SpecFiles.LittleF32(Transpose(W0, 4, 3)), .. SpecFiles.LittleF32(B0), .. SpecFiles.LittleF32(Transpose(W1, 3, 2)), .. SpecFiles.LittleF32(B1)]));

        // begin-import-sample
        // The model: Haiku's hk.nets.MLP([3, 2]) on 4 inputs.
        var mlp = Hk.Transform((Tensor x) => from m in MLP.Create([3, 2]) from y in m.Call(x) select y);
        var parameters = mlp.Init(seed: 0, torch.ones(1, 4));

        // Haiku: np.savez("haiku.npz", **{f"{m}/{n}": v for m, p in params.items() for n, v in p.items()})
        var (fromHaiku, report) = WeightImport.Load(haikuPath, parameters, WeightMap.Haiku(parameters));
        Console.WriteLine(report);   // Import from '…/haiku.npz': loaded 4, skipped 0, mismatched 0, missing 0

        // PyTorch: save_file(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).state_dict(), "torch.safetensors")
        var torchMap = WeightMap.Empty
            .TorchModule("0", "~/MLP_0/__call__/Linear_0/__call__")    // 0.weight [3, 4] → w [4, 3], 0.bias → b
            .TorchModule("2", "~/MLP_0/__call__/Linear_1/__call__");
        var (fromTorch, _) = WeightImport.Load(torchPath, parameters, torchMap);

        // Partial: load what fits, keep the rest, and read why.
        var (partial, partialReport) = WeightImport.Load(torchPath, parameters, WeightMap.Haiku(parameters), ImportMode.Partial);
        // end-import-sample

        Assert.True(report.IsComplete);
        using var x = torch.tensor(new float[] { 1, -2, 0.5f, 3, 0, 1, -1, 2 }).reshape(2, 4);
        using var expected = torch.nn.functional.relu(x.matmul(torch.tensor(W0).reshape(4, 3)) + torch.tensor(B0)).matmul(torch.tensor(W1).reshape(3, 2)) + torch.tensor(B1);
        Assert.True(mlp.Apply(fromHaiku, x).allclose(expected));
        Assert.True(mlp.Apply(fromTorch, x).allclose(expected));
        Assert.Equal(4, partialReport.Skipped.Count); // torch names mean nothing to the Haiku map
        Assert.Equal(4, partialReport.Missing.Count);
        Assert.Same(parameters["~/MLP_0/__call__/Linear_0/__call__/w"], partial["~/MLP_0/__call__/Linear_0/__call__/w"]);
    }

    [Fact]
    public void GuideQuotesTheSampleVerbatim()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "MiniHaiku.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        var source = File.ReadAllText(Path.Combine(root, "tests", "Unit", "Docs", "WeightImportGuideTests.cs")).Replace("\r\n", "\n");
        var begin = source.IndexOf("// begin-import-sample\n", StringComparison.Ordinal);
        var end = source.IndexOf("// end-import-sample\n", begin + 1, StringComparison.Ordinal);
        var lines = source[begin..end].Split('\n').Skip(1).ToList();
        var sample = string.Join("\n", lines.Select(l => l.Length >= 8 ? l[8..] : l.TrimStart())).TrimEnd();
        var guide = File.ReadAllText(Path.Combine(root, "docs", "training.md")).Replace("\r\n", "\n");
        Assert.Contains(sample, guide);
    }
}

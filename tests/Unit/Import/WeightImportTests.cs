using MiniHaiku.Import;
using MiniHaiku.Layers;

namespace MiniHaiku.Tests.Import;

public sealed class WeightImportTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("minihaiku-import-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static float[] Floats(Tensor t) => t.to(float32).contiguous().data<float>().ToArray();

    private static readonly Transformed<Tensor, Tensor> Mlp =
        Hk.Transform((Tensor x) => from mlp in MLP.Create([3, 2]) from y in mlp.Call(x) select y);

    private static float[] Range(int n, float start) => Enumerable.Range(0, n).Select(i => start + i / 10f).ToArray();

    /// <summary>A Haiku hk.nets.MLP([3, 2]) on 4 inputs, flattened and saved with np.savez: names mlp/~/linear_0/w …</summary>
    private string HaikuMlpNpz(bool deflate = false, long[]? firstShape = null) => Write("haiku.npz", SpecFiles.Zip(
        new SpecFiles.ZipEntry("mlp/~/linear_0/w.npy", SpecFiles.Npy("<f4", firstShape ?? [4, 3], SpecFiles.LittleF32(Range(12, 0))), deflate),
        new SpecFiles.ZipEntry("mlp/~/linear_0/b.npy", SpecFiles.Npy("<f4", [3], SpecFiles.LittleF32(Range(3, 1))), deflate),
        new SpecFiles.ZipEntry("mlp/~/linear_1/w.npy", SpecFiles.Npy("<f4", [3, 2], SpecFiles.LittleF32(Range(6, -1))), deflate),
        new SpecFiles.ZipEntry("mlp/~/linear_1/b.npy", SpecFiles.Npy("<f4", [2], SpecFiles.LittleF32(Range(2, 2))), deflate)));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AHaikuNpzLoadsIntoTheSameMlpAndComputesTheSameFunction(bool deflate)
    {
        using var x = torch.tensor(new float[] { 1, -2, 0.5f, 3 }).reshape(1, 4);
        var init = Mlp.Init(0, x);
        var (parameters, report) = WeightImport.Load(HaikuMlpNpz(deflate), init, WeightMap.Haiku(init));

        Assert.True(report.IsComplete, report.ToString());
        Assert.Equal(4, report.Loaded.Count);
        Assert.Contains(report.Loaded, l => l.Source == "mlp/~/linear_1/w" && l.Target == "~/MLP_0/__call__/Linear_1/__call__/w");
        // The Haiku MLP by hand: relu(x w0 + b0) w1 + b1.
        using var w0 = torch.tensor(Range(12, 0)).reshape(4, 3);
        using var w1 = torch.tensor(Range(6, -1)).reshape(3, 2);
        using var expected = torch.nn.functional.relu(x.matmul(w0) + torch.tensor(Range(3, 1))).matmul(w1) + torch.tensor(Range(2, 2));
        using var y = Mlp.Apply(parameters, x);
        Assert.True(y.allclose(expected), $"{string.Join(", ", Floats(y))} vs {string.Join(", ", Floats(expected))}");
    }

    [Fact]
    public void APyTorchLinearStateDictIsTransposedIntoHaikusLayout()
    {
        var model = Hk.Transform((Tensor x) => from fc in Linear.Create(2, name: "fc") from y in fc.Call(x) select y);
        using var x = torch.tensor(new float[] { 1, 1, 1, 2, 0, -1 }).reshape(2, 3);
        var init = model.Init(0, x);
        // torch.nn.Linear(3, 2).state_dict() saved with safetensors: weight [out, in], bias [out].
        var path = Write("fc.safetensors", SpecFiles.SafeTensors(
            """{"fc.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"fc.bias":{"dtype":"F32","shape":[2],"data_offsets":[24,32]}}""",
            SpecFiles.LittleF32(1, 2, 3, 4, 5, 6, 0.5f, -0.5f)));
        var (parameters, report) = WeightImport.Load(path, init, WeightMap.Empty.TorchModule("fc", "~/fc/__call__"));
        Assert.True(report.IsComplete, report.ToString());
        Assert.Equal(WeightLayout.TorchAuto, report.Loaded.Single(l => l.Source == "fc.weight").Layout);
        Assert.Equal([3L, 2], parameters["~/fc/__call__/w"].shape);
        // x W^T + b, as torch.nn.Linear computes.
        Assert.Equal([6.5f, 14.5f, -0.5f, 1.5f], Floats(model.Apply(parameters, x)));
    }

    [Fact]
    public void APyTorchConvKernelIsPermutedFromOihwToHwioAndConvolvesTheSame()
    {
        var model = Hk.Transform((Tensor x) =>
            from conv in Conv2D.Create(2, 3, dataFormat: DataFormat.ChannelsFirst, name: "conv")
            from y in conv.Call(x)
            select y);
        using var g = new torch.Generator(3);
        using var x = torch.randn([1, 1, 5, 5], generator: g);
        var init = model.Init(0, x);
        using var torchKernel = torch.randn([2, 1, 3, 3], generator: g);
        var header = """{"features.0.weight":{"dtype":"F32","shape":[2,1,3,3],"data_offsets":[0,72]},"features.0.bias":{"dtype":"F32","shape":[2],"data_offsets":[72,80]}}""";
        var path = Write("conv.safetensors", SpecFiles.SafeTensors(header, [.. SpecFiles.LittleF32(Floats(torchKernel)), .. SpecFiles.LittleF32(0.25f, -1)]));

        var (parameters, report) = WeightImport.Load(path, init, WeightMap.Empty.TorchModule("features.0", "~/conv/__call__"));

        Assert.True(report.IsComplete, report.ToString());
        Assert.Equal([3L, 3, 1, 2], parameters["~/conv/__call__/w"].shape);
        Assert.Equal([2L, 1, 1], parameters["~/conv/__call__/b"].shape); // PyTorch's (C,) bias, reshaped to the channels-first bias

        using var bias = torch.tensor(new float[] { 0.25f, -1 });
        using var expected = torch.nn.functional.conv2d(x, torchKernel, bias, padding: [1, 1]);
        using var y = model.Apply(parameters, x);
        Assert.True(y.allclose(expected, atol: 1e-5), "the imported convolution differs from torch's");
    }

    [Fact]
    public void StrictModeListsEveryProblemAndPartialModeLoadsWhatFits()
    {
        using var x = torch.ones(1, 4);
        var init = Mlp.Init(0, x);
        // linear_0/w has the wrong shape, linear_1/b is absent, and an extra entry is there.
        var path = Write("haiku.npz", SpecFiles.Zip(
            new SpecFiles.ZipEntry("mlp/~/linear_0/w.npy", SpecFiles.Npy("<f4", [3, 4], SpecFiles.LittleF32(Range(12, 0)))),
            new SpecFiles.ZipEntry("mlp/~/linear_0/b.npy", SpecFiles.Npy("<f4", [3], SpecFiles.LittleF32(Range(3, 1)))),
            new SpecFiles.ZipEntry("mlp/~/linear_1/w.npy", SpecFiles.Npy("<f4", [3, 2], SpecFiles.LittleF32(Range(6, -1)))),
            new SpecFiles.ZipEntry("ema/~/mlp/~/linear_1/w.npy", SpecFiles.Npy("<f4", [3, 2], SpecFiles.LittleF32(Range(6, -1))))));

        var e = Assert.Throws<WeightImportException>(() => WeightImport.Load(path, init, WeightMap.Haiku(init)));
        Assert.Contains($"Import from '{path}': loaded 2, skipped 1, mismatched 1, missing 2", e.Message);
        Assert.Contains("mismatched 'mlp/~/linear_0/w' → '~/MLP_0/__call__/Linear_0/__call__/w': shape (3, 4) in the file but (4, 3) in the model " +
                        "(transposed: a PyTorch [out, in] weight? use WeightLayout.TorchLinear)", e.Message);
        Assert.Contains("skipped 'ema/~/mlp/~/linear_1/w': no rule of the map applies to it", e.Message);
        Assert.Contains("missing '~/MLP_0/__call__/Linear_1/__call__/b' (kept its value)", e.Message);
        Assert.Contains("ImportMode.Partial", e.Message);
        Assert.NotNull(e.Report);

        var (parameters, report) = WeightImport.Load(path, init, WeightMap.Haiku(init).Skip("ema/"), ImportMode.Partial);
        Assert.Equal(["mlp/~/linear_0/b", "mlp/~/linear_1/w"], report.Loaded.Select(l => l.Source));
        Assert.Equal("the map skips it", report.Skipped.Single().Reason);
        Assert.Equal(["~/MLP_0/__call__/Linear_0/__call__/w", "~/MLP_0/__call__/Linear_1/__call__/b"], report.Missing);
        Assert.Same(init["~/MLP_0/__call__/Linear_0/__call__/w"], parameters["~/MLP_0/__call__/Linear_0/__call__/w"]);
        Assert.Equal(Range(6, -1), Floats(parameters["~/MLP_0/__call__/Linear_1/__call__/w"]));
        Assert.Equal(init.Keys, parameters.Keys);
    }

    [Fact]
    public void FloatingPointIsCastOnRequestAndOtherDtypesAreMismatches()
    {
        var target = Params.Create([new("~/w", torch.zeros(2)), new("~/n", torch.zeros(2))]);
        var source = Params.Create([new("~/w", torch.tensor(new float[] { 1, 2 }).to(float16)), new("~/n", torch.tensor(new long[] { 1, 2 }))]);

        var (cast, report) = WeightImport.Import(source, target, WeightMap.Identity, ImportMode.Partial);
        var w = report.Loaded.Single();
        Assert.Equal((ScalarType.Float16, ScalarType.Float32), (w.SourceDType, w.DType));
        Assert.Equal(float32, cast["~/w"].dtype);
        Assert.Equal("dtype Int64 in the file but Float32 in the model", report.Mismatched.Single().Reason);

        var (_, strictCasts) = WeightImport.Import(source, target, WeightMap.Identity, ImportMode.Partial, castFloatingPoint: false);
        Assert.Equal(2, strictCasts.Mismatched.Count);
        Assert.Empty(strictCasts.Loaded);
    }

    [Fact]
    public void TwoEntriesMappedToOneParameterIsAnError()
    {
        var target = Params.Create([new("~/w", torch.zeros(2))]);
        var source = Params.Create([new("a", torch.zeros(2)), new("b", torch.zeros(2))]);
        var e = Assert.Throws<WeightImportException>(() =>
            WeightImport.Import(source, target, WeightMap.Empty.Rename("a", "~/w").Rename("b", "~/w"), origin: "x.npz"));
        Assert.Equal("Import from 'x.npz': the map sends both 'a' and 'b' to '~/w'. Fix the rename map so each parameter gets one entry.", e.Message);
    }

    [Fact]
    public void AnEntryMappedToAnUnknownPathIsSkippedWithTheNearestPaths()
    {
        var target = Params.Create([new("~/Linear_0/__call__/w", torch.zeros(2))]);
        var source = Params.Create([new("w", torch.zeros(2))]);
        var (_, report) = WeightImport.Import(source, target, WeightMap.Empty.Rename("w", "~/linear/__call__/w"), ImportMode.Partial);
        Assert.Equal("the map sends it to '~/linear/__call__/w', which the model does not have (paths ending in '/w': '~/Linear_0/__call__/w')",
            report.Skipped.Single().Reason);
    }

    [Fact]
    public void AWrongRankForALayoutIsAMismatchNotACrash()
    {
        var target = Params.Create([new("~/w", torch.zeros(2, 3))]);
        var source = Params.Create([new("w", torch.zeros(6))]);
        var (_, report) = WeightImport.Import(source, target, WeightMap.Empty.Rename("w", "~/w", WeightLayout.TorchLinear), ImportMode.Partial);
        Assert.Contains("TorchLinearToHaiku needs a rank-2 weight, got shape (6,)", report.Mismatched.Single().Reason);
    }

    [Fact]
    public void ImportedTensorsFollowTheTargetsDevice()
    {
        var target = Params.Create([new("~/w", torch.zeros([2, 3], device: torch.META))]);
        var source = Params.Create([new("w", torch.ones(3, 2))]);
        var (parameters, _) = WeightImport.Import(source, target, WeightMap.Empty.Rename("w", "~/w", WeightLayout.TorchLinear));
        Assert.Equal(DeviceType.META, parameters["~/w"].device_type);
        Assert.Equal([2L, 3], parameters["~/w"].shape);
    }
}
